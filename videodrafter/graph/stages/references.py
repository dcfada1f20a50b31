"""Stage: a reference picture per entity the scenes use (the user's photo when given), segmented with U²-Net."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from langgraph.runtime import Runtime
from PIL import Image

from videodrafter.graph.artifacts import ReferenceArtifact
from videodrafter.graph.cancellation import raise_if_cancelled
from videodrafter.graph.context import RunContext
from videodrafter.graph.progress import emit, timed
from videodrafter.graph.stages import store
from videodrafter.graph.state import State
from videodrafter.media.files import content_hash
from videodrafter.run_resources import RunResources
from videodrafter.script import Entity, VideoScript
from videodrafter.tools import ReferenceImageArgs, SegmentArgs, generate_reference_image, segment_foreground
from videodrafter.tools.references import depict_entity


def used_entities(script: VideoScript) -> list[str]:
    """The entities the scenes show, in order of first appearance."""
    used: list[str] = []
    for scene in script.scenes:
        for entity_id in [*scene.foreground, scene.background]:
            if entity_id not in used:
                used.append(entity_id)
    return used


def reference_key(script: VideoScript, entity_id: str, context: RunContext) -> str:
    entity = script.entity(entity_id)
    photo = Path(entity.reference_image) if entity.reference_image else None
    return content_hash(
        "reference-v3", entity.model_dump(mode="json", exclude={"reference_image"}),
        photo if photo and photo.is_file() else None, context.resources().engine.describe(), context.settings.seed,
    )


def entity_source(entity: Entity) -> str:
    return "photo" if entity.reference_image else "generated"


def reference_images_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """A reference per entity the scenes use; those already made (by key) are kept."""
    context = runtime.context
    script = state.script
    assert script is not None
    references: dict[str, ReferenceArtifact] = {}
    seconds: dict[str, float] = {}
    wanted = used_entities(script)
    for done, entity_id in enumerate(wanted):
        # 1. Known to the state under the same key: nothing to do
        key = reference_key(script, entity_id, context)
        known = state.references.get(entity_id)
        if known and known.key == key and known.conditioned.is_file():
            continue
        # 2. Recorded or finished on disk, else made now
        raise_if_cancelled()
        entity = script.entity(entity_id)
        emit("references", f"reference for '{entity.name}'", done, len(wanted))
        files = {name: store.artifact_path(context.folder, "entities", entity_id, key, suffix)
                 for name, suffix in (("image", ".png"), ("conditioned", ".ref.png"), ("mask", ".mask.png"))}
        resources = context.resources()
        with timed("reference_images", seconds):
            references[entity_id] = store.reuse_or_make(
                files, ReferenceArtifact,
                make=lambda: _make_reference(entity, key, files, context.settings.seed, resources),
                recover=lambda: _reference_from_files(entity, key, files, resources),
            )
    notes = [f"'{script.entity(ref.entity_id).name}': {ref.note}" for ref in references.values() if ref.note]
    return {"references": references, "seconds": seconds, "notes": notes}


def _make_reference(entity: Entity, key: str, files: dict[str, Path], seed: int, resources: RunResources) -> ReferenceArtifact:
    """Draw (or take the photo), then segment: background cut out of a subject, subjects out of a place."""
    source = entity_source(entity)
    if not files["image"].is_file():
        made = generate_reference_image(ReferenceImageArgs(entity=entity, output=files["image"], seed=seed), resources)
        source, depiction = made.source, made.depiction
    else:  # drawn before a kill, not yet segmented
        depiction = depict_entity(entity, resources)
    engine = resources.engine
    clean = source == "generated" and engine.draws_clean_backgrounds
    solid = source == "generated" and engine.draws_solid_subjects
    segmented = segment_foreground(
        SegmentArgs(image=files["image"], kind=entity.kind, output=files["conditioned"], mask_output=files["mask"], paint_out=not clean, fill_holes=solid),
        resources,
    )
    return ReferenceArtifact(
        entity_id=entity.id, key=key, source=source, coverage=segmented.coverage, note=segmented.note, depiction=depiction, **files,
    )


def _reference_from_files(entity: Entity, key: str, files: dict[str, Path], resources: RunResources) -> ReferenceArtifact:
    """Finished before a kill, unrecorded: what was measured is read back from the mask."""
    with Image.open(files["mask"]) as opened:
        coverage = float(np.asarray(opened.convert("L"), dtype=np.float32).mean() / 255)
    return ReferenceArtifact(
        entity_id=entity.id, key=key, source=entity_source(entity), coverage=coverage, depiction=depict_entity(entity, resources), **files,
    )
