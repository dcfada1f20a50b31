"""The few-shot part of an embedded model's prompt is read once and kept: a later run (another
process: a fresh store over the same folder) loads it from disk and writes exactly the same text, a
damaged state is made again, and the LLM runs on one thread however many threads ask (real SmolLM2)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from videodrafter.llm.local_chat import LlamaCppChatModel, _load_llama, prefix_states
from videodrafter.llm.local_models import resolve_local_model
from videodrafter.llm.prompt_prefix import MIN_PREFIX_TOKENS, PrefixStates, example_answer, fixed_message_count

pytestmark = pytest.mark.slow

WORKED = "The cast is fixed. Answer with one short sentence about the prompt, naming its characters. " * 14


def _messages(prompt: str) -> list:
    return [
        SystemMessage(content=WORKED),
        HumanMessage(content="Prompt: a fox and a crow in the snow"),
        example_answer("One day, the fox meets the crow in the snow."),
        HumanMessage(content="Prompt: a robot on the moon"),
        example_answer("One day, the robot walks across the moon."),
        HumanMessage(content=f"Prompt: {prompt}"),
    ]


def _model(folder: Path) -> LlamaCppChatModel:
    return LlamaCppChatModel(model_path=resolve_local_model("smollm2", folder).path, seed=3, max_tokens=24, prefix_cache_dir=folder / "states")


def test_the_fixed_part_ends_at_the_last_worked_example() -> None:
    messages = _messages("a dog at the beach")
    assert fixed_message_count(messages) == 5
    assert fixed_message_count([SystemMessage(content="x"), HumanMessage(content="y")]) == 0


def test_a_kept_state_gives_the_same_text_cold_warm_and_after_damage(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    model = _model(tmp_path)
    model.reset_prompt_cache()
    cold = model.invoke(_messages("a dog at the beach")).content
    states = list((tmp_path / "states").glob("*.state"))
    assert len(states) == 1, "the fixed part was evaluated once and kept on disk"

    llama, runner = _load_llama(model.model_path, model.n_ctx, model.chat_format, model.n_threads or 1)
    from videodrafter.llm.prompt_prefix import _formatter, _tokens, prefix_tokens

    chat = [{"role": role, "content": str(m.content)} for role, m in zip(["system", "user", "assistant", "user", "assistant", "user"], _messages("x"), strict=True)]
    prefix = prefix_tokens(llama, chat, 5)
    assert len(prefix) >= MIN_PREFIX_TOKENS and _tokens(llama, _formatter(llama), chat)[: len(prefix)] == prefix

    prefix_states.cache_clear()  # a new process: nothing in memory
    model.reset_prompt_cache()
    store = prefix_states(model.prefix_cache_dir)
    assert runner.submit(store.prepare, llama, prefix).result() == "disk"
    model.reset_prompt_cache()
    assert model.invoke(_messages("a dog at the beach")).content == cold, "a state from disk holds the numbers a fresh evaluation gives"
    assert model.invoke(_messages("a cat in a garden")).content  # the same fixed part, another question

    states[0].write_bytes(states[0].read_bytes()[:-100])  # a damaged file (a full disk, a killed writer)
    prefix_states.cache_clear()
    model.reset_prompt_cache()
    with caplog.at_level(logging.WARNING, logger="videodrafter.llm.prompt_prefix"):
        assert model.invoke(_messages("a dog at the beach")).content == cold
    assert "damaged" in caplog.text
    llama.reset()
    assert runner.submit(PrefixStates(tmp_path / "states").prepare, llama, prefix).result() == "disk", "it was made again"


def test_calls_from_many_threads_run_one_at_a_time_on_the_models_thread(tmp_path: Path) -> None:
    model = _model(tmp_path)
    model.reset_prompt_cache()
    alone = model.invoke(_messages("a dog at the beach")).content
    answers: list[str] = []

    def ask() -> None:
        model.reset_prompt_cache()
        answers.append(str(model.invoke(_messages("a dog at the beach")).content))

    workers = [threading.Thread(target=ask) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert len(answers) == 2 and all(answer == alone for answer in answers)
