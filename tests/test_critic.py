"""The vision critic over the real OpenAI client path, against a loopback server that checks the pictures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.fixtures.scripts import beach_dog_script
from tests.fixtures.servers import free_port
from tests.fixtures.vision_server import SeenRequest, verdict, vision_critic
from videodrafter.config import Settings
from videodrafter.consistency.verdict import Verdict
from videodrafter.graph.manifest import Manifest
from videodrafter.graph.runner import start_run
from videodrafter.media.contact_sheet import CHOSEN, contact_sheet
from videodrafter.script import VideoScript

BOUND = 64
REVISED = "The brown dog chases a red ball, brown fur, red collar, same dog as the reference"


def _script() -> VideoScript:
    return VideoScript.model_validate(beach_dog_script())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        runs_dir=tmp_path / "runs", video_width=160, video_height=96, fps=6, crossfade_s=0,
        critic_image_size=BOUND, plan_max_attempts=2, llm_transport_retries=0, llm_timeout_s=10,
    )


def _is_clip(request: SeenRequest) -> bool:
    return "its action:" in request.text


def _manifest(outcome) -> dict:
    path = outcome.run_dir / "manifest.json"
    Manifest.read(path)  # a critic run's manifest fits its model
    return json.loads(path.read_text())


def test_a_failing_verdict_regenerates_exactly_that_scene_with_the_revised_prompt(settings: Settings) -> None:
    def answer(request: SeenRequest) -> str:
        if _is_clip(request):
            return verdict(True, 5)
        if "chases" in request.text and "brown fur" not in request.text:
            return verdict(False, 2, ["the dog is white, not brown"], REVISED)
        return verdict(True, 4)

    with vision_critic(answer, BOUND) as (url, seen):
        outcome = start_run("", settings.model_copy(update={"critic": f"vllm:judge@{url}"}), script=_script(), run_id="critic")
    assert outcome.status == "done"
    assert [problem for request in seen for problem in request.problems] == []
    scene_requests = [request for request in seen if not _is_clip(request)]
    # each scene request: the dog's cutout, the beach, then the scene image; all downscaled to the bound
    assert all(len(request.image_sizes) == 3 for request in scene_requests)
    assert max(max(size) for request in seen for size in request.image_sizes) == BOUND
    assert scene_requests[0].response_format["json_schema"]["name"] == "Verdict"
    assert len([request for request in seen if _is_clip(request)]) == 3
    assert all(len(request.image_sizes) == 4 for request in seen if _is_clip(request))  # scene image + first/middle/last

    manifest = _manifest(outcome)
    scenes = manifest["scenes"]
    assert [scene["candidates"] for scene in scenes] == [1, 2, 1]
    assert scenes[1]["prompt"] == REVISED and scenes[1]["chosen"]["attempt"] == 1
    first, second = scenes[1]["tried"]
    assert first["prompt"] == "The dog chases a red ball." and first["verdict"]["consistent"] is False
    assert first["verdict"]["problems"] == ["the dog is white, not brown"]
    assert second["prompt"] == REVISED and second["verdict"]["consistent"] and second["seed"] != first["seed"]
    assert [scene["prompt"] for scene in (scenes[0], scenes[2])] == ["The dog wakes up by the sea.", "The dog sleeps in the sand."]
    assert manifest["critic"]["scene_pass_rate"] == pytest.approx(3 / 4)
    assert manifest["critic"]["regenerations_per_scene"] == {"0": 0, "1": 1, "2": 0}
    assert len(list((outcome.run_dir / "scenes").glob("*.png"))) == 4
    assert not any("critic failed" in note for note in outcome.notes)


def test_an_unreachable_critic_adds_a_note_and_the_embedder_decides(settings: Settings) -> None:
    down = f"vllm:judge@http://127.0.0.1:{free_port()}/v1"
    outcome = start_run("", settings.model_copy(update={"critic": down}), script=_script(), run_id="down")
    assert outcome.status == "done" and (outcome.run_dir / "video.mp4").is_file()
    assert sum("vision critic failed" in note for note in outcome.notes) == 1  # said once; not asked again
    manifest = _manifest(outcome)
    assert manifest["critic"]["down"] is True and manifest["critic"]["scene_verdicts"] == 0
    assert all(scene["chosen"]["score"] is not None and scene["chosen"]["verdict"] is None for scene in manifest["scenes"])


def test_a_critic_answering_garbage_is_asked_again_with_the_error_then_ignored(settings: Settings) -> None:
    with vision_critic(lambda _request: "It looks lovely, well done!", BOUND) as (url, seen):
        outcome = start_run("", settings.model_copy(update={"critic": f"vllm:judge@{url}"}), script=_script(), run_id="garbage")
    assert outcome.status == "done"
    assert len(seen) == settings.plan_max_attempts  # bounded; then the critic is off for the run
    assert seen[0].feedback == "" and "no JSON object" in seen[1].feedback
    assert any("vision critic failed" in note for note in outcome.notes)


def test_a_clip_that_drifts_is_redone_once_with_the_critics_action(settings: Settings) -> None:
    def answer(request: SeenRequest) -> str:
        if _is_clip(request) and "chases" in request.text:
            return verdict(False, 2, ["the dog turns grey"], "trots after the ball")  # always fails: still one redo
        return verdict(True, 5)

    with vision_critic(answer, BOUND) as (url, seen):
        outcome = start_run("", settings.model_copy(update={"critic": f"vllm:judge@{url}"}), script=_script(), run_id="clip")
    clip = _manifest(outcome)["scenes"][1]["clip"]
    assert clip["redone"] is True and clip["first_verdict"]["problems"] == ["the dog turns grey"]
    assert clip["verdict"]["consistent"] is False  # the redo was judged too, and not redone again
    clip_requests = [request for request in seen if _is_clip(request) and "chases" in request.text]
    assert len(clip_requests) == 2 and 'its action: "trots after the ball"' in clip_requests[1].text
    assert len(list((outcome.run_dir / "clips").glob("*.mp4"))) == 4


def test_candidates_are_ranked_by_the_critic_and_the_chosen_one_is_framed(settings: Settings) -> None:
    scores = iter([2, 5, 4, 3, 3, 4])  # per scene: (rank 0, rank 1)

    def answer(request: SeenRequest) -> str:
        return verdict(True, 5) if _is_clip(request) else verdict(True, next(scores))

    with vision_critic(answer, BOUND) as (url, _seen):
        outcome = start_run("", settings.model_copy(update={"critic": f"vllm:judge@{url}", "candidates": 2}), script=_script(), run_id="rank")
    manifest = _manifest(outcome)
    assert [scene["chosen"]["rank"] for scene in manifest["scenes"]] == [1, 0, 1]
    assert all(len({tried["seed"] for tried in scene["tried"]}) == 2 for scene in manifest["scenes"])
    assert manifest["critic"]["regenerations_per_scene"] == {"0": 0, "1": 0, "2": 0}
    with Image.open(outcome.run_dir / "contact_sheet.png") as sheet:
        pixels = np.asarray(sheet.convert("RGB"))
    assert (np.all(pixels == CHOSEN, axis=-1)).sum() > 50


def test_the_contact_sheet_frames_only_the_chosen_candidate(tmp_path: Path) -> None:
    paths = []
    for number, colour in enumerate([(200, 30, 30), (30, 200, 30), (30, 30, 200)]):
        paths.append(tmp_path / f"c{number}.png")
        Image.new("RGB", (160, 90), colour).save(paths[-1])
    sheet_path = contact_sheet([paths[1]], ["one scene"], tmp_path / "sheet.png", candidates=[(paths, 1)], thumb_width=320)
    with Image.open(sheet_path) as sheet:
        pixels = np.asarray(sheet.convert("RGB"))
    ys, xs = np.nonzero(np.all(pixels == CHOSEN, axis=-1))
    assert len(xs) > 100
    # the frame sits around the second thumbnail (80 px slots from the 12 px margin), under the scene image
    assert 12 + 80 <= xs.min() and xs.max() < 12 + 160 and ys.min() > 12 + 180


def test_candidate_strips_of_square_scenes_stay_above_every_caption(tmp_path: Path) -> None:
    # square pictures (the tiny engine) and strips of 3 and 6 candidates: a strip sized for 6 was too short for 3
    def square(name: str) -> Path:
        Image.new("RGB", (64, 64), (30, 30, 200)).save(tmp_path / name)
        return tmp_path / name

    three, six = [square(f"a{n}.png") for n in range(3)], [square(f"b{n}.png") for n in range(6)]
    sheet_path = contact_sheet(
        [three[0], six[0]], ["The dog wakes up by the sea.", "The dog chases a red ball."], tmp_path / "sheet.png",
        candidates=[(three, 2), (six, 3)], thumb_width=320,
    )
    with Image.open(sheet_path) as sheet:
        pixels = np.asarray(sheet.convert("RGB")).astype(int)
    for left in (12, 12 + 320 + 12):
        column = pixels[:, left : left + 320]
        picture_rows = np.nonzero((np.all(column == (30, 30, 200), axis=-1) | np.all(column == CHOSEN, axis=-1)).any(axis=1))[0]
        text_rows = np.nonzero(np.all(column > 200, axis=-1).any(axis=1))[0]
        assert len(text_rows) and picture_rows.max() < text_rows.min()


def test_a_revised_prompt_comes_back_out_of_a_checkpoint_as_itself() -> None:
    # LangGraph hands back a raw dict (and logs "Blocked deserialization" at the user) for a type not allowed
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    from videodrafter.graph.artifacts import PromptRevision
    from videodrafter.graph.checkpoints import CHECKPOINT_TYPES

    serde = JsonPlusSerializer(allowed_msgpack_modules=CHECKPOINT_TYPES)
    revisions = {1: PromptRevision(event="The dog chases a red ball.", from_attempt=1, prompt=REVISED)}
    assert serde.loads_typed(serde.dumps_typed(revisions)) == revisions


def test_eval_reports_show_the_critics_pass_rate_and_regenerations_per_scene(settings: Settings, tmp_path: Path) -> None:
    from tests.fixtures.models import PLAN, RoutedChatModel
    from videodrafter.evals.cases import load_suite
    from videodrafter.evals.reports import write_reports
    from videodrafter.evals.runner import EvalConfig, run_eval

    scenes = [{"event": event, "action": "runs", "foreground": ["dog"], "background": "beach", "camera_direction": "left", "camera_speed": "slow"}
              for event in ("The dog wakes up by the sea.", "The dog chases a red ball.", "The dog sleeps in the sand.")]
    draft = json.dumps({"title": "Beach dog", "entities": [{"name": "dog", "description": "a small brown dog"},
                                                            {"name": "beach", "description": "a sunny beach"}], "scenes": scenes})
    planner = RoutedChatModel(routes={PLAN: [draft]})

    def answer(request: SeenRequest) -> str:
        if not _is_clip(request) and "chases" in request.text and "brown fur" not in request.text:
            return verdict(False, 2, ["the dog is white, not brown"], REVISED)
        return verdict(True, 4)

    suite = load_suite("smoke")
    suite.cases = suite.cases[:1]
    with vision_critic(answer, BOUND) as (url, _seen):
        planner_spec = f"vllm:planner@http://127.0.0.1:{free_port()}/v1"  # a spec the render accepts; the scripted model answers
        config = EvalConfig(suite="smoke", llms=[planner_spec], prompt_sets=["v1"], engine="animatic", critic=f"vllm:judge@{url}")
        report = run_eval(suite, config, settings, tmp_path / "eval", chat_models={planner_spec: planner})
    render = report.results[0].render
    assert render is not None and render.critic_pass_rate == pytest.approx(3 / 4)  # scene 2 failed once, then passed
    assert render.regenerations_per_scene == pytest.approx(1 / 3) and render.clips_redone == 0
    markdown = write_reports(report, tmp_path / "report")["markdown"].read_text()
    assert "| critic pass rate (scene verdicts) ↑ | 75% |" in markdown
    assert "| regenerations per scene ↓ | 0.33 |" in markdown


def test_a_critic_spec_that_cannot_work_is_refused_before_any_work(monkeypatch: pytest.MonkeyPatch) -> None:
    from videodrafter.consistency.vision_critic import check_critic_spec
    from videodrafter.errors import InputError

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for spec, problem in [("openai:gpt-4o", "OPENAI_API_KEY is not set"), ("local:smollm2", "cannot see pictures"),
                          ("vllm:judge", "names no server"), ("bogus", "is not an LLM spec")]:
        with pytest.raises(InputError, match=problem):
            check_critic_spec(spec)
    assert check_critic_spec("vllm:judge@http://127.0.0.1:9/v1").model == "judge"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    check_critic_spec("openai:gpt-4o")


def test_make_with_a_critic_on_the_command_line_redoes_the_failed_scene_and_survives_the_critic_going_away(tmp_path: Path) -> None:
    from tests.fixtures.cli import run_cli
    from tests.fixtures.settings import SMALL_VIDEO_ENV

    script = tmp_path / "s.json"
    script.write_text(json.dumps(beach_dog_script()))

    def answer(request: SeenRequest) -> str:
        if not _is_clip(request) and "chases" in request.text and "brown fur" not in request.text:
            return verdict(False, 2, ["the dog is white, not brown"], REVISED)
        return verdict(True, 4)

    def make(critic: str, run_id: str) -> dict:
        result = run_cli("make", "--script", str(script), "--voice", "none", "--critic", critic, "--runs-dir", str(tmp_path / "runs"),
                         "--run-id", run_id, env=SMALL_VIDEO_ENV)
        assert result.returncode == 0, result.stderr[-2000:]
        return json.loads((tmp_path / "runs" / run_id / "manifest.json").read_text()) | {"output": result.stdout + result.stderr}

    with vision_critic(answer, 512) as (url, seen):
        manifest = make(f"vllm:judge@{url}", "judged")
    assert [problem for request in seen for problem in request.problems] == []
    assert [scene["prompt"] for scene in manifest["scenes"]] == ["The dog wakes up by the sea.", REVISED, "The dog sleeps in the sand."]
    assert manifest["critic"]["regenerations_per_scene"] == {"0": 0, "1": 1, "2": 0} and "Blocked deserialization" not in manifest["output"]

    manifest = make(f"vllm:judge@{url}", "unreachable")  # the server is gone now
    assert manifest["critic"]["down"] is True and "vision critic failed" in " ".join(manifest["output"].split())
    assert any("vision critic failed" in note for note in manifest["notes"])


def test_the_verdict_schema_rejects_what_the_critic_must_not_answer() -> None:
    assert Verdict.model_validate({"consistent": True, "score": 5, "problems": [], "revised_prompt": "  "}).revised_prompt is None
    for bad in ({"consistent": True, "score": 9}, {"consistent": False, "score": 2, "problems": ["x" * 300]}, {"score": 3}):
        with pytest.raises(ValueError):
            Verdict.model_validate(bad)
