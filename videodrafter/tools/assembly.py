"""The final video and its companions: contact sheet, subtitles and an editable timeline."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from videodrafter.media.contact_sheet import contact_sheet
from videodrafter.media.files import OutputLedger, content_hash
from videodrafter.media.subtitles import Cue, write_srt
from videodrafter.media.timeline import TimelineClip, write_timeline
from videodrafter.media.video import (
    VideoInfo,
    concatenate_clips,
    probe_video,
    scene_spans,
)
from videodrafter.tools.context import ToolContext

LEDGER = "outputs.json"
"""Next to the deliverables: the input key each one was made from (see ``OutputLedger``)."""


class ClipEntry(BaseModel):
    clip: Path
    scene_image: Path
    caption: str
    candidates: list[Path] = Field(default_factory=list, description="Every candidate image of the scene (empty: just one).")
    chosen: int = Field(default=0, ge=0, description="Which of the candidates is the scene image.")


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
    """Write the four deliverables; one already made from the same inputs is kept as it is
    (a resumed run does not rewrite a finished ``video.mp4``)."""
    crossfade = context.settings.crossfade_s if args.crossfade_s is None else args.crossfade_s
    clip_infos = [probe_video(entry.clip) for entry in args.clips]
    fps = clip_infos[0].fps
    overlap_frames = round(crossfade * fps)
    ledger = OutputLedger(args.output_dir / LEDGER)
    key = content_hash(
        "assembly-v2", args.title, crossfade, [entry.model_dump(mode="json") for entry in args.clips],
        [_stamp(path) for entry in args.clips for path in (entry.clip, entry.scene_image)],
    )

    def make(target: Path, write) -> Path:
        if not ledger.fresh(target, key):
            write(target)
            ledger.record(target, key)
        return target

    video = make(args.output_dir / "video.mp4", lambda target: concatenate_clips([entry.clip for entry in args.clips], target, fps, crossfade_s=crossfade))
    spans = scene_spans([info.frames for info in clip_infos], overlap_frames)
    cues = [
        Cue(start_s=first / fps, end_s=last / fps, text=entry.caption)
        for entry, (first, last) in zip(args.clips, spans, strict=True)
    ]
    subtitles = make(args.output_dir / "video.srt", lambda target: write_srt(cues, target))
    sheet = make(
        args.output_dir / "contact_sheet.png",
        lambda target: contact_sheet(
            [entry.scene_image for entry in args.clips], [entry.caption for entry in args.clips], target,
            candidates=[(entry.candidates, entry.chosen) for entry in args.clips],
        ),
    )
    timeline_clips = [
        TimelineClip(name=f"scene {number}", media=entry.clip, frames=info.frames, metadata={"caption": entry.caption})
        for number, (entry, info) in enumerate(zip(args.clips, clip_infos, strict=True), start=1)
    ]
    timeline = make(
        args.output_dir / "timeline.otio",
        lambda target: write_timeline(args.title, timeline_clips, fps, target, overlap_frames=overlap_frames),
    )
    return AssembleResult(video=video, contact_sheet=sheet, subtitles=subtitles, timeline=timeline, info=probe_video(video))


def _stamp(path: Path) -> tuple[str, int, int]:
    """Which file, as it is now: scene clips and images are named by their content hash and never
    rewritten, so name, size and mtime identify their content without hashing every frame."""
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns
