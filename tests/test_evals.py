"""Evals: metric arithmetic on constructed cases, a tiny random CLIP, suites, reports, real embedded runs."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.fixtures.cli import cli_command, run_cli
from tests.fixtures.models import PLAN, RoutedChatModel, ScriptedChatModel
from videodrafter.config import Settings
from videodrafter.errors import InputError
from videodrafter.evals.cases import load_suite
from videodrafter.evals.reports import write_reports
from videodrafter.evals.runner import EvalConfig, aggregate, run_eval
from videodrafter.evals.script_metrics import (
    camera_entropy,
    event_similarity,
    expected_found,
)
from videodrafter.evals.visual_metrics import (
    get_clip_scorer,
    mean_consecutive,
    mean_matched,
    mean_pairwise,
    visual_metrics,
)
from videodrafter.script import VideoScript

REPO = Path(__file__).parents[1]


def _unit(rows: list[list[float]]) -> np.ndarray:
    array = np.array(rows, dtype=np.float64)
    return array / np.linalg.norm(array, axis=1, keepdims=True)


def test_similarity_arithmetic_on_constructed_vectors() -> None:
    a = _unit([[1, 0], [0, 1], [1, 1]])
    b = _unit([[1, 0], [1, 0], [1, 1]])
    assert mean_matched(a, b) == pytest.approx((1 + 0 + 1) / 3)
    assert mean_pairwise(a) == pytest.approx((0 + math.sqrt(0.5) + math.sqrt(0.5)) / 3)
    assert mean_consecutive(a) == pytest.approx((0 + math.sqrt(0.5)) / 2)
    assert math.isnan(mean_pairwise(a[:1]))
    top, duplicates = event_similarity(_unit([[1, 0], [0.99, 0.14], [0, 1]]))
    assert top == pytest.approx(0.99 / math.hypot(0.99, 0.14)) and duplicates == 1
    assert camera_entropy(["left"] * 4) == 0 and camera_entropy(["left", "right", "up", "down"]) == 2


def test_expected_recurring_entities_are_matched_by_words() -> None:
    script = VideoScript.model_validate(
        {
            "prompt": "p",
            "entities": [
                {"id": "old-grandma", "name": "old grandmother", "kind": "foreground"},
                {"id": "boy", "name": "boy", "kind": "foreground"},
                {"id": "garden", "name": "garden", "kind": "background"},
            ],
            "scenes": [{"event": "e", "action": "a", "foreground": ["old-grandma"], "background": "garden"}] * 2
            + [{"event": "e", "action": "a", "foreground": ["boy"], "background": "garden"}],
        }
    )
    assert expected_found(script, ["grandmother", "grandson", "garden"]) == pytest.approx(2 / 3)


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor

    from videodrafter.engines.random_weights import clip_tokenizer

    folder = tmp_path_factory.mktemp("tiny-clip")
    torch.manual_seed(0)
    config = CLIPConfig(
        text_config={"hidden_size": 32, "intermediate_size": 37, "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 128,
                     "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1, "max_position_embeddings": 77},
        vision_config={"hidden_size": 32, "intermediate_size": 37, "num_attention_heads": 4, "num_hidden_layers": 2, "image_size": 32, "patch_size": 8},
        projection_dim=16,
    )
    CLIPModel(config).save_pretrained(folder)
    processor = CLIPProcessor(
        image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}), tokenizer=clip_tokenizer()
    )
    processor.save_pretrained(folder)
    return folder


def test_visual_metrics_with_a_tiny_random_clip(tiny_clip: Path) -> None:
    scorer = get_clip_scorer(tiny_clip)
    red, blue = Image.new("RGB", (48, 48), (220, 30, 30)), Image.new("RGB", (48, 48), (30, 30, 220))
    striped = Image.fromarray(np.tile(np.array([[0], [255]], dtype=np.uint8), (24, 48))[..., None].repeat(3, axis=2))
    metrics = visual_metrics(
        scorer,
        events=["a red ball", "a blue ball"],
        scene_images=[red, blue],
        fg_pairs=[(red, red), (blue, blue)],
        bg_pairs=[(red, blue)],
        crops_by_entity={"ball": [striped, striped, striped]},
        clips=[[red, red, red], [blue, blue]],
    )
    assert metrics.fg_sim == pytest.approx(1.0, abs=1e-5)
    assert metrics.scene_consistency == pytest.approx(1.0, abs=1e-5)
    assert metrics.frame_consistency == pytest.approx(1.0, abs=1e-5)
    red_vector, blue_vector = scorer.images([red, blue])
    assert metrics.bg_sim == pytest.approx(float(red_vector @ blue_vector), abs=1e-5) and metrics.bg_sim < 1
    texts = scorer.texts(["a red ball", "a blue ball"])
    assert metrics.clipsim == pytest.approx((texts[0] @ red_vector + texts[1] @ blue_vector) / 2, abs=1e-5)


def test_suites_load_and_bad_suites_are_named(tmp_path: Path) -> None:
    suite = load_suite("genres")
    assert len(suite.cases) >= 8 and len({case.genre for case in suite.cases}) >= 6
    assert any(case.photos for case in suite.cases)
    broken = tmp_path / "broken.yaml"
    broken.write_text("cases:\n  - id: a\n    prompt: x\n    photos:\n      cat: missing.jpg\n")
    with pytest.raises(InputError, match="does not exist"):
        load_suite(str(broken))
    broken.write_text("cases: [\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_suite(str(broken))
    with pytest.raises(InputError, match="not found"):
        load_suite("no-such-suite")


def _draft(title: str, cameras: list[str]) -> str:
    scenes = [
        {"event": f"The grandmother and the boy do step {n} in the garden.", "action": "dig", "foreground": ["grandmother", "boy"],
         "background": "garden", "camera_direction": camera, "camera_speed": "slow"}
        for n, camera in enumerate(cameras)
    ]
    entities = [{"name": "grandmother", "description": "old"}, {"name": "boy", "description": "young"}, {"name": "garden", "description": "green"}]
    return json.dumps({"title": title, "entities": entities, "scenes": scenes})


def test_eval_run_compares_two_backends_and_writes_reports(tmp_path: Path) -> None:
    suite = load_suite("smoke")
    good = RoutedChatModel(routes={PLAN: [_draft("good", ["left", "right", "zoom in"])]})
    bad = RoutedChatModel(routes={PLAN: ["I cannot do that."]})
    config = EvalConfig(suite="smoke", llms=["scripted:good", "scripted:bad"], prompt_sets=["v1"], seed=7)
    report = run_eval(suite, config, Settings(), tmp_path, chat_models={"scripted:good": good, "scripted:bad": bad})
    table = aggregate(report)
    assert table[("scripted:good", "v1")]["valid"] == 1.0 and table[("scripted:bad", "v1")]["valid"] == 0.0
    assert table[("scripted:good", "v1")]["camera_distinct"] == 3
    grandma = next(r for r in report.results if r.case_id == "grandma-garden" and r.llm == "scripted:good")
    assert grandma.script.entity("grandmother").reference_image.name == "grandmother.jpg"
    assert grandma.metrics.expected_common_found == pytest.approx(2 / 3)  # "boy" is not "grandson"
    paths = write_reports(report, tmp_path / "report")
    markdown = paths["markdown"].read_text()
    assert "| valid scripts ↑ | **100%** | 0% |" in markdown  # the better direction, the best column in bold
    assert "| seconds per case ↓ |" in markdown and "| output tokens per case |" in markdown
    assert "## Failed cases: what the LLM wrote" in markdown and "I cannot do that." in markdown
    assert "I cannot do that." in paths["html"].read_text() and "class=best" in paths["html"].read_text()
    page = paths["html"].read_text()
    assert page.count("<details>") == 4 and "grandma-garden" in page
    saved = json.loads(paths["json"].read_text())
    assert saved["config"]["seed"] == 7 and saved["versions"]["videodrafter"] and saved["prompt_set_hashes"]["v1"]


def test_the_judge_rates_coherence_and_an_out_of_range_rating_is_sent_back(tmp_path: Path) -> None:
    suite = load_suite("smoke")
    planner = RoutedChatModel(routes={PLAN: [_draft("good", ["left", "right", "zoom in"])]})
    judge = ScriptedChatModel(replies=[
        '{"coherence": 9, "reason": "great"}',  # out of range: the problem goes back
        '{"coherence": 4, "reason": "scenes follow each other"}',
        '{"coherence": 2, "reason": "the second case jumps"}',
    ])
    config = EvalConfig(suite="smoke", llms=["scripted:good"], prompt_sets=["v1"], judge="scripted:judge")
    report = run_eval(suite, config, Settings(), tmp_path, chat_models={"scripted:good": planner, "scripted:judge": judge})
    assert [result.metrics.coherence for result in report.results] == [4.0, 2.0]
    assert report.results[0].judge_reason == "scenes follow each other"
    retry = str(judge.seen[1][0][-1].content)
    assert "could not be read" in retry and "coherence" in retry
    assert aggregate(report)[("scripted:good", "v1")]["coherence"] == pytest.approx(3.0)
    assert "| coherence (judge, 1-5) ↑ | 3.00 |" in write_reports(report, tmp_path / "report")["markdown"].read_text()


@pytest.mark.slow
def test_the_embedded_backends_are_evaluated_for_real(tmp_path: Path) -> None:
    suite = tmp_path / "one-case.yaml"  # one short case keeps it a test: every backend and prompt set, each for real
    suite.write_text("cases:\n  - id: beach-dog\n    prompt: a dog's day at the beach\n    scenes: 2\n    expected_common: [dog, beach]\n")
    command = cli_command(
        "eval", "--suite", str(suite),
        "--llm", "local:smollm2", "--llm", "local:gemma3", "--prompts", "v1", "--prompts", "v2", "-o", str(tmp_path / "report"),
        "--no-cache",  # every case asks the model (and nothing is cached in the repository's evals/cache/)
    )
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900, check=False, env={**os.environ})
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert len(report["results"]) == 2 * 2
    assert any(row["metrics"]["valid"] for row in report["results"])
    for row in report["results"]:
        assert row["metrics"]["llm_calls"] >= 1 and row["metrics"]["seconds"] > 0
    assert "local:gemma3 · v2" in (tmp_path / "report" / "report.md").read_text()
    assert str(tmp_path) != str(REPO) and "evals/suites" not in result.stderr


def test_shipped_suites_load_from_any_folder(tmp_path: Path) -> None:
    code = "from videodrafter.evals.cases import load_suite; s = load_suite('smoke'); print(s.name, len(s.cases), sorted(p.name for c in s.cases for p in c.photos.values()))"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split()[:2] == ["smoke", "2"] and "grandmother.jpg" in loaded.stdout
    unknown = run_cli("eval", "--suite", "nope", cwd=tmp_path, timeout=120)
    assert unknown.returncode == 2 and "Known suites: genres, smoke" in " ".join(unknown.stderr.split())


def _scripted_eval(tmp_path: Path, name: str, model: RoutedChatModel, repeats: int = 1) -> Path:
    config = EvalConfig(suite="smoke", llms=["scripted:x"], prompt_sets=["v1"], repeats=repeats)
    report = run_eval(load_suite("smoke"), config, Settings(), tmp_path / name, chat_models={"scripted:x": model})
    return write_reports(report, tmp_path / name)["json"].parent


def test_repeats_give_latency_a_spread(tmp_path: Path) -> None:
    model = RoutedChatModel(routes={PLAN: [_draft("good", ["left", "right", "zoom in"])]})
    folder = _scripted_eval(tmp_path, "repeated", model, repeats=3)
    saved = json.loads((folder / "report.json").read_text())
    assert len(saved["results"]) == 2 * 3 and sorted({row["repeat"] for row in saved["results"]}) == [0, 1, 2]
    from videodrafter.evals.compare import load_report

    table = aggregate(load_report(folder))[("scripted:x", "v1")]
    assert table["seconds_sd"] >= 0 and "tokens_out_per_s_sd" in table
    markdown = (folder / "report.md").read_text()
    assert "× 3 runs" in markdown
    seconds_row = next(line for line in markdown.splitlines() if line.startswith("| seconds per case"))
    assert " ± " in seconds_row


def test_eval_compare_marks_what_got_better_and_worse(tmp_path: Path) -> None:
    before = _scripted_eval(tmp_path, "before", RoutedChatModel(routes={PLAN: ["I cannot do that."]}))
    after = _scripted_eval(tmp_path, "after", RoutedChatModel(routes={PLAN: [_draft("good", ["left", "right", "zoom in"])]}))
    result = run_cli("eval", "compare", str(before), str(after), "-o", str(tmp_path / "cmp.md"), timeout=120, env={"COLUMNS": "250"})
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "cmp.md").read_text()
    valid = next(line for line in text.splitlines() if line.startswith("| valid scripts ↑"))
    assert "| 0% | 100% | +100% ▲ better |" in valid
    assert "▲ better" in " ".join(result.stdout.split())
    other = tmp_path / "other"
    other.mkdir()
    saved = json.loads((after / "report.json").read_text())
    saved["config"]["suite"] = "genres"
    (other / "report.json").write_text(json.dumps(saved))
    mismatch = run_cli("eval", "compare", str(before), str(other), timeout=120)
    assert mismatch.returncode == 2 and "different suites (smoke, genres)" in mismatch.stderr
    missing = run_cli("eval", "compare", str(before), str(tmp_path / "nope"), timeout=120)
    assert missing.returncode == 2 and "There is no eval report" in missing.stderr


def test_rendered_cases_report_the_papers_consistency_metrics_and_two_engines_compare(tmp_path: Path) -> None:
    """Without a CLIP folder the run's own embedder measures FG-SIM, BG-SIM, scene and frame consistency;
    the report puts scene consistency beside the paper's table, and `eval compare` sets two engines side by side."""
    from videodrafter.evals.cases import EvalCase, EvalSuite
    from videodrafter.evals.compare import compare_reports

    suite = EvalSuite(name="smoke", cases=[EvalCase(id="garden", prompt="a grandmother and a boy in the garden", scenes=3)])
    reports = {}
    for engine in ("animatic", "tiny"):
        model = RoutedChatModel(routes={PLAN: [_draft("good", ["left", "right", "zoom in"])]})
        config = EvalConfig(suite="smoke", llms=["scripted:x"], prompt_sets=["v1"], engine=engine)
        settings = Settings(video_width=160, video_height=96, fps=6, voice="none")
        reports[engine] = run_eval(suite, config, settings, tmp_path / engine, chat_models={"scripted:x": model})
        visual = reports[engine].results[0].visual
        assert visual is not None, reports[engine].results[0].notes
        assert all(-1.0 <= value <= 1.0 for value in (visual.fg_sim, visual.bg_sim, visual.scene_consistency, visual.frame_consistency))
        assert math.isnan(visual.clipsim), "no text side without a CLIP folder"
    animatic = reports["animatic"].results[0].visual
    assert animatic.scene_consistency > 0.8 and animatic.frame_consistency > 0.8, "the animatic draws each entity the same in every scene"
    markdown = write_reports(reports["tiny"], tmp_path / "tiny-report")["markdown"].read_text()
    assert "## Scene consistency beside the paper" in markdown and "| paper: VideoDrafter | 75.1 |" in markdown and "| ours: scripted:x · v1 |" in markdown
    side_by_side = compare_reports(reports["animatic"], reports["tiny"])
    assert "A (animatic): scripted:x · v1" in side_by_side and "B (tiny): scripted:x · v1" in side_by_side
    assert any(line.startswith("| scene consistency ↑") for line in side_by_side.splitlines())
    assert any(line.startswith("| FG-SIM ↑") for line in side_by_side.splitlines())


def test_the_report_counts_every_line_that_breaks_a_viewer_rule() -> None:
    from videodrafter.evals.script_metrics import viewer_text_counts
    from videodrafter.script import VideoScript

    def scene(event: str, narration: str = "", action: str = "runs") -> dict:
        return {"event": event, "narration": narration, "action": action, "foreground": ["fox"], "background": "field"}

    script = VideoScript.model_validate({
        "prompt": "a fox in a field",
        "entities": [{"id": "fox", "name": "fox", "kind": "foreground", "description": "a red fox"},
                     {"id": "field", "name": "field", "kind": "background", "description": "a green field"}],
        "scenes": [
            scene("The fox runs across the field.", "The fox is quick."),
            scene("The fox sits on top of the cat in the field.", "I love the fox."),
            scene("The fox finds the keddle in the field.", "The fox runs to the"),
        ],
    })
    counts = viewer_text_counts(script)
    assert (counts.stranger_lines, counts.first_person_lines, counts.cut_lines, counts.invented_words) == (1, 1, 1, 1)
    from videodrafter.evals.reports import ROWS

    assert {"stranger_lines", "first_person_lines", "cut_lines", "invented_words"} <= {metric for metric, *_ in ROWS}


def test_a_case_is_scored_on_the_kept_script_and_counts_what_the_last_check_retold(tmp_path: Path) -> None:
    """The planner's 'child' and 'me' never reach the viewer: the case scores the script a user gets."""
    draft = json.loads(_draft("kept", ["left", "right", "zoom in"]))
    draft["scenes"][2]["event"] = "In the end, the child runs back to me in the garden."
    model = RoutedChatModel(routes={PLAN: [json.dumps(draft)]})
    config = EvalConfig(suite="smoke", llms=["scripted:x"], prompt_sets=["v1"])
    report = run_eval(load_suite("smoke"), config, Settings(), tmp_path, chat_models={"scripted:x": model})
    grandma = next(row for row in report.results if row.case_id == "grandma-garden")
    assert "child" not in grandma.script.scenes[2].event
    assert grandma.metrics.stranger_lines == grandma.metrics.first_person_lines == 0
    assert grandma.metrics.retold_lines >= 1 and any("retold" in note for note in grandma.notes)
