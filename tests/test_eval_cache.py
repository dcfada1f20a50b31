"""The eval's answer cache, per-call traces and per-case progress, with scripted chat models (seconds)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from tests.fixtures.models import PLAN, RoutedChatModel, ScriptedChatModel, beach_day_draft
from videodrafter.config import Settings
from videodrafter.errors import InputError
from videodrafter.evals.answer_cache import EvalAnswerCache, model_identity
from videodrafter.evals.call_traces import watched
from videodrafter.evals.cases import load_suite
from videodrafter.evals.reports import write_reports
from videodrafter.evals.runner import EvalConfig, EvalReport, run_eval
from videodrafter.llm.local_chat import LlamaCppChatModel

BEACH = beach_day_draft(["left", "right", "zoom in"])
GARDEN = json.dumps({
    "title": "The tree",
    "entities": [{"name": name, "description": f"a {name}"} for name in ("grandmother", "grandson", "tree", "garden")],
    "scenes": [
        {"event": f"The grandmother and her grandson {step} the tree in the garden.", "action": step, "foreground": ["grandmother", "grandson", "tree"],
         "background": "garden", "camera_direction": camera, "camera_speed": "slow"}
        for step, camera in (("carry", "left"), ("plant", "zoom in"), ("water", "right"))
    ],
})
"""The planner's accepted answers for the smoke suite's two cases, in order."""


class SlowScriptedModel(ScriptedChatModel):
    """Takes a fifth of a second per answer, so a latency read from a cache file would show."""

    def _generate(self, *args, **kwargs):
        time.sleep(0.2)
        return super()._generate(*args, **kwargs)


def _both() -> RoutedChatModel:
    """Answers either smoke case, whichever comes."""
    return RoutedChatModel(routes={"a dog's day at the beach": [BEACH], "plant a tree": [GARDEN]})


def _run(tmp_path: Path, model, cache: Path | None, prompt_set: str = "v1", progress: list | None = None) -> EvalReport:
    config = EvalConfig(suite="smoke", llms=["scripted:x"], prompt_sets=[prompt_set], cache_dir=cache)
    on_progress = (lambda label, done, total: progress.append((label, done, total))) if progress is not None else (lambda *_: None)
    return run_eval(load_suite("smoke"), config, Settings(), tmp_path / "out", on_progress=on_progress, chat_models={"scripted:x": model})


def _entries(cache: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(cache.glob("*.json"))}


def test_a_rerun_of_an_unchanged_suite_takes_every_answer_from_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first_model = SlowScriptedModel(replies=[BEACH, GARDEN])
    first = _run(tmp_path, first_model, cache)
    assert len(first_model.seen) == 2 and first.cache_counts() == (0, 2)
    assert len(_entries(cache)) == 2 and "*" in (cache / ".gitignore").read_text()

    again = SlowScriptedModel(replies=[])  # any call would fail: it has no replies
    second = _run(tmp_path, again, cache)
    assert again.seen == [] and second.cache_counts() == (2, 2)
    for before, after in zip(first.results, second.results, strict=True):
        assert after.script == before.script and after.metrics.valid
        assert after.cached_calls == 1 and after.calls[0].cached
        assert after.calls[0].seconds == pytest.approx(before.calls[0].seconds, abs=0.05)  # as first measured, not a file read
        assert after.calls[0].seconds >= 0.2 and after.metrics.seconds >= 0.2
        assert (after.metrics.tokens_in, after.metrics.tokens_out) == (before.metrics.tokens_in, before.metrics.tokens_out)
    markdown = write_reports(second, tmp_path / "report")["markdown"].read_text()
    assert f"2 of 2 LLM answers came from the answer cache ({cache})" in markdown


def test_without_a_cache_every_call_goes_to_the_llm_and_nothing_is_kept(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _run(tmp_path, ScriptedChatModel(replies=[BEACH, GARDEN]), cache)
    kept = _entries(cache)
    uncached = ScriptedChatModel(replies=[BEACH, GARDEN])
    report = _run(tmp_path, uncached, None)
    assert len(uncached.seen) == 2 and report.cache_counts() == (0, 2) and report.config.cache_dir is None
    assert _entries(cache) == kept


def test_the_no_cache_option_turns_the_cache_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import videodrafter.evals.runner as runner
    from videodrafter.cli import app

    configs: list[EvalConfig] = []

    def stop(_suite, config, *_args, **_kwargs):
        configs.append(config)
        raise InputError("stopped by the test", "nothing to do")

    monkeypatch.setattr(runner, "run_eval", stop)
    monkeypatch.chdir(tmp_path)
    for extra in ([], ["--no-cache"]):
        result = CliRunner().invoke(app, ["eval", "--suite", "smoke", "--llm", "vllm:m@http://127.0.0.1:9/v1", *extra])
        assert result.exit_code == 2, result.output
    assert [config.cache_dir for config in configs] == [Path("evals/cache"), None]


def test_the_key_changes_with_the_prompt_set_the_call_parameters_and_the_model(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _run(tmp_path, RoutedChatModel(routes={PLAN: [BEACH]}), cache, prompt_set="v1")
    other_set = RoutedChatModel(routes={PLAN: [BEACH]})
    _run(tmp_path, other_set, cache, prompt_set="v2")
    assert other_set.calls(PLAN) >= 2, "another prompt set sends other messages: no answer of v1 fits"

    model = ScriptedChatModel(replies=["a", "b", "c", "d"])
    messages = [SystemMessage(content="You write scripts."), HumanMessage(content="a dog")]
    identity = model_identity("scripted:x", model, eval_seed=0, repeat=0)
    with watched(model, "planner", EvalAnswerCache(cache, identity)):
        assert [model.invoke(messages).content, model.invoke(messages).content] == ["a", "a"]
        assert model.invoke(messages, max_tokens=5).content == "b"
        assert model.invoke(messages, response_format={"type": "json_object", "schema": {"type": "object"}}).content == "c"
    with watched(model, "planner", EvalAnswerCache(cache, {**identity, "eval_seed": 1})):
        assert model.invoke(messages).content == "d"
    assert len(model.seen) == 4

    weights = tmp_path / "m.gguf"
    weights.write_bytes(b"GGUF" + bytes(60))
    embedded = LlamaCppChatModel(model_path=weights, model_name="m", temperature=0.7)
    before = model_identity("local:m", embedded)
    assert model_identity("local:m", embedded.model_copy(update={"temperature": 0.2})) != before, "a field outside LangChain's parameter string"
    weights.write_bytes(b"GGUF" + bytes(61))
    assert model_identity("local:m", embedded)["weights"] == {"file": "m.gguf", "bytes": 65} != before["weights"]


def test_a_damaged_cache_entry_is_asked_again_and_rewritten(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _run(tmp_path, _both(), cache)
    damaged, other = sorted(cache.glob("*.json"))
    damaged.write_text('{"key": "')
    model = _both()
    report = _run(tmp_path, model, cache)
    assert report.cache_counts() == (1, 2) and all(result.metrics.valid for result in report.results)
    assert json.loads(damaged.read_text())["key"] == damaged.stem
    other.write_text(json.dumps({**json.loads(other.read_text()), "key": "another"}))  # valid JSON, someone else's answer
    assert _run(tmp_path, _both(), cache).cache_counts() == (1, 2)


def test_traces_show_each_call_its_answer_and_the_feedback_escaped(tmp_path: Path) -> None:
    refusal = "<b>I cannot</b> do that & won't."
    report = _run(tmp_path, ScriptedChatModel(replies=[refusal, BEACH, GARDEN]), tmp_path / "cache")
    first = report.results[0]
    assert [call.cached for call in first.calls] == [False, False] and len(report.results[1].calls) == 1
    rejected, accepted = first.calls
    assert rejected.answer == refusal and rejected.feedback and accepted.feedback == ""
    assert rejected.messages[0].role == "system" and "a dog's day at the beach" in rejected.messages[-1].content
    assert accepted.messages[-2].content == refusal and accepted.messages[-1].content == rejected.feedback
    assert rejected.response_format.startswith("json_schema") and rejected.tokens_out == 5 and rejected.role == "planner"
    assert len(first.problems) == 1 and first.problems[0] in rejected.feedback

    paths = write_reports(report, tmp_path / "report")
    saved = json.loads(paths["json"].read_text())["results"][0]
    assert saved["calls"][0]["answer"] == refusal and saved["calls"][0]["feedback"] == rejected.feedback
    page = paths["html"].read_text()
    assert refusal not in page and "&lt;b&gt;I cannot&lt;/b&gt; do that &amp; won&#x27;t." in page
    assert page.count("<details class='trace'>") == 2 and page.count("<details class='call'>") == 3
    assert "sent back by the checker" in page and "LLM calls (2)" in page


def test_progress_names_each_case_at_its_start_and_says_how_it_went_at_its_end(tmp_path: Path) -> None:
    events: list[tuple[str, int, int]] = []
    _run(tmp_path, ScriptedChatModel(replies=[BEACH, GARDEN]), tmp_path / "cache", progress=events)
    labels = [label for label, _done, _total in events]
    assert labels[0] == "beach-dog · scripted:x · v1" and labels[2] == "grandma-garden · scripted:x · v1"
    assert re.fullmatch(r"beach-dog · scripted:x · v1 · ok in \d+\.\d s, 1 LLM calls, 5 tokens out", labels[1]), labels[1]
    assert [(done, total) for _label, done, total in events] == [(0, 2), (0, 2), (1, 2), (1, 2), (2, 2)] and labels[-1] == "done"
    events.clear()
    _run(tmp_path, ScriptedChatModel(replies=[]), tmp_path / "cache", progress=events)
    assert events[1][0].endswith("5 tokens out, 1/1 answers from the cache")
