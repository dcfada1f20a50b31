"""Media nodes: references, scene images, consistency check, clips, assembly.

Every artifact's file name carries the hash of its inputs. A node that is re-run (after a
crash, a resume or an edit) finds finished files and skips them, so only what changed is made.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from langgraph.runtime import Runtime
from PIL import Image

from videodrafter.audio.narration import find_narration
from videodrafter.engines.base import plan_layout
from videodrafter.config import Settings
from videodrafter.critic import CriticReference, selection
from videodrafter.errors import VideoDrafterError
from videodrafter.graph.artifacts import (
    ClipArtifact,
    PromptRevision,
    ReferenceArtifact,
    SceneCandidate,
    VideoResult,
    artifact_path,
)
from videodrafter.graph.context import RunContext
from videodrafter.graph.progress import emit, timed
from videodrafter.graph.state import State
from videodrafter.llm.usage import TokenUsage
from videodrafter.media.video import decode_frames, probe_video
from videodrafter.media.files import content_hash, is_complete, write_json_atomic, write_text_atomic
from videodrafter.script import Entity, EntityKind, Scene, VideoScript
from videodrafter.tools import (
    AssembleArgs,
    CandidateTarget,
    ClipEntry,
    ConsistencyArgs,
    ReferenceImageArgs,
    SceneCandidatesArgs,
    SceneClipArgs,
    SegmentArgs,
    assemble_video,
    generate_reference_image,
    generate_scene_candidates,
    generate_scene_clip,
    measure_consistency,
    segment_foreground,
)
from videodrafter.tools.context import ToolContext
from videodrafter.tools.references import depict_entity
from videodrafter.tools.scenes import ForegroundReference


def _used_entities(script: VideoScript) -> list[str]:
    used: list[str] = []
    for scene in script.scenes:
        for entity_id in [*scene.foreground, scene.background]:
            if entity_id not in used:
                used.append(entity_id)
    return used


def reference_key(script: VideoScript, entity_id: str, runtime: Runtime[RunContext]) -> str:
    entity = script.entity(entity_id)
    photo = Path(entity.reference_image) if entity.reference_image else None
    return content_hash(
        "reference-v3", entity.model_dump(mode="json", exclude={"reference_image"}),
        photo if photo and photo.is_file() else None, runtime.context.tools().engine.describe(), runtime.context.settings.seed,
    )


def reference_images_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """A reference per entity the scenes use (the user's photo when given), segmented with U²-Net."""
    context = runtime.context
    tools = context.tools()
    script = state.script
    assert script is not None
    references: dict[str, ReferenceArtifact] = {}
    seconds: dict[str, float] = {}
    wanted = _used_entities(script)
    for done, entity_id in enumerate(wanted):
        key = reference_key(script, entity_id, runtime)
        known = state.references.get(entity_id)
        if known and known.key == key and known.conditioned.is_file():
            continue
        entity = script.entity(entity_id)
        emit("references", f"reference for '{entity.name}'", done, len(wanted))
        image = artifact_path(context.folder, "entities", entity_id, key, ".png")
        conditioned = artifact_path(context.folder, "entities", entity_id, key, ".ref.png")
        mask = artifact_path(context.folder, "entities", entity_id, key, ".mask.png")
        record = artifact_path(context.folder, "entities", entity_id, key, ".json")
        if all(is_complete(path) for path in (image, conditioned, mask)):
            # finished before a kill: reuse the pictures; what was measured on them is in the record,
            # or (killed just before the record was written) is read back from the mask
            if is_complete(record):
                # what was measured comes from the record; the paths are this run folder's (it may have moved)
                measured = ReferenceArtifact.model_validate_json(record.read_text())
                references[entity_id] = measured.model_copy(update={"image": image, "conditioned": conditioned, "mask": mask})
            else:
                entity = script.entity(entity_id)
                references[entity_id] = _reference_from_files(entity_id, key, image, conditioned, mask, entity_source(entity)).model_copy(
                    update={"depiction": depict_entity(entity, tools)}
                )
                write_text_atomic(record, references[entity_id].model_dump_json(indent=2))
            continue
        with timed("reference_images", seconds):
            source = entity_source(entity)
            if not image.is_file():
                made = generate_reference_image(ReferenceImageArgs(entity=entity, output=image, seed=context.settings.seed), tools)
                source, depiction = made.source, made.depiction
            else:
                depiction = depict_entity(entity, tools)
            clean = source == "generated" and tools.engine.draws_clean_backgrounds
            solid = source == "generated" and tools.engine.draws_solid_subjects
            segmented = segment_foreground(
                SegmentArgs(image=image, kind=entity.kind, output=conditioned, mask_output=mask, paint_out=not clean, fill_holes=solid),
                tools,
            )
        references[entity_id] = ReferenceArtifact(
            entity_id=entity_id, key=key, image=image, conditioned=conditioned, mask=mask, source=source,
            coverage=segmented.coverage, note=segmented.note, depiction=depiction,
        )
        write_text_atomic(record, references[entity_id].model_dump_json(indent=2))
    notes = [f"'{script.entity(ref.entity_id).name}': {ref.note}" for ref in references.values() if ref.note]
    return {"references": references, "seconds": seconds, "notes": notes}


def entity_source(entity: Entity) -> str:
    return "photo" if entity.reference_image else "generated"


def _reference_from_files(entity_id: str, key: str, image: Path, conditioned: Path, mask: Path, source: str) -> ReferenceArtifact:
    with Image.open(mask) as opened:
        coverage = float(np.asarray(opened.convert("L"), dtype=np.float32).mean() / 255)
    return ReferenceArtifact(entity_id=entity_id, key=key, image=image, conditioned=conditioned, mask=mask, source=source, coverage=coverage)


def _scene_seed(context: RunContext, spec: Scene, attempt: int, rank: int = 0) -> int:
    """From the scene's content, not its position: reordering scenes keeps their pictures.

    Candidate ``rank`` of round ``attempt`` is draw number attempt·K + rank, so one candidate per
    round (K = 1) keeps the seeds runs had before candidates existed."""
    digest = content_hash("scene-seed", spec.event, spec.foreground, spec.background)
    draw = attempt * context.settings.candidates + rank
    return (context.settings.seed + int(digest[:8], 16) + 7919 * draw) % (2**31 - 1)


def scene_prompt(state: State, scene: int, attempt: int) -> str:
    """The script's event, or the critic's revision of it for later rounds (while the event is unchanged)."""
    assert state.script is not None
    event = state.script.scenes[scene].event
    revision = state.scene_prompts.get(scene)
    if revision is not None and revision.event == event and attempt >= revision.from_attempt:
        return revision.prompt
    return event


def scene_key(state: State, scene: int, attempt: int, runtime: Runtime[RunContext], rank: int = 0) -> str:
    script = state.script
    assert script is not None
    spec = script.scenes[scene]
    return content_hash(
        "scene-image-v3", scene_prompt(state, scene, attempt), [state.references[e].key for e in spec.foreground],
        state.references[spec.background].key, _scene_seed(runtime.context, spec, attempt, rank), runtime.context.tools().engine.describe(),
    )


def scene_images_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """Make each scene's current round of candidate images (skipping those already on disk)."""
    context = runtime.context
    tools = context.tools()
    script = state.script
    assert script is not None
    new: dict[int, list[SceneCandidate]] = {}
    attempts = {index: state.scene_attempts.get(index, 0) for index in range(len(script.scenes))}
    seconds: dict[str, float] = {}
    known = {candidate.key: candidate for candidates in state.candidates.values() for candidate in candidates if candidate.image.is_file()}
    for index, spec in enumerate(script.scenes):
        attempt = attempts[index]
        prompt = scene_prompt(state, index, attempt)
        current = {(c.rank, c.key) for c in state.candidates.get(index, []) if c.attempt == attempt}
        made: list[SceneCandidate] = []
        pending: list[tuple[int, int, str, Path]] = []
        layout = plan_layout(list(spec.foreground), variant=spec.event)  # what generate_scene_candidates plans
        for rank in range(context.settings.candidates):
            key = scene_key(state, index, attempt, runtime, rank)
            seed = _scene_seed(context, spec, attempt, rank)
            output = artifact_path(context.folder, "scenes", "scene", key, ".png")
            if (rank, key) in current and key in known:
                continue
            if key in known:  # the same picture was made for this content before (e.g. scenes were reordered)
                made.append(known[key].model_copy(update={"scene": index, "attempt": attempt, "rank": rank}))
            elif is_complete(output):  # made before this node was interrupted (its state update was never saved)
                made.append(SceneCandidate(scene=index, attempt=attempt, rank=rank, seed=seed, prompt=prompt, key=key, image=output, layout=layout))
            else:
                pending.append((rank, seed, key, output))
        if pending:
            context.raise_if_cancelled()
            count = f", {len(pending)} candidates" if len(pending) > 1 else ""
            emit("scene images", f"scene {index + 1}" + (f" (attempt {attempt + 1})" if attempt else "") + count, index, len(script.scenes))
            with timed("scene_images", seconds):
                results = generate_scene_candidates(
                    SceneCandidatesArgs(
                        event=prompt,
                        layout_variant=spec.event,
                        foreground=[ForegroundReference(entity_id=e, cutout=state.references[e].conditioned) for e in spec.foreground],
                        background=state.references[spec.background].conditioned,
                        targets=[CandidateTarget(output=output, seed=seed) for _, seed, _, output in pending],
                    ),
                    tools,
                )
            for (rank, seed, key, output), result in zip(pending, results, strict=True):
                made.append(SceneCandidate(scene=index, attempt=attempt, rank=rank, seed=seed, prompt=prompt, key=key, image=output, layout=result.layout))
        if made:
            new[index] = made
    return {"candidates": new, "scene_attempts": attempts, "seconds": seconds}


def current_candidates(state: State, scene: int) -> list[SceneCandidate]:
    attempt = state.scene_attempts.get(scene, 0)
    return [candidate for candidate in state.candidates.get(scene, []) if candidate.attempt == attempt]


def consistency_threshold(context: RunContext) -> float:
    """The setting when given, else the image embedder's own calibrated threshold."""
    if context.settings.consistency_threshold is not None:
        return context.settings.consistency_threshold
    return context.tools().embedder.threshold


def chosen_candidate(state: State, scene: int, threshold: float) -> SceneCandidate:
    """The candidate a scene keeps: by the critic's verdicts where it judged, else the best embedder score."""
    return selection.best(state.candidates[scene], threshold)


def _critic_references(state: State, scene: int) -> list[CriticReference]:
    assert state.script is not None
    spec = state.script.scenes[scene]
    references = []
    for entity_id in [*spec.foreground, spec.background]:
        entity = state.script.entity(entity_id)
        role = "place (the background)" if entity.kind is not EntityKind.FOREGROUND else "character or object"
        references.append(CriticReference(name=entity.name, role=role, description=entity.description[:300], image=state.references[entity_id].conditioned))
    return references


def _critic_failed(error: VideoDrafterError) -> str:
    return f"the vision critic failed ({error.message[:300]}); the image embedder decides from here on"


def check_consistency_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """Score each scene's new candidates (embedder, then the critic if any); keep the best; redo failed scenes.

    A scene fails when its best candidate fails: by the critic's verdict where it judged, by the
    embedder's threshold otherwise. Its next round uses the critic's revised prompt and new seeds.
    """
    context = runtime.context
    tools = context.tools()
    script = state.script
    assert script is not None
    common = {entity.id for entity in script.common_entities if entity.kind is EntityKind.FOREGROUND}
    threshold = consistency_threshold(context)
    scored: dict[int, list[SceneCandidate]] = {}
    retry: dict[int, int] = {}
    revisions: dict[int, PromptRevision] = {}
    seconds: dict[str, float] = {}
    notes: list[str] = []
    usage = TokenUsage()
    critic_down = state.critic_down
    critic = None
    if not critic_down:
        try:
            critic = context.vision_critic()
        except VideoDrafterError as error:
            critic_down = True
            notes.append(_critic_failed(error))
    for index, spec in enumerate(script.scenes):
        round_candidates = current_candidates(state, index)
        if not round_candidates:
            continue
        updated: list[SceneCandidate] = []
        for candidate in round_candidates:
            changes: dict = {}
            if candidate.score is None:
                entity_scores = {}
                with timed("check_consistency", seconds):
                    for entity_id in spec.foreground:
                        if entity_id in common:
                            entity_scores[entity_id] = measure_consistency(
                                ConsistencyArgs(reference=state.references[entity_id].conditioned, scene_image=candidate.image, region=candidate.layout.boxes.get(entity_id)),
                                tools,
                            ).score
                changes.update(entity_scores=entity_scores, score=min(entity_scores.values(), default=1.0))
            if critic is not None and not critic_down and candidate.verdict is None and not candidate.critic_error:
                emit("critic", f"scene {index + 1}, candidate {candidate.rank + 1}", index, len(script.scenes))
                try:
                    with timed("critic", seconds):
                        changes["verdict"] = critic.judge_scene(candidate.prompt or spec.event, _critic_references(state, index), candidate.image, usage)
                except VideoDrafterError as error:
                    critic_down = True
                    changes["critic_error"] = error.message[:300]
                    notes.append(_critic_failed(error))
            if changes:
                candidate = candidate.model_copy(update=changes)
                updated.append(candidate)
        if updated:
            scored[index] = updated
        by_slot = {(c.attempt, c.rank): c for c in round_candidates} | {(c.attempt, c.rank): c for c in updated}
        newly_scored = bool(updated)
        best = selection.best(list(by_slot.values()), threshold)
        if selection.passes(best, threshold):
            continue
        attempt = best.attempt
        if attempt + 1 < context.settings.consistency_attempts:
            retry[index] = attempt + 1
            if best.verdict is not None and best.verdict.revised_prompt:
                revisions[index] = PromptRevision(event=spec.event, from_attempt=attempt + 1, prompt=best.verdict.revised_prompt)
        elif newly_scored:
            judge = "the critic's approval" if best.verdict is not None else f"consistency {threshold:.2f}"
            notes.append(
                f"scene {index + 1}: no candidate reached {judge} in {context.settings.consistency_attempts} rounds; the best one is used"
            )
    emit("consistency", f"{len(retry)} scene(s) to redo" if retry else "all scenes consistent", len(script.scenes), len(script.scenes))
    return {
        "candidates": scored, "scene_attempts": retry, "scene_prompts": revisions, "consistency_rounds": 1 if retry else 0,
        "seconds": seconds, "notes": notes, "usage": usage, "critic_down": critic_down,
    }


def _clip_key(image: SceneCandidate, spec: Scene, engine: dict, seed: int, action: str) -> str:
    return content_hash("clip-v2", image.key, action, spec.camera.model_dump(mode="json"), spec.duration_s, spec.action, seed, engine)


def scene_clips_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """Animate each scene's chosen image with its action and camera move; the critic may have one clip redone."""
    context = runtime.context
    tools = context.tools()
    script = state.script
    assert script is not None
    clips: dict[int, ClipArtifact] = {}
    seconds: dict[str, float] = {}
    notes: list[str] = []
    usage = TokenUsage()
    critic_down = state.critic_down
    critic = None
    if context.settings.critic_clips and not critic_down:
        try:
            critic = context.vision_critic()
        except VideoDrafterError:
            critic_down = True  # the scene check already said so in a note
    engine = tools.engine.describe()
    threshold = consistency_threshold(context)
    for index, spec in enumerate(script.scenes):
        image = chosen_candidate(state, index, threshold)
        key = _clip_key(image, spec, engine, image.seed, spec.action)
        known = state.clips.get(index)
        if known and key in (known.key, known.request_key) and known.path.is_file():
            continue
        reusable = next((clip for clip in state.clips.values() if key in (clip.key, clip.request_key) and clip.path.is_file()), None)
        if reusable is not None:  # e.g. scenes were reordered: the clip is the same
            clips[index] = reusable.model_copy(update={"scene": index})
            continue
        context.raise_if_cancelled()
        emit("clips", f"clip {index + 1}: {spec.camera.label()}", index, len(script.scenes))
        clip = _make_clip(context, tools, image, spec, key, key, image.seed, spec.action, seconds)
        clip = clip.model_copy(update={"scene": index})
        if critic is not None and not critic_down:
            try:
                with timed("critic", seconds):
                    verdict = critic.judge_clip(image.prompt or spec.event, spec.action, image.image, list(decode_frames(clip.path)), usage)
            except VideoDrafterError as error:
                critic_down = True
                notes.append(_critic_failed(error))
            else:
                clip = clip.model_copy(update={"verdict": verdict})
                if not verdict.consistent:  # redone once, with a new seed and the critic's action if it wrote one
                    emit("clips", f"clip {index + 1}: redone after the critic's verdict", index, len(script.scenes))
                    action = verdict.revised_prompt or spec.action
                    seed = (image.seed + 1) % (2**31 - 1)
                    redo = _make_clip(context, tools, image, spec, _clip_key(image, spec, engine, seed, action), key, seed, action, seconds)
                    clip = redo.model_copy(update={"scene": index, "first_verdict": verdict, "redone": True})
                    try:
                        with timed("critic", seconds):
                            clip = clip.model_copy(update={"verdict": critic.judge_clip(image.prompt or spec.event, action, image.image, list(decode_frames(clip.path)), usage)})
                    except VideoDrafterError as error:
                        critic_down = True
                        notes.append(_critic_failed(error))
        clips[index] = clip
    return {"clips": clips, "seconds": seconds, "notes": notes, "usage": usage, "critic_down": critic_down}


def _make_clip(context: RunContext, tools: ToolContext, image: SceneCandidate, spec: Scene, key: str, request_key: str, seed: int, action: str, seconds: dict) -> ClipArtifact:
    output = artifact_path(context.folder, "clips", "clip", key, ".mp4")
    if is_complete(output):
        info = probe_video(output)
        return ClipArtifact(scene=image.scene, key=key, request_key=request_key, path=output, image_key=image.key, frames=info.frames, fps=info.fps)
    with timed("scene_clips", seconds):
        result = generate_scene_clip(
            SceneClipArgs(image=image.image, action=action, camera=spec.camera, duration_s=spec.duration_s, caption=spec.action, output=output, seed=seed),
            tools,
        )
    return ClipArtifact(scene=image.scene, key=key, request_key=request_key, path=output, image_key=image.key, frames=result.frames, fps=result.fps)


def _candidate_record(candidate: SceneCandidate) -> dict:
    """What the manifest says of each candidate: its round, seed, prompt, scores and verdict."""
    return candidate.model_dump(mode="json", include={"attempt", "rank", "seed", "prompt", "score", "entity_scores", "verdict", "critic_error", "image"})


def _critic_summary(state: State, context: RunContext) -> dict | None:
    """Pass rate of the critic's scene verdicts and the regenerations it caused (for the eval reports)."""
    if not context.has_critic:
        return None
    verdicts = [c.verdict for candidates in state.candidates.values() for c in candidates if c.verdict is not None]
    clip_verdicts = [clip.first_verdict or clip.verdict for clip in state.clips.values() if (clip.first_verdict or clip.verdict) is not None]
    return {
        "spec": context.settings.critic,
        "down": state.critic_down,
        "scene_verdicts": len(verdicts),
        "scene_pass_rate": sum(v.consistent for v in verdicts) / len(verdicts) if verdicts else None,
        "regenerations_per_scene": {index: max(c.attempt for c in candidates) for index, candidates in sorted(state.candidates.items())},
        "clip_verdicts": len(clip_verdicts),
        "clips_redone": sum(clip.redone for clip in state.clips.values()),
    }


def assemble_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """Join the clips; write the video, contact sheet, subtitles, timeline and manifest."""
    context = runtime.context
    script = state.script
    assert script is not None
    seconds: dict[str, float] = {}
    context.raise_if_cancelled()
    emit("assemble", "joining clips", 0, 1)
    threshold = consistency_threshold(context)
    chosen = [chosen_candidate(state, index, threshold) for index in range(len(script.scenes))]
    spoken = find_narration(script, context.settings.voice, context.folder)
    entries = [
        ClipEntry(
            clip=state.clips[index].path, scene_image=chosen[index].image, caption=spec.event,
            candidates=[candidate.image for candidate in state.candidates[index]] if len(state.candidates[index]) > 1 else [],
            chosen=state.candidates[index].index(chosen[index]) if len(state.candidates[index]) > 1 else 0,
            narration=spoken[index].path if spoken[index] else None, narration_text=spoken[index].text if spoken[index] else "",
        )
        for index, spec in enumerate(script.scenes)
    ]
    with timed("assemble", seconds):
        assembled = assemble_video(AssembleArgs(title=script.title, clips=entries, output_dir=context.folder), context.tools())
    manifest = context.folder / "manifest.json"
    all_seconds = {**state.seconds}
    for key, value in seconds.items():
        all_seconds[key] = all_seconds.get(key, 0.0) + value
    write_json_atomic(
        manifest,
        {
            "prompt": state.prompt,
            "title": script.title,
            "llm": context.settings.llm,
            "prompt_set": context.settings.prompt_set,
            "engine": context.tools().engine.describe(),
            "engine_loaded": context.tools().engine.loaded_state(),
            "seed": context.settings.seed,
            "settings": json.loads(context.settings.model_dump_json(include=set(Settings.model_fields))),
            "resume_overrides": context.overrides,
            "plan_rounds": state.plan_rounds,
            "consistency_rounds": state.consistency_rounds,
            "usage": state.usage.model_dump(),
            "seconds": all_seconds,
            "references": {key: value.model_dump(mode="json") for key, value in state.references.items()},
            "image_embedder": context.tools().embedder.name,
            "consistency_threshold": threshold,
            "critic": _critic_summary(state, context),
            "scenes": [
                {
                    "prompt": chosen[index].prompt or spec.event,
                    "chosen": chosen[index].model_dump(mode="json"),
                    "candidates": len(state.candidates.get(index, [])),
                    "tried": [_candidate_record(candidate) for candidate in state.candidates.get(index, [])],
                    "clip": state.clips[index].model_dump(mode="json"),
                }
                for index, spec in enumerate(script.scenes)
            ],
            "video": assembled.info.model_dump(mode="json"),
            "narration": {
                "voice": context.settings.voice,
                "narrated": assembled.narrated,
                "held_frames": assembled.holds,
                "scenes": [line.model_dump(mode="json") if line else None for line in spoken],
            },
            "notes": state.notes,
        },
    )
    result = VideoResult(
        run_dir=context.folder, video=assembled.video, contact_sheet=assembled.contact_sheet,
        subtitles=assembled.subtitles, timeline=assembled.timeline, manifest=manifest, info=assembled.info,
    )
    emit("assemble", "done", 1, 1)
    return {"result": result, "seconds": seconds}
