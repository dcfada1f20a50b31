"""The final video and its companions: contact sheet, subtitles and an editable timeline."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from videodrafter.media.contact_sheet import contact_sheet
from videodrafter.media.subtitles import Cue, write_srt
from videodrafter.media.timeline import TimelineClip, write_timeline
from videodrafter.media.video import (
    VideoInfo,
    concatenate_clips,
    probe_video,
    scene_spans,
)
from videodrafter.tools.context import ToolContext


class ClipEntry(BaseModel):
    clip: Path
    scene_image: Path
    caption: str


class AssembleArgs(BaseModel):
    """Join scene clips, in order, into the deliverables."""

    title: str = ""
    clips: list[ClipEntry] = Field(min_length=1)
    output_dir: Path
    crossfade_s: float | None = Field(default=None, ge=0, description="Default: settings.crossfade_s.")


class AssembleResult(BaseModel):
    video: Path
    contact_sheet: Path
    subtitles: Path
    timeline: Path
    info: VideoInfo


def assemble_video(args: AssembleArgs, context: ToolContext) -> AssembleResult:
    crossfade = context.settings.crossfade_s if args.crossfade_s is None else args.crossfade_s
    clip_infos = [probe_video(entry.clip) for entry in args.clips]
    fps = clip_infos[0].fps
    video = concatenate_clips([entry.clip for entry in args.clips], args.output_dir / "video.mp4", fps, crossfade_s=crossfade)
    spans = scene_spans([info.frames for info in clip_infos], round(crossfade * fps))
    cues = [
        Cue(start_s=first / fps, end_s=last / fps, text=entry.caption)
        for entry, (first, last) in zip(args.clips, spans, strict=True)
    ]
    subtitles = write_srt(cues, args.output_dir / "video.srt")
    sheet = contact_sheet([entry.scene_image for entry in args.clips], [entry.caption for entry in args.clips], args.output_dir / "contact_sheet.png")
    timeline = write_timeline(
        args.title,
        [
            TimelineClip(name=f"scene {number}", media=entry.clip, frames=info.frames, metadata={"caption": entry.caption})
            for number, (entry, info) in enumerate(zip(args.clips, clip_infos, strict=True), start=1)
        ],
        fps,
        args.output_dir / "timeline.otio",
    )
    return AssembleResult(video=video, contact_sheet=sheet, subtitles=subtitles, timeline=timeline, info=probe_video(video))
