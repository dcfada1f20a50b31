"""An OpenTimelineIO timeline of the scenes, for editing the draft in a real NLE."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from videodrafter.media.files import atomic_path


class TimelineClip(BaseModel):
    name: str
    media: Path
    frames: int
    metadata: dict[str, str] = {}


def write_timeline(title: str, clips: list[TimelineClip], fps: float, target: Path) -> Path:
    """One video track with a clip per scene, each pointing at its scene clip file."""
    import opentimelineio as otio

    timeline = otio.schema.Timeline(name=title or "videodrafter")
    track = otio.schema.Track(name="scenes", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for clip in clips:
        duration = otio.opentime.RationalTime(clip.frames, fps)
        reference = otio.schema.ExternalReference(
            target_url=clip.media.resolve().as_uri(),
            available_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, fps), duration),
        )
        track.append(
            otio.schema.Clip(
                name=clip.name,
                media_reference=reference,
                source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, fps), duration),
                metadata={"videodrafter": dict(clip.metadata)},
            )
        )
    with atomic_path(target) as temporary:
        otio.adapters.write_to_file(timeline, str(temporary), adapter_name="otio_json")
    return target
