"""`make --dry-run`: what a run will take (stages, time, LLM tokens, price) before it starts; nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fixtures.cli import CliRunner
from tests.fixtures.scripts import write_script
from videodrafter.config import Settings
from videodrafter.graph.estimate import estimate_run
from videodrafter.graph.runner import start_run
from videodrafter.run_inputs import load_script_file


def test_a_dry_run_prints_the_estimate_and_makes_nothing(cli: CliRunner, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    result = cli("make", "a fox and a crow race across a snowy forest", "--dry-run", "--runs-dir", str(runs))
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "estimate: about" in out and "nothing was made" in out
    for stage in ("script", "enrich", "references", "scene images", "clips", "assemble", "LLM", "price"):
        assert stage in out, stage
    assert not runs.exists(), "a dry run writes nothing"
    plain = cli("make", "a fox and a crow race across a snowy forest", "--dry-run", "--enrich", "none", "--runs-dir", str(runs))
    assert plain.returncode == 0, plain.stderr
    assert "enrich" not in " ".join(plain.stdout.split()), "--enrich none skips the stage"
    refused = cli("make", "a kite", "--llm", "bogus", "--dry-run", "--runs-dir", str(runs))
    assert refused.returncode != 0 and "is not an LLM spec" in refused.stderr


def test_after_one_run_the_estimate_of_that_run_is_within_twice_its_time(settings: Settings, tmp_path: Path) -> None:
    script = load_script_file(write_script(tmp_path / "s.json", "timed", ["left", "zoom in", "right"]))
    before = estimate_run(settings, script=script)
    assert {stage.source for stage in before.stages} == {"typical"}
    outcome = start_run("", settings, script=script, run_id="timed")
    after = estimate_run(settings, script=script)
    assert {stage.source for stage in after.stages} == {"earlier runs"}
    assert outcome.seconds / 2 <= after.seconds <= outcome.seconds * 2, (after.seconds, outcome.seconds)
    assert after.llm_calls == 0, "a finished script needs no LLM"


def test_llm_use_comes_from_earlier_runs_and_the_price_from_the_price_table(tmp_path: Path, monkeypatch) -> None:
    runs = tmp_path / "runs"
    settings = Settings(runs_dir=runs, llm="openai:gpt-4o-mini")
    typical = estimate_run(settings, scenes=4)
    assert typical.llm_source == "typical" and typical.price_usd > 0 and "gpt-4o-mini" in typical.price_note
    for index, calls in enumerate((8, 10, 12)):
        (runs / f"r{index}").mkdir(parents=True)
        manifest = {"llm": "openai:gpt-4o-mini", "usage": {"calls": calls, "input_tokens": 1_000_000, "output_tokens": 100_000}}
        (runs / f"r{index}" / "manifest.json").write_text(json.dumps(manifest))
    measured = estimate_run(settings, scenes=4)
    assert (measured.llm_calls, measured.input_tokens, measured.output_tokens, measured.llm_source) == (10, 1_000_000, 100_000, "earlier runs")
    assert measured.price_usd == 0.15 + 0.06
    prices = tmp_path / "prices.yaml"
    prices.write_text("openai:\n  gpt-4o-mini: [1.0, 2.0]\n")
    monkeypatch.setenv("VIDEODRAFTER_PRICES_FILE", str(prices))
    assert estimate_run(settings, scenes=4).price_usd == 1.0 + 0.2
    assert estimate_run(Settings(runs_dir=runs), scenes=4).price_usd == 0.0, "the embedded model costs nothing"
