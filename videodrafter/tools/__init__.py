"""Typed tools (pydantic arguments in, pydantic results out): what the graph's media stages call to
make and measure pictures and clips on the run's engine. Each takes a narrow argument model and
returns a result model; none of them knows the graph, the run folder's layout or the LLM."""

from videodrafter.tools.assembly import (
    AssembleArgs,
    AssembleResult,
    ClipEntry,
    assemble_video,
)
from videodrafter.tools.consistency import (
    ConsistencyArgs,
    ConsistencyResult,
    measure_consistency,
)
from videodrafter.tools.references import (
    ReferenceImageArgs,
    ReferenceImageResult,
    SegmentArgs,
    SegmentResult,
    generate_reference_image,
    segment_foreground,
)
from videodrafter.tools.scenes import (
    CandidateTarget,
    SceneCandidatesArgs,
    SceneClipArgs,
    SceneClipResult,
    SceneImageArgs,
    SceneImageResult,
    generate_scene_candidates,
    generate_scene_clip,
    generate_scene_image,
)

__all__ = [
    "CandidateTarget", "SceneCandidatesArgs", "generate_scene_candidates",
    "AssembleArgs", "AssembleResult", "ClipEntry", "ConsistencyArgs", "ConsistencyResult", "ReferenceImageArgs",
    "ReferenceImageResult", "SceneClipArgs", "SceneClipResult", "SceneImageArgs", "SceneImageResult", "SegmentArgs",
    "SegmentResult", "assemble_video", "generate_reference_image", "generate_scene_clip",
    "generate_scene_image", "measure_consistency", "segment_foreground",
]
