"""Stage: each scene's current round of candidate images, made in one batched call per scene."""

from __future__ import annotations


from langgraph.runtime import Runtime

from videodrafter.engines.base import SceneLayout, plan_layout
from videodrafter.graph.artifacts import SceneCandidate
from videodrafter.graph.cancellation import raise_if_cancelled
from videodrafter.graph.context import RunContext
from videodrafter.graph.progress import emit, timed
from videodrafter.graph.stages import store
from videodrafter.graph.state import State
from videodrafter.media.files import content_hash
from videodrafter.script import Scene
from videodrafter.tools import CandidateTarget, SceneCandidatesArgs, generate_scene_candidates
from videodrafter.tools.scenes import ForegroundReference


def scene_seed(context: RunContext, spec: Scene, attempt: int, rank: int = 0) -> int:
    """From the scene's content, not its position: reordering scenes keeps their pictures.

    Candidate ``rank`` of round ``attempt`` is draw number attempt·K + rank, so one candidate per
    round (K = 1) keeps the seeds runs had before candidates existed."""
    draw = attempt * context.settings.candidates + rank
    return (scene_base_seed(context.settings.seed, spec) + 7919 * draw) % (2**31 - 1)


def scene_base_seed(run_seed: int, spec: Scene) -> int:
    """The seed of a scene's first picture: its own (a redo) or the run's seed plus its content's hash."""
    if spec.seed is not None:
        return spec.seed
    return (run_seed + int(content_hash("scene-seed", spec.event, spec.foreground, spec.background)[:8], 16)) % (2**31 - 1)


def scene_prompt(state: State, scene: int, attempt: int) -> str:
    """The script's event, or the critic's revision of it for later rounds (while the event is unchanged)."""
    assert state.script is not None
    event = state.script.scenes[scene].event
    revision = state.scene_prompts.get(scene)
    if revision is not None and revision.event == event and attempt >= revision.from_attempt:
        return revision.prompt
    return event


def scene_key(state: State, scene: int, attempt: int, context: RunContext, rank: int = 0) -> str:
    script = state.script
    assert script is not None
    spec = script.scenes[scene]
    return content_hash(
        "scene-image-v3", scene_prompt(state, scene, attempt), [state.references[e].key for e in spec.foreground],
        state.references[spec.background].key, scene_seed(context, spec, attempt, rank), context.resources().engine.describe(),
    )


class _Slot:
    """One candidate of a scene's round: where it goes and what it is made from."""

    def __init__(self, state: State, context: RunContext, index: int, attempt: int, rank: int, layout: SceneLayout) -> None:
        assert state.script is not None
        spec = state.script.scenes[index]
        self.rank = rank
        self.key = scene_key(state, index, attempt, context, rank)
        self.seed = scene_seed(context, spec, attempt, rank)
        self.output = store.artifact_path(context.folder, "scenes", "scene", self.key, ".png")
        self.candidate = SceneCandidate(
            scene=index, attempt=attempt, rank=rank, seed=self.seed, prompt=scene_prompt(state, index, attempt),
            key=self.key, image=self.output, layout=layout,
        )


def scene_images_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """Make each scene's current round of candidates (skipping those already made)."""
    context = runtime.context
    script = state.script
    assert script is not None
    new: dict[int, list[SceneCandidate]] = {}
    attempts = {index: state.scene_attempts.get(index, 0) for index in range(len(script.scenes))}
    seconds: dict[str, float] = {}
    known = {candidate.key: candidate for candidates in state.candidates.values() for candidate in candidates if candidate.image.is_file()}
    for index, spec in enumerate(script.scenes):
        if spec.continues:  # its picture is the previous clip's last frame (see stages/clips.py)
            continue
        # 1. The round's slots: the layout is what generate_scene_candidates plans
        attempt = attempts[index]
        layout = plan_layout(list(spec.foreground), variant=spec.event)
        slots = [_Slot(state, context, index, attempt, rank, layout) for rank in range(context.settings.candidates)]
        current = {(c.rank, c.key) for c in state.candidates.get(index, []) if c.attempt == attempt}
        # 2. Reuse: in the state already, made for the same content elsewhere (scenes reordered), or on disk
        made: list[SceneCandidate] = []
        pending: list[_Slot] = []
        for slot in slots:
            if (slot.rank, slot.key) in current and slot.key in known:
                continue
            if slot.key in known:
                made.append(known[slot.key].model_copy(update={"scene": index, "attempt": attempt, "rank": slot.rank}))
                continue
            found = store.find({"image": slot.output}, SceneCandidate, recover=lambda slot=slot: slot.candidate)
            if found is not None:
                made.append(found.model_copy(update={"scene": index, "attempt": attempt, "rank": slot.rank}))
            else:
                pending.append(slot)
        # 3. Make the rest in one call, and record each
        if pending:
            made += _make_candidates(state, context, index, attempt, pending, seconds)
        if made:
            new[index] = made
    return {"candidates": new, "scene_attempts": attempts, "seconds": seconds}


def _make_candidates(state: State, context: RunContext, index: int, attempt: int, pending: list[_Slot], seconds: dict[str, float]) -> list[SceneCandidate]:
    assert state.script is not None
    spec = state.script.scenes[index]
    raise_if_cancelled()
    count = f", {len(pending)} candidates" if len(pending) > 1 else ""
    emit("scene images", f"scene {index + 1}" + (f" (attempt {attempt + 1})" if attempt else "") + count, index, len(state.script.scenes))
    with timed("scene_images", seconds):
        results = generate_scene_candidates(
            SceneCandidatesArgs(
                event=scene_prompt(state, index, attempt),
                layout_variant=spec.event,
                foreground=[ForegroundReference(entity_id=e, cutout=state.references[e].conditioned) for e in spec.foreground],
                background=state.references[spec.background].conditioned,
                targets=[CandidateTarget(output=slot.output, seed=slot.seed) for slot in pending],
            ),
            context.resources(),
        )
    return [
        store.save({"image": slot.output}, slot.candidate.model_copy(update={"layout": result.layout}))
        for slot, result in zip(pending, results, strict=True)
    ]
