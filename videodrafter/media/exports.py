"""A run's timeline for the editors people use: Final Cut Pro (FCPXML), Premiere / Resolve (FCP 7 XML),
any NLE (CMX 3600 EDL) and Kdenlive, written from ``timeline.otio`` by OpenTimelineIO's adapters.

Each keeps the cuts, the held frames and the crossfades, with the clips and the narration as media
references (absolute paths); an EDL has one video track, so it carries the picture only.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Literal

from videodrafter.errors import InputError
from videodrafter.media.files import atomic_path

ExportFormat = Literal["fcpxml", "premiere-xml", "edl", "kdenlive"]
FORMATS: dict[str, tuple[str, str]] = {
    "fcpxml": ("fcpx_xml", ".fcpxml"),
    "premiere-xml": ("fcp_xml", ".xml"),
    "edl": ("cmx_3600", ".edl"),
    "kdenlive": ("kdenlive", ".kdenlive"),
}
"""Our name → (OpenTimelineIO adapter, file suffix)."""


EDITOR_RATES = (24, 25, 30, 50, 60)
"""Frame rates every editor's timecode knows: a run's rate (12 fps on the small presets) is put on the next one."""


def _at_editor_rate(timeline):
    """The timeline with every time at an editor's frame rate (the same seconds, counted in its frames)."""
    import opentimelineio as otio

    rate = next((clip.duration().rate for clip in timeline.find_clips()), 24)
    if rate in EDITOR_RATES:
        return timeline
    target = next((candidate for candidate in EDITOR_RATES if candidate >= rate), EDITOR_RATES[-1])

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
    """Write ``export/<run>.<suffix>`` from the run's timeline; returns its path."""
    import opentimelineio as otio

    if export_format not in FORMATS:
        raise InputError(f"'{export_format}' is not an export format.", f"Use one of: {', '.join(FORMATS)}.")
    source = run_dir / "timeline.otio"
    if not source.is_file():
        raise InputError(f"The run in {run_dir} has no timeline yet.", "Finish the run first (videodrafter resume …).")
    adapter, suffix = FORMATS[export_format]
    timeline = _at_editor_rate(otio.adapters.read_from_file(str(source)))
    if export_format == "edl":  # one video track is all an EDL holds
        timeline.tracks[:] = [track for track in timeline.tracks if track.kind == otio.schema.TrackKind.Video][:1]
    target = run_dir / "export" / f"{run_dir.name}{suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as partial, contextlib.redirect_stdout(io.StringIO()):  # adapters print notices
        otio.adapters.write_to_file(timeline, str(partial), adapter_name=adapter)
    return target
