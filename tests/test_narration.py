"""Narration (issue 15): speech engines, the AAC track, subtitles and timeline on the spoken timing,
speech reused by resume and edits, and clear errors. Real espeak-ng, real ffmpeg, real HTTP on loopback."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.cli import run_cli
from tests.fixtures.models import ScriptedChatModel
from tests.fixtures.speech_server import espeak_wav, speech_server
from videodrafter.agent.edits import SetNarration
from videodrafter.agent.interpret import parse_with_grammar
from videodrafter.audio.engines import EspeakEngine, SpeechUnavailableError, check_voice, speech_engine, wav_duration
from videodrafter.audio.measure import audio_streams, probe_audio
from videodrafter.audio.spec import VoiceSpecError, parse_voice_spec
from videodrafter.config import Settings
from videodrafter.errors import InputError
from videodrafter.graph.runner import edit_run, start_run
from videodrafter.media.video import encode_mp4, hold_frames, probe_video, scene_spans
from videodrafter.planning.line_format import parse_line_script, render_line_script
from videodrafter.planning.narrator_lines import narration_problem
from videodrafter.planning.planner import plan_script
from videodrafter.script import VideoScript
from videodrafter.tools.assembly import LEAD_S, AssembleArgs, ClipEntry, assemble_video
from videodrafter.graph.manifest import Manifest
from videodrafter.run_resources import RunResources
from videodrafter.web.tables import SCENE_HEADERS, scene_rows, script_from_tables

FPS = 12
LINES = ["One sunny morning, the little brown dog races along the sand.", "At last the dog naps in the shade."]


def _script(narration: list[str]) -> VideoScript:
    return VideoScript.model_validate(
        {
            "prompt": "a dog's day at the beach", "title": "Beach day",
            "entities": [
                {"id": "dog", "name": "brown dog", "kind": "foreground", "description": "a small brown dog"},
                {"id": "beach", "name": "beach", "kind": "background", "description": "a sunny beach"},
            ],
            "scenes": [
                {"event": f"The brown dog {action} on the beach.", "action": action, "foreground": ["dog"], "background": "beach",
                 "camera": {"direction": camera}, "duration_s": 1.0, "narration": line}
                for action, camera, line in zip(["runs", "sleeps"], ["left", "zoom in"], narration, strict=True)
            ],
        }
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(runs_dir=tmp_path / "runs", video_width=96, video_height=64, fps=FPS, crossfade_s=0.25, voice="espeak")


def _cues(srt: str) -> list[tuple[float, float, str]]:
    def seconds(stamp: str) -> float:
        h, m, rest = stamp.split(":")
        s, ms = rest.split(",")
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    blocks = re.findall(r"\d+\n(\S+) --> (\S+)\n(.+)", srt)
    return [(seconds(start), seconds(end), text) for start, end, text in blocks]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("espeak", ("espeak", "", "en-us", None)),
        ("espeak:en-gb", ("espeak", "", "en-gb", None)),
        ("openai:tts-1", ("openai", "tts-1", "alloy", None)),
        ("openai:tts-1:nova", ("openai", "tts-1", "nova", None)),
        ("openai-compatible:kokoro:af_heart@http://localhost:8880/v1/", ("openai", "kokoro", "af_heart", "http://localhost:8880/v1")),
        ("none", ("none", "", "", None)),
    ],
)
def test_voice_specs_are_read_like_llm_specs(spec: str, expected: tuple) -> None:
    parsed = parse_voice_spec(spec)
    assert (parsed.engine, parsed.model, parsed.voice, parsed.base_url) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("bogus", "Unknown voice 'bogus'"),
        ("openai-compatible:kokoro", "needs a model and a server"),
        ("openai:tts-1@http://host/v1", "use 'openai-compatible"),
        ("espeak:en us", "not a espeak voice name"),
    ],
)
def test_a_bad_voice_is_refused_with_what_to_do(spec: str, message: str) -> None:
    with pytest.raises(VoiceSpecError, match=re.escape(message)) as caught:
        parse_voice_spec(spec)
    assert caught.value.hint
    with pytest.raises(ValueError, match="voice"):
        Settings(voice=spec)


def test_openai_voice_without_a_key_and_unknown_cli_voice_are_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(SpeechUnavailableError, match="OPENAI_API_KEY"):
        check_voice("openai:tts-1")
    result = run_cli("make", "a dog", "--voice", "robot", "--runs-dir", str(tmp_path / "runs"), timeout=120)
    assert result.returncode == 2 and "Unknown voice 'robot'" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()


def test_the_openai_speech_path_against_a_real_loopback_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDEODRAFTER_TTS_API_KEY", "secret")
    line = "The fox waits for the crow."
    served = espeak_wav(line)
    with speech_server() as (base_url, requests):
        engine = speech_engine(f"openai-compatible:kokoro:af_heart@{base_url}")
        target = engine.synthesize(line, tmp_path / "line.wav")
    assert requests == [
        {"model": "kokoro", "input": line, "voice": "af_heart", "response_format": "wav", "path": "/v1/audio/speech", "authorization": "Bearer secret"}
    ]
    # the served 22.05 kHz WAV, resampled to the engines' format: same speech, same length
    served_path = tmp_path / "served.wav"
    served_path.write_bytes(served)
    assert wav_duration(target) == pytest.approx(wav_duration(served_path), abs=0.01)
    samples = np.frombuffer(target.read_bytes()[44:], dtype="<i2")
    assert np.abs(samples).max() > 3000  # speech, not silence
    with speech_server(status=500) as (base_url, _), pytest.raises(SpeechUnavailableError, match="answered 500"):
        speech_engine(f"openai-compatible:kokoro@{base_url}").synthesize(line, tmp_path / "bad.wav")


def test_a_narrated_video_has_one_aac_track_as_long_as_the_picture_and_subtitles_on_the_speech(settings: Settings) -> None:
    import opentimelineio as otio

    outcome = start_run("", settings, script=_script(LINES), run_id="spoken")
    assert outcome.result is not None
    video, audio = probe_video(outcome.result.video), probe_audio(outcome.result.video)
    assert audio_streams(outcome.result.video) == 1 and audio.codec == "aac"
    assert abs(audio.duration_s - video.duration_s) < 0.1
    assert audio.mean_volume_db > -40 and audio.integrated_lufs == pytest.approx(-16, abs=2.5)
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())["narration"]
    assert Manifest.read(outcome.run_dir / "manifest.json").narration.narrated, "a narrated run's manifest fits its model"
    spoken = [scene["duration_s"] for scene in manifest["scenes"]]
    assert spoken[0] > 2.0  # a one-second clip cannot hold this line: the scene was held for it
    # subtitles: each line while it is spoken, inside its own scene
    cues = _cues(outcome.result.subtitles.read_text())
    assert [text for _, _, text in cues] == LINES
    lengths = [FPS] * 2  # two one-second clips
    spans = scene_spans([length + hold for length, hold in zip(lengths, manifest["held_frames"], strict=True)], 3)
    for (start, end, _), seconds, (first, last) in zip(cues, spoken, spans, strict=True):
        assert start == pytest.approx(first / FPS + np.ceil(LEAD_S * FPS) / FPS, abs=2e-3)
        assert end - start == pytest.approx(seconds, abs=2e-3)
        assert end <= last / FPS  # the speech ends before the cut
    assert spans[-1][1] / FPS == pytest.approx(video.duration_s, abs=1e-6)
    # the timeline: a narration track whose scenes cut where the video's do
    timeline = otio.adapters.read_from_file(str(outcome.result.timeline))
    pictures, narration = timeline.tracks
    assert narration.kind == otio.schema.TrackKind.Audio
    lines = [item for item in narration if isinstance(item, otio.schema.Clip)]
    assert [clip.metadata["videodrafter"]["narration"] for clip in lines] == LINES
    assert narration.duration().to_seconds() == pytest.approx(video.duration_s, abs=1e-6)
    assert timeline.duration().to_seconds() == pytest.approx(video.duration_s, abs=1e-6)
    # the second scene's clip (after the first scene's clip, its freeze frame and the dissolve) starts at the cut
    second_scene = [item for item in pictures if isinstance(item, otio.schema.Clip)][2]
    cut = pictures.range_of_child(second_scene).start_time.to_seconds()
    assert cut == pytest.approx(spans[1][0] / FPS, abs=1e-6)
    second_line = narration.range_of_child(lines[1]).start_time.to_seconds()
    assert second_line == pytest.approx(cues[1][0], abs=2e-3)


def test_editing_one_scenes_narration_speaks_only_that_scene_again(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    spoken: list[str] = []
    real = EspeakEngine.synthesize

    def counted(self, text: str, target: Path) -> Path:
        spoken.append(text)
        return real(self, text, target)

    monkeypatch.setattr(EspeakEngine, "synthesize", counted)
    first = start_run("", settings, script=_script(LINES), run_id="edit")
    assert spoken == LINES
    audio = sorted((first.run_dir / "audio").glob("*.wav"))
    stamps = {path: path.stat().st_mtime_ns for path in audio}
    # the chat's edit, read by its grammar
    command = parse_with_grammar('change the narration of scene 2 to "Finally, the tired dog falls asleep."', first.script)
    assert isinstance(command, SetNarration) and command.scene == 2
    edited, summary = command.edit(first.script)
    assert "scene 2 now says" in summary
    spoken.clear()
    second = edit_run("edit", settings.runs_dir, edited)
    assert spoken == ["Finally, the tired dog falls asleep."]
    assert all(path.stat().st_mtime_ns == stamp for path, stamp in stamps.items())  # scene 1's speech untouched
    assert _cues(second.result.subtitles.read_text())[1][2] == "Finally, the tired dog falls asleep."
    # a resume with nothing changed speaks nothing
    spoken.clear()
    third = edit_run("edit", settings.runs_dir, edited)
    assert spoken == [] and third.result is not None


def test_a_speech_server_that_is_down_gives_a_silent_video_with_a_note(settings: Settings) -> None:
    from tests.fixtures.servers import free_port

    down = settings.model_copy(update={"voice": f"openai-compatible:kokoro@http://127.0.0.1:{free_port()}/v1"})
    outcome = start_run("", down, script=_script(LINES), run_id="down")
    assert outcome.result is not None and audio_streams(outcome.result.video) == 0
    assert any("narration was not spoken" in note and "could not be reached" in note for note in outcome.notes)
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert manifest["narration"]["narrated"] is False and "narration was not spoken" in " ".join(manifest["notes"])


def test_a_script_without_narration_reads_its_events(settings: Settings) -> None:
    outcome = start_run("", settings, script=_script(["", ""]), run_id="events")
    cues = _cues(outcome.result.subtitles.read_text())
    assert [text for _, _, text in cues] == ["The brown dog runs on the beach.", "The brown dog sleeps on the beach."]
    assert probe_audio(outcome.result.video).mean_volume_db > -40


def test_narration_longer_than_a_scene_may_last_is_refused(tmp_path: Path) -> None:
    clip = encode_mp4([np.zeros((16, 16, 3), np.uint8)] * 4, tmp_path / "clip.mp4", 12)
    long = tmp_path / "long.wav"
    import wave

    with wave.open(str(long), "wb") as handle:  # 31 s of tone at the engines' format
        handle.setnchannels(1), handle.setsampwidth(2), handle.setframerate(24000)
        handle.writeframes((np.sin(np.arange(31 * 24000) / 10) * 8000).astype("<i2").tobytes())
    args = AssembleArgs(clips=[ClipEntry(clip=clip, scene_image=clip, caption="c", narration=long, narration_text="…")], output_dir=tmp_path)
    with pytest.raises(InputError, match=r"narration of scene 1 takes 31\.0 s.*at most 30 s"):
        assemble_video(args, RunResources(Settings(runs_dir=tmp_path)))


def test_holds_give_each_scene_the_frames_its_speech_needs() -> None:
    lengths, overlap = [12, 12, 12], 3
    needed = [40, 0, 20]
    holds = hold_frames(lengths, overlap, needed)
    spans = scene_spans([length + hold for length, hold in zip(lengths, holds, strict=True)], overlap)
    assert all(end - first >= need for need, (first, end) in zip(needed, spans, strict=True))
    assert holds[1] == 0 and all(hold == 0 or hold >= overlap for hold in holds)


# planning writes narration under the events' grounding rules


def test_grounded_planning_has_one_sentence_per_scene_heard_and_read_and_the_action_is_its_verb_phrase() -> None:
    """The grammar asks for the event alone: the narrator reads it and the clip's action is cut from it.
    A model that writes narration and action anyway (as the remote ones may) does not get them in."""
    prompt = "a fox and a crow race across a snowy forest at night"
    cast = json.dumps({"title": "The Race", "looks": {"fox": "a red fox", "crow": "a black crow", "snowy forest": "pines under snow"}})
    events = [
        "One day, the fox meets the crow in the snowy forest.", "Then, the crow dares the fox to a race, laughing.",
        "But then, the fox slips on the ice.", "Finally, the crow and the fox cross the line together.",
    ]
    lines = ["The fox has never lost a race.", "Reynard the fox accepts at once.", "In this picture the ice is thin.", "Friends win together."]
    scenes = json.dumps({"scenes": [
        {"foreground": fg, "background": "snowy forest", "event": event, "narration": line, "action": "runs",
         "camera_direction": direction, "camera_speed": "slow"}
        for fg, event, line, direction in zip([["fox"], ["crow", "fox"], ["fox"], ["fox", "crow"]], events, lines, ["zoom in", "left", "zoom out", "static"], strict=True)
    ]})
    model = ScriptedChatModel(replies=[cast, scenes])
    result = plan_script(prompt, model, Settings(planning="grounded", plan_max_attempts=2), min_scenes=4, max_scenes=4)
    slot = model.seen[1][1]["response_format"]["json_schema"]["schema"]["properties"]["scenes"]["prefixItems"][0]
    assert "narration" not in slot["properties"] and "action" not in slot["properties"] and "event" in slot["required"]
    assert [scene.narration for scene in result.script.scenes] == events
    assert [scene.spoken_line for scene in result.script.scenes] == events
    assert [scene.action for scene in result.script.scenes] == ["meets the crow", "dares the fox to a race", "slips on the ice", "cross the line together"]
    assert not any("Reynard" in scene.narration or "picture" in scene.narration for scene in result.script.scenes)


def test_narration_checks_keep_the_storys_words() -> None:
    script = _script(LINES)
    assert narration_problem("The brown dog digs for a shell.", script.entities, script.prompt) is None
    assert "Max" in narration_problem("Max the dog digs.", script.entities, script.prompt)
    assert "zorp" in narration_problem("The dog finds a zorp.", script.entities, script.prompt)


def test_the_line_format_and_the_web_table_carry_narration() -> None:
    from videodrafter.planning.draft import script_to_draft

    script = _script(LINES)
    parsed = parse_line_script(render_line_script(script_to_draft(script)))
    assert [scene["narration"] for scene in parsed["scenes"]] == LINES
    rows = scene_rows(script)
    rows[0][SCENE_HEADERS.index("narration")] = "A new line for scene one."
    edited = script_from_tables(script, rows, None, {})
    assert [scene.narration for scene in edited.scenes] == ["A new line for scene one.", LINES[1]]


def test_a_line_that_tells_of_someone_outside_the_cast_is_replaced_by_its_event() -> None:
    from videodrafter.planning.narrator_lines import grounded_narration
    from videodrafter.script import Entity

    cast = [Entity(id="dog", name="dog", kind="foreground"), Entity(id="beach", name="beach", kind="background")]
    event = "The dog digs a hole in the sand."
    line, problem = grounded_narration("A little girl laughs as the dog digs.", event, cast, "a dog's day at the beach")
    assert (line, problem) == (event, "it tells of 'little girl', who is not in the story")
    kept, none = grounded_narration("The happy puppy digs and digs.", event, cast, "a dog's day at the beach")
    assert (kept, none) == ("The happy puppy digs and digs.", None)
