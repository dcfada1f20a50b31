"""Typed tools (pydantic arguments in, pydantic results out) that the graph and the chat agent call."""

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
from videodrafter.tools.context import ToolContext
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
    "SegmentResult", "ToolContext", "assemble_video", "generate_reference_image", "generate_scene_clip",
    "generate_scene_image", "measure_consistency", "segment_foreground",
]
