"""Long work is never silent: plain stage lines and a heartbeat without a terminal, LLM token counts
as they are written, a sub-progress in status.json, and each stage's estimate from earlier runs."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from langchain_core.messages import HumanMessage

from tests.fixtures.cli import CliRunner
from tests.fixtures.models import ScriptedChatModel
from tests.fixtures.scripts import write_script
from videodrafter.cli_progress import PlainStageLines, duration
from videodrafter.config import Settings
from videodrafter.graph.progress import ProgressEvent
from videodrafter.graph.run_folder import StatusRecord
from videodrafter.graph.runner import start_run
from videodrafter.graph.stage_times import STAGE_TIMES, StageTimes, stage_key
from videodrafter.llm import token_meter
from videodrafter.llm.calls import invoke_chat
from videodrafter.llm.usage import TokenUsage

LINE = re.compile(r"^\d\d:\d\d:\d\d (start|done |\.\.\.  ) (\S[\w ]*?)\s{2,}")


def test_plain_lines_say_when_each_stage_starts_and_ends_and_beat_while_one_runs_long() -> None:
    lines: list[str] = []
    with PlainStageLines(lines.append, heartbeat_s=0.3) as plain:
        plain.on_event(ProgressEvent(stage="script", message="planning scenes", total=1, estimate_s=75))
        time.sleep(0.8)
        plain.on_event(ProgressEvent(stage="script", message="planning scenes", total=1, tokens=212, tokens_per_s=6.3, estimate_s=75))
        time.sleep(0.5)
        plain.on_event(ProgressEvent(stage="clips", message="clip 1: zoom in, slow", total=4))
    assert lines[0].endswith("start script        planning scenes · earlier runs: ~1m15s"), lines[0]
    beats = [line for line in lines if " ...   script " in line]
    assert beats, lines
    assert re.search(r"0/1 · planning scenes · 212 tokens, 6.3 tok/s · \d s so far of ~1m15s$", beats[-1]), beats
    ends = [line for line in lines if " done  " in line]
    assert [line.split()[2] for line in ends] == ["script", "clips"], "each stage ends once, the last when the work ends"
    assert all(LINE.match(line) for line in lines), lines
    assert duration(42) == "42 s" and duration(185) == "3m05s" and duration(3720) == "1h02m"


def test_a_run_without_a_terminal_prints_its_stages_and_remembers_how_long_they_took(cli: CliRunner, tmp_path: Path) -> None:
    script = write_script(tmp_path / "s.json", "walk", ["right", "zoom in"])
    runs = tmp_path / "runs"
    first = cli("make", "--script", str(script), "--runs-dir", str(runs), "--run-id", "first")
    assert first.returncode == 0, first.stderr
    stages = [match.group(2) for line in first.stderr.splitlines() if (match := LINE.match(line)) and match.group(1) == "start"]
    assert stages[:2] == ["references", "scene images"] and stages[-1] == "assemble", first.stderr
    assert re.search(r"^\d\d:\d\d:\d\d done  assemble\s+\d+ s$", first.stderr, re.MULTILINE), first.stderr

    times = StageTimes.read(runs)
    settings = Settings(runs_dir=runs)
    assert {stage_key(stage, settings) for stage in ("references", "clips", "assemble")} <= set(times.stages), times
    assert times.stages[stage_key("clips", settings)][0].items == 2
    assert json.loads((runs / STAGE_TIMES).read_text())  # a file people can read

    second = cli("make", "--script", str(script), "--runs-dir", str(runs), "--run-id", "second", "--seed", "7")
    assert second.returncode == 0, second.stderr
    assert re.search(r"start clips\s+clip 1: .* · earlier runs: ~\d", second.stderr), second.stderr
    status = StatusRecord.model_validate_json((runs / "second" / "status.json").read_text())
    assert status.status == "done"


def test_status_json_carries_the_stage_under_way_with_its_count_and_start(settings: Settings, tmp_path: Path) -> None:
    script = write_script(tmp_path / "s.json", "walk", ["right", "zoom in", "left"])
    seen: list[StatusRecord] = []

    def on_event(event: ProgressEvent) -> None:
        if event.stage == "clips" and event.done == 1:
            seen.append(StatusRecord.model_validate_json((settings.runs_dir / "walk" / "status.json").read_text()))

    from videodrafter.run_inputs import load_script_file

    start_run("", settings, script=load_script_file(script), run_id="walk", on_event=on_event)
    assert seen, "the clips stage reported"
    record = seen[0]
    assert record.status == "running" and record.stage == "clips" and record.total == 3 and record.stage_started_at
    assert record.message.startswith("clip")


def test_an_llm_call_reports_its_tokens_to_whoever_listens() -> None:
    model = ScriptedChatModel(replies=["hello there"])
    ticks: list[token_meter.TokenTick] = []
    with token_meter.listening(ticks.append):
        invoke_chat(model, [HumanMessage(content="hi")], TokenUsage())
    assert ticks and ticks[-1].finished
    invoke_chat(ScriptedChatModel(replies=["again"]), [HumanMessage(content="hi")], TokenUsage())
    assert len(ticks) == 1, "nobody listens outside the block"


def test_the_embedded_model_reports_tokens_while_it_writes(monkeypatch) -> None:
    from videodrafter.llm.factory import create_chat_model

    monkeypatch.setattr(token_meter, "TICK_EVERY_S", 0.0)
    settings = Settings()
    model = create_chat_model(settings.llm, settings)
    ticks: list[token_meter.TokenTick] = []
    with token_meter.listening(ticks.append):
        reply = invoke_chat(model, [HumanMessage(content="Tell me about the sea.")], TokenUsage(), max_tokens=12)
    written = reply.usage_metadata["output_tokens"]
    during = [tick.output_tokens for tick in ticks if not tick.finished]
    assert during == list(range(1, len(during) + 1)) and len(during) >= written - 1, (during, written)
    assert ticks[-1].finished and ticks[-1].output_tokens == written
