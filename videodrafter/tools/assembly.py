"""The final video and its companions: contact sheet, subtitles and an editable timeline."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from videodrafter.audio.engines import wav_duration
from videodrafter.audio.mixer import Levels, Placement, Soundtrack, mux_narration, soundtrack, write_wav
from videodrafter.audio.music import MusicSource, music_bed, music_source
from videodrafter.config import Settings
from videodrafter.errors import InputError
from videodrafter.media.contact_sheet import contact_sheet
from videodrafter.media.files import OutputLedger, content_hash
from videodrafter.media.subtitles import Cue, SubtitleStyle, burn_cues, write_srt
from videodrafter.media.timeline import TimelineClip, TimelineMusic, TimelineSpeech, write_timeline
from videodrafter.media.video import (
    VideoInfo,
    concatenate_clips,
    hold_frames,
    probe_video,
    scene_spans,
)
from videodrafter.script import MAX_SCENE_S
from videodrafter.run_resources import RunResources

LEDGER = "outputs.json"
"""Next to the deliverables: the input key each one was made from (see ``OutputLedger``)."""
LEAD_S = 0.2
"""Silence after a cut before the narrator speaks (rounded up to whole frames)."""
PAUSE_S = 0.4
"""Silence after a line before the next cut: the scene is held at least this long past the speech."""


class ClipEntry(BaseModel):
    clip: Path
    scene_image: Path
    caption: str
    candidates: list[Path] = Field(default_factory=list, description="Every candidate image of the scene (empty: just one).")
    chosen: int = Field(default=0, ge=0, description="Which of the candidates is the scene image.")
    narration: Path | None = Field(default=None, description="The scene's spoken narration (WAV); None: silent.")
    narration_text: str = Field(default="", description="What the narration says (the scene's subtitle).")


class AssembleArgs(BaseModel):
    """Join scene clips, in order, into the deliverables."""

    title: str = ""
    clips: list[ClipEntry] = Field(min_length=1)
    output_dir: Path
    crossfade_s: float | None = Field(default=None, ge=0, description="Default: settings.crossfade_s.")
    music: str | None = Field(default=None, description="The script's music choice ('none', 'auto'); default: settings.music.")


class AssembleResult(BaseModel):
    video: Path
    contact_sheet: Path
    subtitles: Path
    timeline: Path
    info: VideoInfo
    narrated: bool = Field(default=False, description="video.mp4 has a narration track.")
    holds: list[int] = Field(default_factory=list, description="Frames each scene's last picture is held for its narration.")
    music: MusicSource | None = Field(default=None, description="What the music bed was made from (None: no music).")
    music_file: Path | None = Field(default=None, description="The music as mixed (looped, faded, levelled, ducked), for the timeline.")


@dataclass(frozen=True)
class _Timing:
    """Where every scene starts and ends in the video, and when its narration is spoken."""

    crossfade: float
    clip_infos: list[VideoInfo]
    fps: float
    overlap_frames: int
    speech_s: list[float]  # 0.0: a silent scene
    lead: int  # frames between a cut and the narrator's first word
    holds: list[int]
    spans: list[tuple[float, float]]
    speech_starts: list[float]


def assemble_video(args: AssembleArgs, context: RunResources) -> AssembleResult:
    """Write the deliverables; one already made from the same inputs is kept as it is
    (a resumed run does not rewrite a finished ``video.mp4``).

    Narrated scenes last at least as long as their speech (LEAD_S + the line + PAUSE_S): the clip
    holds its last picture for the rest. The subtitles carry each line with its spoken timing, and
    are burned into the picture as ``Settings.subtitle_*`` say. The music bed (``Settings.music``)
    lies under the speech, ducked while someone speaks; it and the subtitle style are in the key of
    the video and the timeline only, so changing them remakes nothing else.
    """
    # 1. timing: what each scene's narration needs, and the held frames that give it
    settings = context.settings
    timing = _scene_timing(args, settings.crossfade_s if args.crossfade_s is None else args.crossfade_s)
    ledger = OutputLedger(args.output_dir / LEDGER)
    key = content_hash(
        "assembly-v3", args.title, timing.crossfade, [entry.model_dump(mode="json") for entry in args.clips], timing.holds, LEAD_S,
        [_stamp(path) for entry in args.clips for path in (entry.clip, entry.scene_image, entry.narration) if path is not None],
    )
    sound = _Sound.of(args, timing, settings)
    style = SubtitleStyle(burn=settings.subtitle_burn, position=settings.subtitle_position, size=settings.subtitle_size, box=settings.subtitle_box)
    picture_key = content_hash("assembly-sound-v1", key, sound.key(), style.model_dump(mode="json"))

    def make(target: Path, write: Callable[[Path], object], made_from: str = key) -> Path:
        if not ledger.fresh(target, made_from):
            write(target)
            ledger.record(target, made_from)
        return target

    # 2. the video (subtitles burned in), then its sound track: speech, and music ducked under it
    cues = _cues(args.clips, timing)
    music_stem = make(args.output_dir / "audio" / "music.wav", sound.write_music, picture_key) if sound.source else None
    video = make(args.output_dir / "video.mp4", lambda target: _write_video(args.clips, timing, cues, style, sound, target), picture_key)
    # 3. the subtitles file (always) and the contact sheet
    subtitles = make(args.output_dir / "video.srt", lambda target: write_srt(cues, target))
    sheet = make(
        args.output_dir / "contact_sheet.png",
        lambda target: contact_sheet(
            [entry.scene_image for entry in args.clips], [entry.caption for entry in args.clips], target,
            candidates=[(entry.candidates, entry.chosen) for entry in args.clips],
        ),
    )
    # 4. the timeline: the same cuts on the video and the narration tracks, and the music under them
    timeline_clips, speech = _timeline_tracks(args.clips, timing)
    music = TimelineMusic(media=music_stem, description=sound.source.describe()) if music_stem and sound.source else None
    timeline = make(
        args.output_dir / "timeline.otio",
        lambda target: write_timeline(
            args.title, timeline_clips, timing.fps, target, overlap_frames=timing.overlap_frames, speech=speech, music=music,
        ),
        picture_key,
    )
    return AssembleResult(
        video=video, contact_sheet=sheet, subtitles=subtitles, timeline=timeline, info=probe_video(video),
        narrated=any(timing.speech_s), holds=timing.holds, music=sound.source, music_file=music_stem,
    )


class _Sound:
    """The video's sound: the speech placements and the music bed, mixed once when first asked for."""

    def __init__(self, placements: list[Placement], duration_s: float, source: MusicSource | None, levels: Levels) -> None:
        self.placements, self.duration_s, self.source, self.levels = placements, duration_s, source, levels
        self._mixed: Soundtrack | None = None

    @classmethod
    def of(cls, args: AssembleArgs, timing: _Timing, settings: Settings) -> _Sound:
        placements = [
            Placement(path=entry.narration, start_s=start)
            for entry, start in zip(args.clips, timing.speech_starts, strict=True) if entry.narration is not None
        ]
        texts = [text for entry in args.clips for text in (entry.caption, entry.narration_text)]
        source = music_source(args.music or settings.music, title=args.title, texts=texts, seed=settings.seed)
        levels = Levels(voice_db=settings.voice_level_db, music_db=settings.music_level_db, ducking_db=settings.music_ducking_db)
        return cls(placements, timing.spans[-1][1] / timing.fps, source, levels)

    @property
    def audible(self) -> bool:
        return bool(self.placements) or self.source is not None

    def key(self) -> list:
        return [self.source.model_dump(mode="json") if self.source else None, self.levels.model_dump(mode="json") if self.audible else None]

    def mixed(self) -> Soundtrack:
        if self._mixed is None:
            bed = music_bed(self.source, self.duration_s) if self.source else None
            self._mixed = soundtrack(self.placements, self.duration_s, bed, self.levels)
        return self._mixed

    def write_music(self, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_wav(self.mixed().music, target)


def _scene_timing(args: AssembleArgs, crossfade: float) -> _Timing:
    """Each scene's speech, the frames its last picture is held for it, and where it then sits in the video."""
    clip_infos = [probe_video(entry.clip) for entry in args.clips]
    fps = clip_infos[0].fps
    overlap_frames = round(crossfade * fps)
    speech_s = [wav_duration(entry.narration) if entry.narration else 0.0 for entry in args.clips]
    lead = math.ceil(LEAD_S * fps)
    _check_speech_fits(speech_s)
    needed = [lead + math.ceil((seconds + PAUSE_S) * fps) if seconds else 0 for seconds in speech_s]
    lengths = [info.frames for info in clip_infos]
    holds = hold_frames(lengths, overlap_frames, needed)
    spans = scene_spans([length + hold for length, hold in zip(lengths, holds, strict=True)], overlap_frames)
    return _Timing(
        crossfade=crossfade, clip_infos=clip_infos, fps=fps, overlap_frames=overlap_frames, speech_s=speech_s, lead=lead,
        holds=holds, spans=spans, speech_starts=[(first + lead) / fps for first, _ in spans],
    )


def _check_speech_fits(speech_s: list[float]) -> None:
    """Holding a picture cannot make a scene longer than a scene may last."""
    for number, seconds in enumerate(speech_s, start=1):
        if LEAD_S + seconds + PAUSE_S > MAX_SCENE_S:
            raise InputError(
                f"The narration of scene {number} takes {seconds:.1f} s to speak; a scene lasts at most {MAX_SCENE_S:.0f} s.",
                f"Shorten the narration of scene {number} (one or two sentences), or split the scene.",
            )


def _write_video(entries: list[ClipEntry], timing: _Timing, cues: list[Cue], style: SubtitleStyle, sound: _Sound, target: Path) -> None:
    """The scene clips joined (and held) with the subtitles drawn on; with any speech or music, the sound muxed onto it."""
    clips = [entry.clip for entry in entries]
    burn = (lambda frames: burn_cues(frames, cues, timing.fps, style)) if style.burn else None
    if not sound.audible:
        concatenate_clips(clips, target, timing.fps, crossfade_s=timing.crossfade, holds=timing.holds, overlay=burn)
        return
    with tempfile.TemporaryDirectory(prefix="videodrafter-assemble-") as folder:
        silent = concatenate_clips(clips, Path(folder) / "silent.mp4", timing.fps, crossfade_s=timing.crossfade, holds=timing.holds, overlay=burn)
        mux_narration(silent, sound.mixed().mix, target)


def _cues(entries: list[ClipEntry], timing: _Timing) -> list[Cue]:
    """A narrated scene's line while it is spoken; a silent scene's caption for the whole scene."""
    fps = timing.fps
    return [
        Cue(start_s=start, end_s=start + seconds, text=entry.narration_text or entry.caption)
        if seconds else Cue(start_s=first / fps, end_s=last / fps, text=entry.caption)
        for entry, (first, last), start, seconds in zip(entries, timing.spans, timing.speech_starts, timing.speech_s, strict=True)
    ]


def _timeline_tracks(entries: list[ClipEntry], timing: _Timing) -> tuple[list[TimelineClip], list[TimelineSpeech | None]]:
    """The timeline's scene clips, and each scene's spoken line (None: silent)."""
    timeline_clips = [
        TimelineClip(name=f"scene {number}", media=entry.clip, frames=info.frames, hold=hold, metadata={"caption": entry.caption})
        for number, (entry, info, hold) in enumerate(zip(entries, timing.clip_infos, timing.holds, strict=True), start=1)
    ]
    speech = [
        TimelineSpeech(media=entry.narration, offset_frames=timing.lead, duration_s=seconds, text=entry.narration_text)
        if entry.narration is not None and seconds else None
        for entry, seconds in zip(entries, timing.speech_s, strict=True)
    ]
    return timeline_clips, speech


def _stamp(path: Path) -> tuple[str, int, int]:
    """Which file, as it is now: scene clips and images are named by their content hash and never
    rewritten, so name, size and mtime identify their content without hashing every frame."""
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns
