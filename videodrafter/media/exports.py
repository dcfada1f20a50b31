"""A run's timeline for the editors people use: Final Cut Pro (FCPXML), Premiere / Resolve (FCP 7 XML),
any NLE (CMX 3600 EDL) and Kdenlive, written from ``timeline.otio`` by OpenTimelineIO's adapters; and
CapCut / Jianying, a draft folder written from the same timeline by pyJianYingDraft.

Each keeps the cuts, the held frames and the crossfades, with the clips and the narration as media
references (absolute paths); an EDL has one video track, so it carries the picture only. A CapCut
draft also carries the subtitles (``video.srt``) as a text track.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import tempfile
import uuid
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlparse
from urllib.request import url2pathname

from videodrafter.errors import InputError, VideoDrafterError
from videodrafter.media.files import TEMP_MARKER, atomic_path, save_png_atomic
from videodrafter.media.video import decode_frames, probe_video

if TYPE_CHECKING:
    import opentimelineio as otio

ExportFormat = Literal["fcpxml", "premiere-xml", "edl", "kdenlive", "capcut"]
FORMATS: dict[str, tuple[str, str]] = {
    "fcpxml": ("fcpx_xml", ".fcpxml"),
    "premiere-xml": ("fcp_xml", ".xml"),
    "edl": ("cmx_3600", ".edl"),
    "kdenlive": ("kdenlive", ".kdenlive"),
}
"""Our name → (OpenTimelineIO adapter, file suffix)."""

DRAFT_FORMATS: dict[str, str] = {"capcut": ".capcut"}
"""Our name → suffix of the draft folder, for editors that open a folder rather than one file."""

EXPORT_FORMATS = (*FORMATS, *DRAFT_FORMATS)
"""Every name ``export --format`` takes, in the order the help lists them."""


EDITOR_RATES = (24, 25, 30, 50, 60)
"""Frame rates every editor's timecode knows: a run's rate (12 fps on the small presets) is put on the next one."""


def _editor_rate(rate: float) -> int:
    return next((candidate for candidate in EDITOR_RATES if candidate >= rate), EDITOR_RATES[-1])


def _at_editor_rate(timeline):
    """The timeline with every time at an editor's frame rate (the same seconds, counted in its frames)."""
    import opentimelineio as otio

    rate = next((clip.duration().rate for clip in timeline.find_clips()), 24)
    if rate in EDITOR_RATES:
        return timeline
    target = _editor_rate(rate)

    def rescaled(span):
        return None if span is None else otio.opentime.TimeRange(span.start_time.rescaled_to(target), span.duration.rescaled_to(target))

    for track in timeline.tracks:
        for item in track:
            if isinstance(item, otio.schema.Transition):
                item.in_offset, item.out_offset = item.in_offset.rescaled_to(target), item.out_offset.rescaled_to(target)
                continue
            item.source_range = rescaled(item.source_range)
            reference = getattr(item, "media_reference", None)
            if reference is not None and reference.available_range is not None:
                reference.available_range = rescaled(reference.available_range)
    return timeline


def export_timeline(run_dir: Path, export_format: str) -> Path:
    """Write ``export/<run>.<suffix>`` from the run's timeline (a file, or a draft folder); returns its path."""
    import opentimelineio as otio

    if export_format not in EXPORT_FORMATS:
        raise InputError(f"'{export_format}' is not an export format.", f"Use one of: {', '.join(EXPORT_FORMATS)}.")
    source = run_dir / "timeline.otio"
    if not source.is_file():
        raise InputError(f"The run in {run_dir} has no timeline yet.", "Finish the run first (videodrafter resume …).")
    if export_format in DRAFT_FORMATS:
        target = run_dir / "export" / f"{run_dir.name}{DRAFT_FORMATS[export_format]}"
        return write_capcut_draft(run_dir, otio.adapters.read_from_file(str(source)), target)
    adapter, suffix = FORMATS[export_format]
    timeline = _at_editor_rate(otio.adapters.read_from_file(str(source)))
    if export_format == "edl":  # one video track is all an EDL holds
        timeline.tracks[:] = [track for track in timeline.tracks if track.kind == otio.schema.TrackKind.Video][:1]
    target = run_dir / "export" / f"{run_dir.name}{suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as partial, contextlib.redirect_stdout(io.StringIO()):  # adapters print notices
        otio.adapters.write_to_file(timeline, str(partial), adapter_name=adapter)
    return target


def _capcut_library():
    """pyJianYingDraft, once it can measure media (it reads lengths and sizes through libmediainfo)."""
    try:
        import pyJianYingDraft
        import pymediainfo
    except ImportError as error:
        raise VideoDrafterError(
            "The CapCut export needs pyJianYingDraft, which is not installed.", "Run `pip install pyJianYingDraft==0.3.1` (make setup does)."
        ) from error
    if not pymediainfo.MediaInfo.can_parse():
        raise VideoDrafterError(
            "The CapCut export needs the MediaInfo library (libmediainfo) to read the clips, and it is not installed.",
            "Install it with `apt-get install libmediainfo0v5` (make setup does; on macOS `brew install media-info`).",
        )
    return pyJianYingDraft


def write_capcut_draft(run_dir: Path, timeline: otio.schema.Timeline, target: Path) -> Path:
    """A CapCut / Jianying draft folder (``draft_content.json``, ``draft_meta_info.json``) at ``target``.

    Tracks: the scenes (a held last picture is the clip's last frame as a still), the timeline's
    audio tracks (narration, music) and the subtitles. Segments sit at the timeline's cut points, in
    microseconds, so the picture is as long as ``video.mp4``; a crossfade is CapCut's dissolve on the
    outgoing segment. Media are the run's files by absolute path, so CapCut finds them in place.
    """
    draft = _capcut_library()
    video = probe_video(run_dir / "video.mp4")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}{TEMP_MARKER}", dir=target.parent))
    try:
        script = draft.DraftFolder(str(staging.parent)).create_draft(
            staging.name, video.width, video.height, _editor_rate(video.fps), allow_replace=True
        )
        for track in timeline.tracks:
            _capcut_track(draft, script, track, staging, target)
        if (run_dir / "video.srt").is_file():
            script.import_srt(str(run_dir / "video.srt"), "subtitles")
        script.save()
        _name_draft(staging / "draft_meta_info.json", target, script.duration)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _capcut_track(draft, script, track: otio.schema.Track, staging: Path, target: Path) -> None:
    """One timeline track as a CapCut track of the same name; gaps stay empty, a transition becomes a dissolve."""
    import opentimelineio as otio

    video = track.kind == otio.schema.TrackKind.Video
    reference = script.append_track(draft.TrackSpec(draft.TrackType.video if video else draft.TrackType.audio, track.name))
    segments = []
    for item in track:
        if isinstance(item, otio.schema.Transition):
            length = round((item.in_offset + item.out_offset).to_seconds() * draft.SEC)
            segments[-1].add_transition(draft.TransitionType["叠化"], duration=length)  # 叠化: dissolve
            continue
        if not isinstance(item, otio.schema.Clip):
            continue
        span = track.range_of_child(item)
        place = draft.trange_seconds(span.start_time.to_seconds(), end=span.end_time_exclusive().to_seconds())
        media = _media_path(item.media_reference.target_url)
        if video and any(isinstance(effect, otio.schema.FreezeFrame) for effect in item.effects):
            segments.append(draft.VideoSegment(_last_frame(draft, media, staging, target), place))
            continue
        material = (draft.VideoMaterial if video else draft.AudioMaterial)(str(media))
        # MediaInfo counts whole milliseconds; the timeline's frames are exact
        available = item.media_reference.available_range
        if available is not None:
            material.duration = max(material.duration, round(available.end_time_exclusive().to_seconds() * draft.SEC))
        first = min(round(item.source_range.start_time.to_seconds() * draft.SEC), material.duration - place.duration)  # ≤ 1 µs of rounding
        source = draft.Timerange(first, place.duration)
        segments.append((draft.VideoSegment if video else draft.AudioSegment)(material, place, source_timerange=source))
    for segment in segments:
        script.add_segment(segment, reference)


def _media_path(url: str) -> Path:
    path = Path(url2pathname(urlparse(url).path)) if url.startswith("file:") else Path(url)
    if not path.is_file():
        raise InputError(f"The run's file {path} is missing, so the draft would point at nothing.", "Resume the run (videodrafter resume …) to make it again.")
    return path


def _last_frame(draft, clip: Path, staging: Path, target: Path):
    """The clip's last frame as a still: the run's own ``<clip>.last.png``, or one written into the draft's ``held/``."""
    kept = clip.with_name(clip.stem + ".last.png")
    if kept.is_file():
        return draft.VideoMaterial(str(kept.resolve()))
    from PIL import Image

    last = deque(decode_frames(clip), maxlen=1)[0]
    written = save_png_atomic(Image.fromarray(last, mode="RGB"), staging / "held" / kept.name)
    material = draft.VideoMaterial(str(written))
    material.path = str((target / "held" / kept.name).resolve())  # where the draft folder ends up
    return material


def _name_draft(meta_path: Path, target: Path, duration_us: int) -> None:
    """CapCut lists a draft by the name, id and length in its meta file; the library's template has one fixed id for all."""
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.update(draft_name=target.name, draft_id=str(uuid.uuid4()).upper(), tm_duration=duration_us)
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
