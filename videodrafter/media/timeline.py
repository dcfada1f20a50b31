"""An OpenTimelineIO timeline of the scenes, for editing the draft in a real NLE."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from videodrafter.media.files import atomic_path
from videodrafter.media.video import crossfade_overlaps, fade_cuts, scene_spans

if TYPE_CHECKING:
    import opentimelineio as otio


class TimelineClip(BaseModel):
    name: str
    media: Path
    frames: int
    hold: int = Field(default=0, ge=0, description="Frames the clip's last picture is held after it (for the narration).")
    metadata: dict[str, str] = {}


class TimelineSpeech(BaseModel):
    """A scene's spoken narration on the audio track: its file, where it starts inside the scene, how long it is."""

    media: Path
    offset_frames: int = Field(ge=0)
    duration_s: float = Field(gt=0)
    text: str = ""


class TimelineMusic(BaseModel):
    """The music bed as mixed (looped, faded, levelled, ducked): one file as long as the video."""

    media: Path
    description: str = ""


def write_timeline(
    title: str, clips: list[TimelineClip], fps: float, target: Path, *, overlap_frames: int = 0,
    speech: list[TimelineSpeech | None] | None = None, music: TimelineMusic | None = None,
) -> Path:
    """One video track with a clip per scene, each pointing at its scene clip file, and (with
    ``speech``) an audio track with the narration, cut at the same points, and (with ``music``) an
    audio track with the music bed from the first frame to the last.

    Crossfades are OTIO dissolves cut where ``scene_spans`` cuts the subtitles: the incoming clip
    starts ``before`` frames into its media (those frames play under the end of the outgoing clip)
    and the outgoing clip stops ``after`` frames before its end (they play in the fade). The track
    is then exactly as long as the crossfaded ``video.mp4``. A held last picture is a freeze-frame
    clip after its scene's clip (a hold is never shorter than a fade, so the fade only eats held frames).
    """
    import opentimelineio as otio

    def frames(count: float) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(count, fps)

    lengths = [clip.frames + clip.hold for clip in clips]
    cuts = fade_cuts(crossfade_overlaps(lengths, overlap_frames))
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
        track.extend(_scene_clips(clip, head, tail, frames))
    if speech is not None and any(line is not None for line in speech):
        timeline.tracks.append(_speech_track(speech, scene_spans(lengths, overlap_frames), frames))
    if music is not None:
        timeline.tracks.append(_music_track(music, scene_spans(lengths, overlap_frames)[-1][1], frames))
    with atomic_path(target) as temporary:
        otio.adapters.write_to_file(timeline, str(temporary), adapter_name="otio_json")
    return target


def _scene_clips(clip: TimelineClip, head: int, tail: int, frames: Callable[[float], otio.opentime.RationalTime]) -> list[otio.schema.Clip]:
    """The scene's clip, less the media the fades show; then, if it is held, its last picture frozen."""
    import opentimelineio as otio

    def reference() -> otio.schema.ExternalReference:
        return otio.schema.ExternalReference(
            target_url=clip.media.resolve().as_uri(),
            available_range=otio.opentime.TimeRange(frames(0), frames(clip.frames)),
        )

    body_tail = 0 if clip.hold else tail
    scene = otio.schema.Clip(
        name=clip.name,
        media_reference=reference(),
        source_range=otio.opentime.TimeRange(frames(head), frames(clip.frames - head - body_tail)),
        metadata={"videodrafter": dict(clip.metadata)},
    )
    if not clip.hold:
        return [scene]
    held = otio.schema.Clip(
        name=f"{clip.name} (held)",
        media_reference=reference(),
        source_range=otio.opentime.TimeRange(frames(clip.frames - 1), frames(clip.hold - tail)),
        metadata={"videodrafter": {"hold_frames": str(clip.hold)}},
    )
    held.effects.append(otio.schema.FreezeFrame())
    return [scene, held]


def _speech_track(speech: list[TimelineSpeech | None], spans: list[tuple[float, float]], frames):
    """Per scene: silence up to the line, the line, silence to the cut; so its cuts are the video's."""
    import opentimelineio as otio

    track = otio.schema.Track(name="narration", kind=otio.schema.TrackKind.Audio)
    for number, (line, (first, end)) in enumerate(zip(speech, spans, strict=True), start=1):
        length = end - first
        if line is None:
            track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(frames(0), frames(length))))
            continue
        spoken = min(line.duration_s * frames(1).rate, length - line.offset_frames)
        if line.offset_frames:
            track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(frames(0), frames(line.offset_frames))))
        track.append(
            otio.schema.Clip(
                name=f"narration {number}",
                media_reference=otio.schema.ExternalReference(
                    target_url=line.media.resolve().as_uri(),
                    available_range=otio.opentime.TimeRange(frames(0), frames(line.duration_s * frames(1).rate)),
                ),
                source_range=otio.opentime.TimeRange(frames(0), frames(spoken)),
                metadata={"videodrafter": {"narration": line.text}},
            )
        )
        rest = length - line.offset_frames - spoken
        if rest > 0:
            track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(frames(0), frames(rest))))
    return track


def _music_track(music: TimelineMusic, length: float, frames):
    import opentimelineio as otio

    track = otio.schema.Track(name="music", kind=otio.schema.TrackKind.Audio)
    track.append(
        otio.schema.Clip(
            name="music",
            media_reference=otio.schema.ExternalReference(
                target_url=music.media.resolve().as_uri(), available_range=otio.opentime.TimeRange(frames(0), frames(length)),
            ),
            source_range=otio.opentime.TimeRange(frames(0), frames(length)),
            metadata={"videodrafter": {"music": music.description}},
        )
    )
    return track
