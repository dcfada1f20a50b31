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

from videodrafter.engines.base import plan_layout
from videodrafter.graph.artifacts import (
    ClipArtifact,
    ReferenceArtifact,
    SceneCandidate,
    VideoResult,
    artifact_path,
)
from videodrafter.graph.context import RunContext
from videodrafter.graph.progress import emit, timed
from videodrafter.graph.state import State
from videodrafter.media.files import content_hash, is_complete, write_json_atomic, write_text_atomic
from videodrafter.script import Entity, EntityKind, VideoScript
from videodrafter.tools import (
    AssembleArgs,
    ClipEntry,
    ConsistencyArgs,
    ReferenceImageArgs,
    SceneClipArgs,
    SceneImageArgs,
    SegmentArgs,
    assemble_video,
    generate_reference_image,
    generate_scene_clip,
    generate_scene_image,
    measure_consistency,
    segment_foreground,
)
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
        image = artifact_path(context.run_dir, "entities", entity_id, key, ".png")
        conditioned = artifact_path(context.run_dir, "entities", entity_id, key, ".ref.png")
        mask = artifact_path(context.run_dir, "entities", entity_id, key, ".mask.png")
        record = artifact_path(context.run_dir, "entities", entity_id, key, ".json")
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
            clean = source == "generated" and getattr(tools.engine, "draws_clean_backgrounds", False)
            solid = source == "generated" and getattr(tools.engine, "draws_solid_subjects", False)
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


def _scene_seed(context: RunContext, spec, attempt: int) -> int:
    """From the scene's content, not its position: reordering scenes keeps their pictures."""
    digest = content_hash("scene-seed", spec.event, spec.foreground, spec.background)
    return (context.settings.seed + int(digest[:8], 16) + 7919 * attempt) % (2**31 - 1)


def scene_key(state: State, scene: int, attempt: int, runtime: Runtime[RunContext]) -> str:
    script = state.script
    assert script is not None
    spec = script.scenes[scene]
    return content_hash(
        "scene-image-v3", spec.event, [state.references[e].key for e in spec.foreground], state.references[spec.background].key,
        _scene_seed(runtime.context, spec, attempt), runtime.context.tools().engine.describe(),
    )


def scene_images_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """Make each scene's current candidate image (skipping candidates already on disk)."""
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
        key = scene_key(state, index, attempt, runtime)
        if any(c.attempt == attempt and c.key == key for c in state.candidates.get(index, [])) and key in known:
            continue
        if key in known:  # the same picture was made for this content before (e.g. scenes were reordered)
            new[index] = [known[key].model_copy(update={"scene": index, "attempt": attempt})]
            continue
        context.raise_if_cancelled()
        emit("scene images", f"scene {index + 1}" + (f" (attempt {attempt + 1})" if attempt else ""), index, len(script.scenes))
        output = artifact_path(context.run_dir, "scenes", "scene", key, ".png")
        seed = _scene_seed(context, spec, attempt)
        if is_complete(output):  # made before this node was interrupted (its state update was never saved)
            layout = plan_layout(list(spec.foreground), variant=spec.event)  # what generate_scene_image plans
            new[index] = [SceneCandidate(scene=index, attempt=attempt, seed=seed, key=key, image=output, layout=layout)]
            continue
        with timed("scene_images", seconds):
            result = generate_scene_image(
                SceneImageArgs(
                    event=spec.event,
                    foreground=[ForegroundReference(entity_id=e, cutout=state.references[e].conditioned) for e in spec.foreground],
                    background=state.references[spec.background].conditioned,
                    output=output,
                    seed=seed,
                ),
                tools,
            )
        new[index] = [SceneCandidate(scene=index, attempt=attempt, seed=seed, key=key, image=output, layout=result.layout)]
    return {"candidates": new, "scene_attempts": attempts, "seconds": seconds}


def current_candidate(state: State, scene: int) -> SceneCandidate | None:
    attempt = state.scene_attempts.get(scene, 0)
    for candidate in state.candidates.get(scene, []):
        if candidate.attempt == attempt:
            return candidate
    return None


def chosen_candidate(state: State, scene: int) -> SceneCandidate:
    """The best-scoring candidate of a scene (the latest when none was scored)."""
    candidates = state.candidates[scene]
    scored = [candidate for candidate in candidates if candidate.score is not None]
    if not scored:
        return candidates[-1]
    return max(scored, key=lambda candidate: (candidate.score, -candidate.attempt))


def check_consistency_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """Compare each common entity in each scene with its reference; flag scenes below the threshold."""
    context = runtime.context
    tools = context.tools()
    script = state.script
    assert script is not None
    common = {entity.id for entity in script.common_entities if entity.kind is EntityKind.FOREGROUND}
    scored: dict[int, list[SceneCandidate]] = {}
    retry: dict[int, int] = {}
    seconds: dict[str, float] = {}
    notes: list[str] = []
    for index, spec in enumerate(script.scenes):
        candidate = current_candidate(state, index)
        if candidate is None:
            continue
        newly_scored = candidate.score is None
        if newly_scored:
            entity_scores = {}
            with timed("check_consistency", seconds):
                for entity_id in spec.foreground:
                    if entity_id in common:
                        entity_scores[entity_id] = measure_consistency(
                            ConsistencyArgs(reference=state.references[entity_id].conditioned, scene_image=candidate.image, region=candidate.layout.boxes.get(entity_id)),
                            tools,
                        ).score
            candidate = candidate.model_copy(update={"entity_scores": entity_scores, "score": min(entity_scores.values(), default=1.0)})
            scored[index] = [candidate]
        if candidate.score >= context.settings.consistency_threshold:
            continue
        if candidate.attempt + 1 < context.settings.consistency_attempts:
            retry[index] = candidate.attempt + 1
        elif newly_scored:
            notes.append(
                f"scene {index + 1}: no candidate reached consistency {context.settings.consistency_threshold:.2f} "
                f"in {context.settings.consistency_attempts} tries; the best one is used"
            )
    emit("consistency", f"{len(retry)} scene(s) to redo" if retry else "all scenes consistent", len(script.scenes), len(script.scenes))
    return {"candidates": scored, "scene_attempts": retry, "consistency_rounds": 1 if retry else 0, "seconds": seconds, "notes": notes}


def scene_clips_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """Animate each scene's chosen image with its action and camera move."""
    context = runtime.context
    tools = context.tools()
    script = state.script
    assert script is not None
    clips: dict[int, ClipArtifact] = {}
    seconds: dict[str, float] = {}
    engine = tools.engine.describe()
    for index, spec in enumerate(script.scenes):
        image = chosen_candidate(state, index)
        caption = spec.action
        key = content_hash("clip-v2", image.key, spec.action, spec.camera.model_dump(mode="json"), spec.duration_s, caption, image.seed, engine)
        known = state.clips.get(index)
        if known and known.key == key and known.path.is_file():
            continue
        reusable = next((clip for clip in state.clips.values() if clip.key == key and clip.path.is_file()), None)
        if reusable is not None:  # e.g. scenes were reordered: the clip is the same
            clips[index] = reusable.model_copy(update={"scene": index})
            continue
        output = artifact_path(context.run_dir, "clips", "clip", key, ".mp4")
        context.raise_if_cancelled()
        emit("clips", f"clip {index + 1}: {spec.camera.label()}", index, len(script.scenes))
        if is_complete(output):
            from videodrafter.media.video import probe_video

            info = probe_video(output)
            clips[index] = ClipArtifact(scene=index, key=key, path=output, image_key=image.key, frames=info.frames, fps=info.fps)
            continue
        with timed("scene_clips", seconds):
            result = generate_scene_clip(
                SceneClipArgs(image=image.image, action=spec.action, camera=spec.camera, duration_s=spec.duration_s, caption=caption, output=output, seed=image.seed),
                tools,
            )
        clips[index] = ClipArtifact(scene=index, key=key, path=output, image_key=image.key, frames=result.frames, fps=result.fps)
    return {"clips": clips, "seconds": seconds}


def assemble_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """Join the clips; write the video, contact sheet, subtitles, timeline and manifest."""
    context = runtime.context
    script = state.script
    assert script is not None
    seconds: dict[str, float] = {}
    context.raise_if_cancelled()
    emit("assemble", "joining clips", 0, 1)
    entries = [
        ClipEntry(clip=state.clips[index].path, scene_image=chosen_candidate(state, index).image, caption=spec.event)
        for index, spec in enumerate(script.scenes)
    ]
    with timed("assemble", seconds):
        assembled = assemble_video(AssembleArgs(title=script.title, clips=entries, output_dir=context.run_dir), context.tools())
    manifest = context.run_dir / "manifest.json"
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
            "seed": context.settings.seed,
            "settings": json.loads(context.settings.model_dump_json()),
            "resume_overrides": context.overrides,
            "plan_rounds": state.plan_rounds,
            "consistency_rounds": state.consistency_rounds,
            "usage": state.usage.model_dump(),
            "seconds": all_seconds,
            "references": {key: value.model_dump(mode="json") for key, value in state.references.items()},
            "scenes": [
                {
                    "chosen": chosen_candidate(state, index).model_dump(mode="json"),
                    "candidates": len(state.candidates.get(index, [])),
                    "clip": state.clips[index].model_dump(mode="json"),
                }
                for index in range(len(script.scenes))
            ],
            "video": assembled.info.model_dump(mode="json"),
            "notes": state.notes,
        },
    )
    result = VideoResult(
        run_dir=context.run_dir, video=assembled.video, contact_sheet=assembled.contact_sheet,
        subtitles=assembled.subtitles, timeline=assembled.timeline, manifest=manifest, info=assembled.info,
    )
    emit("assemble", "done", 1, 1)
    return {"result": result, "seconds": seconds}
