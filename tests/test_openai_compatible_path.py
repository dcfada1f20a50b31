"""The OpenAI / vLLM client path against real servers on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.servers import (
    canned_server,
    chat_completion_body,
    free_port,
    llama_cpp_server,
    reply_with,
)
from videodrafter.agent.edits import EDIT_TYPES, SetCamera
from videodrafter.agent.interpret import parse_with_tools
from videodrafter.config import Settings
from videodrafter.llm.factory import create_chat_model
from videodrafter.llm.usage import TokenUsage
from videodrafter.errors import LLMUnavailableError, PlanningError
from videodrafter.llm.local_models import resolve_local_model
from videodrafter.graph.review import write_script
from videodrafter.script import VideoScript

PROMPTS = ["a dog's day at the beach", "a grandmother and her grandson plant a garden"]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = resolve_local_model("smollm2", tmp_path_factory.mktemp("cache"))
    with llama_cpp_server(model.path, tmp_path_factory.mktemp("server") / "server.log") as base_url:
        yield base_url


@pytest.mark.slow
@pytest.mark.parametrize("prompt", PROMPTS)
def test_vllm_spec_plans_a_valid_script_through_a_real_llama_cpp_server(llama_server: str, prompt: str) -> None:
    settings = Settings(llm=f"vllm:smollm2@{llama_server}", seed=3, script_review_rounds=1)
    report = write_script(prompt, settings, scenes=3, enrich="none")
    script = report.script
    assert len(script.scenes) == 3
    assert all(scene.background in {entity.id for entity in script.entities} for scene in script.scenes)
    assert report.usage.calls >= 1 and report.usage.output_tokens > 20 and report.usage.input_tokens > 500


@pytest.mark.slow
def test_openai_spec_with_a_base_url_and_enrichment(llama_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used-by-llama-cpp")
    settings = Settings(llm=f"openai:smollm2@{llama_server}", seed=5, critique=False, script_review_rounds=1)  # the enrichment is under test
    # the common entities only (as `make` does): each gets the paper's three rounds over the real server
    report = write_script("a robot learns to paint", settings, scenes=2, enrich="common")
    common = report.script.common_entities
    assert common and all(entity.description for entity in report.script.entities)
    assert report.usage.calls >= 1 + 3 * len(common)


def test_server_down_is_a_clear_error() -> None:
    settings = Settings(llm=f"vllm:glm-4@http://127.0.0.1:{free_port()}/v1", llm_transport_retries=0)
    with pytest.raises(LLMUnavailableError, match="Could not connect") as caught:
        write_script("a dog", settings, enrich="none")
    assert "--llm" in caught.value.hint


def test_timeout_is_a_clear_error() -> None:
    with canned_server(reply_with(200, chat_completion_body("{}"), delay_s=3)) as url:
        settings = Settings(llm=f"vllm:glm-4@{url}", llm_timeout_s=0.5, llm_transport_retries=0)
        with pytest.raises(LLMUnavailableError, match="did not answer in time"):
            write_script("a dog", settings, enrich="none")


def test_garbage_answers_exhaust_the_bounded_retries_with_a_clear_error() -> None:
    with canned_server(reply_with(200, chat_completion_body("%%% lorem { ipsum ]] }"))) as url:
        settings = Settings(llm=f"vllm:glm-4@{url}", plan_max_attempts=2)
        with pytest.raises(PlanningError, match="no usable script in 2 attempts.*malformed"):
            write_script("a dog", settings, enrich="none")


def test_a_non_json_http_body_is_a_clear_error() -> None:
    with canned_server(reply_with(200, b"<html>proxy error</html>", content_type="text/html")) as url:
        settings = Settings(llm=f"vllm:glm-4@{url}", llm_transport_retries=0)
        with pytest.raises((LLMUnavailableError, PlanningError)) as caught:
            write_script("a dog", settings, enrich="none")
        assert caught.value.hint


def test_server_errors_name_the_status() -> None:
    with canned_server(reply_with(503, b'{"error": {"message": "overloaded"}}')) as url:
        settings = Settings(llm=f"vllm:glm-4@{url}", llm_transport_retries=0)
        with pytest.raises(LLMUnavailableError, match="HTTP 503"):
            write_script("a dog", settings, enrich="none")


def _two_scene_script() -> VideoScript:
    return VideoScript.model_validate(
        {
            "prompt": "a dog at the beach", "title": "beach",
            "entities": [{"id": "dog", "name": "dog", "kind": "foreground"}, {"id": "beach", "name": "beach", "kind": "background"}],
            "scenes": [
                {"event": "The dog runs along the shore.", "action": "runs", "foreground": ["dog"], "background": "beach"},
                {"event": "The dog chases a red ball.", "action": "chases", "foreground": ["dog"], "background": "beach"},
            ],
        }
    )


def test_tool_calls_with_arguments_their_tool_rejects_are_skipped() -> None:
    """OpenAI tool calls, as a server sends them, become typed edits; unknown tools and bad arguments are dropped."""
    body = chat_completion_body("", tool_calls=[("SwapScenes", {"first": 0, "second": 2}), ("SetCamera", {"scene": 2, "direction": "left"}), ("Teleport", {})])
    requests: list[dict] = []
    with canned_server(reply_with(200, body), requests) as url:
        settings = Settings(llm=f"vllm:gpt-like@{url}", llm_transport_retries=0)
        usage = TokenUsage()
        commands = parse_with_tools("pan left in the ball scene", _two_scene_script(), create_chat_model(settings.llm, settings), usage)
    assert commands == [SetCamera(scene=2, direction="left")]
    sent = {tool["function"]["name"]: tool["function"]["parameters"] for tool in requests[0]["tools"]}
    assert set(sent) == {tool.__name__ for tool in EDIT_TYPES}
    assert sent["SetCamera"]["properties"]["scene"]["minimum"] == 1
    assert usage.calls == 1 and usage.input_tokens == 3


def test_a_tool_calling_server_that_is_down_is_a_clear_error() -> None:
    settings = Settings(llm=f"vllm:glm-4@http://127.0.0.1:{free_port()}/v1", llm_transport_retries=0)
    with pytest.raises(LLMUnavailableError, match="Could not connect"):
        parse_with_tools("pan left", _two_scene_script(), create_chat_model(settings.llm, settings), TokenUsage())
