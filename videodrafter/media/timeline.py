"""An OpenTimelineIO timeline of the scenes, for editing the draft in a real NLE."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from videodrafter.media.files import atomic_path
from videodrafter.media.video import crossfade_overlaps, fade_cuts


class TimelineClip(BaseModel):
    name: str
    media: Path
    frames: int
    metadata: dict[str, str] = {}


def write_timeline(title: str, clips: list[TimelineClip], fps: float, target: Path, *, overlap_frames: int = 0) -> Path:
    """One video track with a clip per scene, each pointing at its scene clip file.

    Crossfades are OTIO dissolves cut where ``scene_spans`` cuts the subtitles: the incoming clip
    starts ``before`` frames into its media (those frames play under the end of the outgoing clip)
    and the outgoing clip stops ``after`` frames before its end (they play in the fade). The track
    is then exactly as long as the crossfaded ``video.mp4``.
    """
    import opentimelineio as otio

    def frames(count: int) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(count, fps)

    cuts = fade_cuts(crossfade_overlaps([clip.frames for clip in clips], overlap_frames))
    timeline = otio.schema.Timeline(name=title or "videodrafter")
    track = otio.schema.Track(name="scenes", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for index, clip in enumerate(clips):
        head = cuts[index - 1][0] if index else 0  # media shown before this clip's cut, inside the fade
        tail = cuts[index][1] if index < len(cuts) else 0  # media shown after the next cut
        if index and sum(cuts[index - 1]):
            before, after = cuts[index - 1]
            track.append(
                otio.schema.Transition(
                    name=f"crossfade {index}-{index + 1}", transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                    in_offset=frames(before), out_offset=frames(after),
                )
            )
        reference = otio.schema.ExternalReference(
            target_url=clip.media.resolve().as_uri(),
            available_range=otio.opentime.TimeRange(frames(0), frames(clip.frames)),
        )
        track.append(
            otio.schema.Clip(
                name=clip.name,
                media_reference=reference,
                source_range=otio.opentime.TimeRange(frames(head), frames(clip.frames - head - tail)),
                metadata={"videodrafter": dict(clip.metadata)},
            )
        )
    with atomic_path(target) as temporary:
        otio.adapters.write_to_file(timeline, str(temporary), adapter_name="otio_json")
    return target
