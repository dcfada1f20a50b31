"""The music bed (issue 28, item 1): 'auto' synthesised from the script's mood and ducked under the
narration, a user's file looped or trimmed with fades, bad files refused, the manifest and the
timeline. Levels are measured on the finished video.mp4's AAC track, decoded by ffmpeg."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.fixtures.scripts import write_script
from tests.fixtures.settings import small_settings
from videodrafter.audio.measure import probe_audio
from videodrafter.audio.mixer import Levels, Placement, soft_limit, soundtrack
from videodrafter.audio.music import MOODS, MusicSource, check_music, fit_length, mood_of, music_bed, synthesise_bed
from videodrafter.config import Settings
from videodrafter.errors import InputError
from videodrafter.graph.manifest import Manifest
from videodrafter.graph.runner import start_run
from videodrafter.media.video import ffmpeg_executable, probe_video
from videodrafter.run_inputs import load_script_file
from videodrafter.script import VideoScript

RATE = 48000
"""The AAC track's sample rate."""
LINES = ["One sunny morning, the little brown dog races along the sand.", "At last the dog naps in the shade."]


def _narrated_script(duration_s: float) -> VideoScript:
    return VideoScript.model_validate(
        {
            "prompt": "a dog's day at the beach", "title": "Beach day",
            "entities": [
                {"id": "dog", "name": "brown dog", "kind": "foreground", "description": "a small brown dog"},
                {"id": "beach", "name": "beach", "kind": "background", "description": "a sunny beach"},
            ],
            "scenes": [
                {"event": f"The brown dog {action} on the beach.", "action": action, "foreground": ["dog"], "background": "beach",
                 "camera": {"direction": "left"}, "duration_s": duration_s, "narration": line}
                for action, line in zip(["runs", "sleeps"], LINES, strict=True)
            ],
        }
    )


def _decoded(video: Path) -> np.ndarray:
    """The video's sound as ffmpeg plays it (mono float at 48 kHz, the edit list applied)."""
    done = subprocess.run(
        [ffmpeg_executable(), "-hide_banner", "-loglevel", "error", "-i", str(video), "-map", "0:a:0", "-ac", "1", "-f", "f32le", "-"],
        capture_output=True, check=True,
    )
    return np.frombuffer(done.stdout, dtype="<f4").astype(np.float64)


def _rms_db(samples: np.ndarray) -> float:
    return 20 * np.log10(max(float(np.sqrt(np.mean(samples**2))), 1e-12))


def _cues(srt: Path) -> list[tuple[float, float]]:
    def seconds(stamp: str) -> float:
        hours, minutes, rest = stamp.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(rest.replace(",", "."))

    return [tuple(seconds(part.strip()) for part in line.split("-->")) for line in srt.read_text().splitlines() if "-->" in line]


def _tone_wav(path: Path, seconds: float, frequency: float = 440.0, rate: int = 44100) -> Path:
    """A stereo 16-bit sine: not the speech engines' format, so the file is really decoded and resampled."""
    t = np.arange(round(seconds * rate)) / rate
    tone = (0.5 * np.sin(2 * np.pi * frequency * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(np.repeat(tone, 2).tobytes())
    return path


def test_auto_music_stays_at_least_10_db_under_the_speech_while_someone_speaks(tmp_path: Path) -> None:
    import opentimelineio as otio

    # the same narrated run twice, with and without music: one static gain per part, so the difference is the music;
    # six-second scenes leave music alone after each line
    base = {"video_width": 96, "video_height": 64, "fps": 6, "crossfade_s": 0.25, "voice": "espeak"}
    with_music = start_run("", Settings(runs_dir=tmp_path / "a", music="auto", **base), script=_narrated_script(6.0), run_id="music")
    without = start_run("", Settings(runs_dir=tmp_path / "b", **base), script=_narrated_script(6.0), run_id="speech")
    assert with_music.result is not None and without.result is not None
    mixed, speech = _decoded(with_music.result.video), _decoded(without.result.video)
    assert len(mixed) == len(speech)
    music = mixed - speech
    # every half second inside a spoken line where the narrator is audible: speech ≥ music + 10 dB
    window, margins = RATE // 2, []
    cues = _cues(without.result.subtitles)
    for start_s, end_s in cues:
        for start in range(round(start_s * RATE), round(end_s * RATE) - window + 1, RATE // 10):
            spoken = speech[start : start + window]
            if _rms_db(spoken) > -40:
                margins.append(_rms_db(spoken) - _rms_db(music[start : start + window]))
    assert len(margins) >= 20
    assert min(margins) >= 10, f"music only {min(margins):.1f} dB under the speech"
    # between the lines (ducking released) the music is there, and louder than under the speech
    (_, first_end), (second_start, _) = cues
    assert second_start - first_end > 1.5
    between = music[round((first_end + 0.65) * RATE) : round((second_start - 0.65) * RATE)]
    under = np.concatenate([music[round(a * RATE) : round(b * RATE)] for a, b in cues])
    assert _rms_db(between) > -40, "the music is audible where nobody speaks"
    assert _rms_db(between) - _rms_db(under) > 8, "and it was ducked under the speech"
    # the record: where it came from, its levels; the timeline has it as a track
    manifest = Manifest.read(with_music.run_dir / "manifest.json")
    assert manifest.music is not None and manifest.music.source == "auto: calm, seed 0"  # "naps" and "morning" are calm words
    assert (manifest.music.voice_level_db, manifest.music.music_level_db, manifest.music.ducking_db) == (-16.0, -26.0, 12.0)
    assert Manifest.read(without.run_dir / "manifest.json").music is None
    timeline = otio.adapters.read_from_file(str(with_music.result.timeline))
    assert [track.name for track in timeline.tracks] == ["scenes", "narration", "music"]
    assert timeline.tracks[2].duration().to_seconds() == pytest.approx(probe_video(with_music.result.video).duration_s, abs=1e-6)
    assert probe_audio(with_music.result.video).integrated_lufs == pytest.approx(-16, abs=2.5)


def test_a_short_wav_is_looped_to_the_videos_length_with_fades(settings: Settings, tmp_path: Path) -> None:
    tone = _tone_wav(tmp_path / "tone.wav", 1.0)
    script = load_script_file(write_script(tmp_path / "script.json", "Loop", ["left", "right", "zoom in", "up"]))
    run_settings = settings.model_copy(update={"voice": "none", "music": str(tone)})
    outcome = start_run("", run_settings, script=script, run_id="looped")
    assert outcome.result is not None
    video, samples = probe_video(outcome.result.video), _decoded(outcome.result.video)
    # as long as the picture: four one-second scenes from a one-second file
    assert video.duration_s == pytest.approx(4.0, abs=0.01)
    assert len(samples) / RATE == pytest.approx(video.duration_s, abs=0.03)

    def level(start_s: float, end_s: float) -> float:
        return _rms_db(samples[round(start_s * RATE) : round(end_s * RATE)])

    # looped: the tone plays on at one level long after the file's one second (a fade of 1 s)
    steady = [level(t, t + 0.25) for t in (1.2, 1.7, 2.2, 2.6)]
    assert max(steady) - min(steady) < 1.0
    spectrum = np.abs(np.fft.rfft(samples[round(2.2 * RATE) : round(2.7 * RATE)]))
    assert np.argmax(spectrum) * RATE / round(0.5 * RATE) == pytest.approx(440, abs=3)
    # faded in and out: far quieter at the very ends, rising through the first second
    assert level(0, 0.05) < steady[0] - 25 and level(3.95, 4.0) < steady[0] - 25
    assert level(0, 0.25) < level(0.25, 0.5) < level(0.5, 0.75) < level(0.75, 1.0) + 0.5
    assert level(0.95, 1.0) > steady[0] - 1.5, "the fade is over after FADE_S"
    # at its level (LUFS), recorded with the file's hash
    assert probe_audio(outcome.result.video).integrated_lufs == pytest.approx(-26, abs=2)
    record = json.loads((outcome.run_dir / "manifest.json").read_text())["music"]
    assert record["made_from"]["kind"] == "file" and len(record["made_from"]["sha256"]) == 64
    assert record["source"].startswith(f"file: {tone}")


def test_a_long_file_is_trimmed_and_loops_join_without_a_click() -> None:
    source = np.sin(2 * np.pi * 300 * np.arange(24000) / 24000).astype(np.float32)
    assert len(fit_length(source, 10_000)) == 10_000 and np.array_equal(fit_length(source, 10_000), source[:10_000])
    looped = fit_length(source[:7_000], 30_000)
    assert len(looped) == 30_000 and np.abs(np.diff(looped)).max() < 0.2  # a bare seam would jump by up to 2


def test_a_missing_or_unreadable_music_file_is_an_input_error(tmp_path: Path) -> None:
    for music in ("none", "auto"):
        check_music(Settings(music=music))
    check_music(Settings(music=str(_tone_wav(tmp_path / "ok.wav", 0.5))))
    with pytest.raises(InputError, match="does not exist"):
        check_music(Settings(music=str(tmp_path / "gone.mp3")))
    (tmp_path / "notes.txt").write_text("la la la")
    with pytest.raises(InputError, match="WAV, MP3, OGG or FLAC"):
        check_music(Settings(music=str(tmp_path / "notes.txt")))
    (tmp_path / "fake.ogg").write_bytes(b"this is not an ogg file at all" * 100)
    with pytest.raises(InputError, match="not audio"):
        check_music(Settings(music=str(tmp_path / "fake.ogg")))


def test_the_mood_comes_from_the_scripts_words_and_the_bed_from_the_seed() -> None:
    assert mood_of("The dragon quest", ["The hero climbs the mountain."]) == "epic"
    assert mood_of("Lost in the rain", ["The girl is alone."]) == "sad"
    assert mood_of("A birthday party", ["The friends dance."]) == "happy"
    assert mood_of("The thief", ["A chase through the dark city."]) == "tense"
    assert mood_of("A dog", ["The dog sits."]) == "calm"
    one, again = (music_bed(MusicSource(kind="auto", mood="happy", seed=3), 2.0) for _ in range(2))
    other = music_bed(MusicSource(kind="auto", mood="happy", seed=4), 2.0)
    assert len(one) == 48000 and np.array_equal(one, again) and not np.array_equal(one, other)
    assert not np.array_equal(synthesise_bed(MOODS["calm"], 0, 24000), synthesise_bed(MOODS["epic"], 0, 24000))


def test_loud_music_with_no_ducking_is_still_held_10_db_under_known_speech(tmp_path: Path) -> None:
    # speech: a 1 kHz tone burst from 1 s to 2.5 s; music as loud as the speech, "ducked" by 0 dB
    rate, burst = 24000, np.zeros(24000 * 6, dtype=np.float32)
    burst[rate : rate * 5 // 2] = 0.3 * np.sin(2 * np.pi * 1000 * np.arange(rate * 3 // 2) / rate)
    path = tmp_path / "speech.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes((burst[rate : rate * 5 // 2] * 32767).astype("<i2").tobytes())
    bed = music_bed(MusicSource(kind="auto", mood="epic", seed=1), 6.0)
    track = soundtrack([Placement(path=path, start_s=1.0)], 6.0, bed, Levels(voice_db=-16, music_db=-16, ducking_db=0))
    assert np.array_equal(track.mix, soft_limit(track.speech + track.music)), "the parts are what was mixed"
    for start in range(rate, rate * 5 // 2 - rate // 2 + 1, rate // 10):
        part = slice(start, start + rate // 2)
        assert _rms_db(track.speech[part]) - _rms_db(track.music[part]) >= 10
    assert _rms_db(track.music[rate * 16 // 5 : rate * 4]) > _rms_db(track.music[rate : rate * 5 // 2]) + 5, "loud again after the speech"


def test_changing_the_music_remakes_the_video_and_timeline_only(tmp_path: Path) -> None:
    from videodrafter.media.video import encode_mp4
    from videodrafter.run_resources import RunResources
    from videodrafter.tools.assembly import AssembleArgs, ClipEntry, assemble_video

    picture = np.full((64, 96, 3), 120, dtype=np.uint8)
    clip = encode_mp4([picture] * 12, tmp_path / "clip.mp4", 6)
    Image.fromarray(picture).save(tmp_path / "scene.png")
    args = AssembleArgs(title="Music", clips=[ClipEntry(clip=clip, scene_image=tmp_path / "scene.png", caption="a dog")], output_dir=tmp_path / "run")
    names = ("video.mp4", "timeline.otio", "video.srt", "contact_sheet.png")

    def assemble(music: str) -> dict[str, int]:
        settings = small_settings(tmp_path, voice="none", music=music)
        assemble_video(args, RunResources(settings))
        return {name: (args.output_dir / name).stat().st_mtime_ns for name in names}

    silent = assemble("none")
    assert assemble("none") == silent, "the same music: nothing is made again"
    scored = assemble("auto")
    assert [name for name in names if scored[name] != silent[name]] == ["video.mp4", "timeline.otio"]
    assert (args.output_dir / "audio" / "music.wav").exists()
    assert probe_audio(args.output_dir / "video.mp4").integrated_lufs == pytest.approx(-26, abs=2.5)


def test_the_command_line_takes_music_and_refuses_a_bad_file_before_any_work(tmp_path: Path) -> None:
    from tests.fixtures.cli import CliRunner

    cli = CliRunner()
    runs = tmp_path / "runs"
    script = write_script(tmp_path / "s.json", "tune", ["left", "right"])
    bad = tmp_path / "song.mp3"
    bad.write_text("not audio")
    refused = cli("make", "--script", str(script), "--runs-dir", str(runs), "--music", str(bad))
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "is not audio ffmpeg can read" in " ".join(refused.stderr.split()) and not runs.exists()

    made = cli("make", "--script", str(script), "--runs-dir", str(runs), "--run-id", "tune", "--music", "auto", "--no-subtitles")
    assert made.returncode == 0, made.stderr
    manifest = Manifest.read(runs / "tune" / "manifest.json")
    assert manifest.music is not None and manifest.music.source.startswith("auto:")
    assert probe_audio(runs / "tune" / "video.mp4") is not None
