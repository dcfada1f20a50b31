"""Stage: animate each scene's chosen image with its action and camera move; the critic may have one clip redone."""

from __future__ import annotations

from langgraph.runtime import Runtime
from PIL import Image

from videodrafter.advisory import vision_critic_step
from videodrafter.consistency.vision_critic import VisionCritic
from videodrafter.graph.artifacts import ClipArtifact, SceneCandidate
from videodrafter.graph.cancellation import raise_if_cancelled
from videodrafter.graph.context import RunContext
from videodrafter.graph.progress import emit, timed
from videodrafter.graph.stages import store
from videodrafter.graph.stages.consistency_check import chosen_candidate, consistency_threshold, open_critic
from videodrafter.graph.stages.scene_images import scene_seed
from videodrafter.graph.state import State
from videodrafter.llm.usage import TokenUsage
from videodrafter.engines.base import plan_layout
from videodrafter.media.files import content_hash, file_digest, save_png_atomic
from videodrafter.media.video import decode_frames, probe_video
from videodrafter.script import Scene
from videodrafter.tools import SceneClipArgs, generate_scene_clip


def clip_key(image: SceneCandidate, spec: Scene, engine: dict, seed: int, action: str, references: list[str] | None = None) -> str:
    """The hash of a clip's inputs; the reference keys count only for engines that hold references,
    so clips of the other engines keep the keys they had."""
    parts = [image.key, action, spec.camera.model_dump(mode="json"), spec.duration_s, spec.action, seed, engine]
    return content_hash("clip-v3", *parts, *([references] if references else []))  # v3: no caption of its own


class _ClipMaker:
    """Makes (or finds) the clips of one node call, and has the critic judge them where it still answers."""

    def __init__(self, state: State, context: RunContext) -> None:
        self.state, self.context = state, context
        self.holds_references = context.resources().engine.holds_references
        self.engine = context.resources().engine.describe()
        self.step = vision_critic_step(down=state.critic_down)
        # the scene check already noted a critic that cannot be created
        self.critic: VisionCritic | None = open_critic(context, self.step) if context.settings.critic_clips else None
        self.step.notes.clear()
        self.usage = TokenUsage()
        self.seconds: dict[str, float] = {}

    def make(self, image: SceneCandidate, spec: Scene, seed: int, action: str, request_key: str) -> ClipArtifact:
        references = self.references(spec)
        key = clip_key(image, spec, self.engine, seed, action, [self.state.references[entity].key for entity in references])
        files = {"path": store.artifact_path(self.context.folder, "clips", "clip", key, ".mp4")}
        last_frame = {"last_frame": store.artifact_path(self.context.folder, "clips", "clip", key, ".last.png")}
        record = {"scene": image.scene, "key": key, "request_key": request_key, "image_key": image.key,
                  "start_image_sha256": file_digest(image.image), "continued_from": image.continued_from,
                  "continued_from_key": image.continued_from_key, "references": references,
                  **files, **last_frame}

        def generate() -> ClipArtifact:
            with timed("scene_clips", self.seconds):
                result = generate_scene_clip(
                    SceneClipArgs(image=image.image, action=action, camera=spec.camera, duration_s=spec.duration_s,
                                  output=files["path"], last_frame=last_frame["last_frame"], seed=seed,
                                  references=[self.state.references[entity].conditioned for entity in references]),
                    self.context.resources(),
                )
            return ClipArtifact(**record, frames=result.frames, fps=result.fps)

        def from_files() -> ClipArtifact:
            info = probe_video(files["path"])
            return ClipArtifact(**record, frames=info.frames, fps=info.fps)

        return store.reuse_or_make(files, ClipArtifact, make=generate, recover=from_files, companions=last_frame)

    def references(self, spec: Scene) -> list[str]:
        """The entities whose pictures the clip model is held to: the scene's cast, then its place."""
        return [*spec.foreground, spec.background] if self.holds_references else []

    def judged(self, clip: ClipArtifact, image: SceneCandidate, spec: Scene, action: str) -> ClipArtifact:
        """The clip with the critic's verdict, or as it is when there is no critic (or it failed)."""
        if self.critic is None or self.step.down:
            return clip
        critic = self.critic
        with timed("critic", self.seconds):
            verdict = self.step.attempt(lambda: critic.judge_clip(image.prompt or spec.event, action, image.image, list(decode_frames(clip.path)), self.usage))
        return clip if verdict is None else clip.model_copy(update={"verdict": verdict})


def scene_clips_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """One clip per scene; a clip the critic rejects is redone once, with a new seed and the critic's action."""
    context = runtime.context
    script = state.script
    assert script is not None
    maker = _ClipMaker(state, context)
    threshold = consistency_threshold(context)
    clips: dict[int, ClipArtifact] = {}
    starts: dict[int, SceneCandidate] = {}
    for index, spec in enumerate(script.scenes):
        # 1. Known under the same key: here, or at another position (scenes were reordered)
        if spec.continues:
            image = starts[index] = continued_start(state, context, index, {**state.clips, **clips}[index - 1])
        else:
            image = chosen_candidate(state, index, threshold)
        key = clip_key(image, spec, maker.engine, image.seed, spec.action, [state.references[e].key for e in maker.references(spec)])
        known = state.clips.get(index)
        if known and key in (known.key, known.request_key) and known.path.is_file():
            continue
        reusable = next((clip for clip in state.clips.values() if key in (clip.key, clip.request_key) and clip.path.is_file()), None)
        if reusable is not None:
            clips[index] = reusable.model_copy(update={"scene": index})
            continue
        # 2. Make it, and let the critic judge it
        raise_if_cancelled()
        emit("clips", f"clip {index + 1}: {spec.camera.label()}", index, len(script.scenes))
        clip = maker.judged(maker.make(image, spec, image.seed, spec.action, key).model_copy(update={"scene": index}), image, spec, spec.action)
        # 3. Rejected: redone once with a new seed and the critic's action if it wrote one
        if clip.verdict is not None and not clip.verdict.consistent:
            emit("clips", f"clip {index + 1}: redone after the critic's verdict", index, len(script.scenes))
            action = clip.verdict.revised_prompt or spec.action
            redo = maker.make(image, spec, (image.seed + 1) % (2**31 - 1), action, key)
            redo = redo.model_copy(update={"scene": index, "first_verdict": clip.verdict, "redone": True, "verdict": None})
            clip = maker.judged(redo, image, spec, action)
        clips[index] = clip
    return {
        "clips": clips, "candidates": {index: [start] for index, start in starts.items()},
        "seconds": maker.seconds, "notes": maker.step.notes, "usage": maker.usage, "critic_down": maker.step.down,
    }


def continued_start(state: State, context: RunContext, index: int, previous: ClipArtifact) -> SceneCandidate:
    """A continued shot starts from the previous clip's last frame; its key is that clip's, so an edit
    upstream remakes the chain and nothing else."""
    assert state.script is not None
    spec = state.script.scenes[index]
    if previous.last_frame is None or not previous.last_frame.is_file():  # a clip made before clips kept their last frame
        last = previous.path.with_name(previous.path.stem + ".last.png")
        save_png_atomic(Image.fromarray(list(decode_frames(previous.path))[-1], mode="RGB"), last)
        previous = previous.model_copy(update={"last_frame": last})
    before = chosen_candidate(state, index - 1, consistency_threshold(context)) if index - 1 in state.candidates else None
    return SceneCandidate(
        scene=index, attempt=0, rank=0, seed=scene_seed(context, spec, 0), prompt=spec.event,
        key=content_hash("continued-v1", previous.key), image=previous.last_frame,
        layout=before.layout if before is not None else plan_layout(list(spec.foreground), variant=spec.event),
        continued_from=index - 1, continued_from_key=previous.key,
    )
