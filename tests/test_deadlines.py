"""Every external call has a total deadline: a server that drips one byte at a time, forever, cannot
hold a run. A real loopback server drips; the LLM call fails with an error naming the setting, the
vision critic and the speech engine give up (advisory: the run goes on without them)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from PIL import Image

from tests.fixtures.servers import canned_server, chat_completion_body, reply_with
from videodrafter.advisory import vision_critic_step
from videodrafter.config import Settings
from videodrafter.errors import LLMUnavailableError

DEADLINE_S = 2.0
MARGIN_S = 1.5
"""Time past the deadline a call may take to give up (a drip every 0.5 s, a loaded CI machine)."""


class _Drips:
    """What the dripping server saw: requests, and how many of its connections the client closed."""

    def __init__(self) -> None:
        self.requests = 0
        self.closed = threading.Event()


@contextmanager
def dripping_server(*, in_headers: bool = False, drip_s: float = 0.5) -> Iterator[tuple[str, _Drips]]:
    """Answers every POST with one byte per ``drip_s``, forever: in the body after complete headers,
    or (``in_headers``) inside the headers themselves. Yields (its /v1 URL, what it saw)."""
    drips = _Drips()
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            drips.requests += 1
            try:
                if in_headers:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                else:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "1000000")
                    self.end_headers()
                self.wfile.flush()
                while not stop.wait(drip_s):
                    self.wfile.write(b" ")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                drips.closed.set()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", drips
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def _chat(url: str, **settings: object):
    from videodrafter.llm.factory import create_chat_model

    return create_chat_model(f"vllm:slow@{url}", Settings(**settings))


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_an_llm_that_drips_fails_at_its_total_deadline_with_the_setting_named_and_is_not_retried(in_headers: bool) -> None:
    from videodrafter.llm.calls import invoke_chat
    from videodrafter.llm.usage import TokenUsage

    with dripping_server(in_headers=in_headers) as (url, drips):
        model = _chat(url, llm_timeout_s=DEADLINE_S, llm_transport_retries=2)
        started = time.monotonic()
        with pytest.raises(LLMUnavailableError, match="VIDEODRAFTER_LLM_TIMEOUT_S") as failure:
            invoke_chat(model, [HumanMessage(content="hello")], TokenUsage())
        took = time.monotonic() - started
        assert DEADLINE_S - 0.1 <= took <= DEADLINE_S + MARGIN_S, took
        assert "no complete answer within 2 s" in failure.value.message and "Raise VIDEODRAFTER_LLM_TIMEOUT_S" in failure.value.hint
        assert drips.requests == 1, "past the deadline nothing is retried"
        assert drips.closed.wait(2), "the connection is closed, not left dripping"


def test_a_deadline_bounds_the_whole_answer_while_quick_answers_pass(tmp_path: Path) -> None:
    from videodrafter.llm.calls import invoke_chat
    from videodrafter.llm.usage import TokenUsage

    with canned_server(reply_with(200, chat_completion_body("hi"), delay_s=0.2)) as url:
        reply = invoke_chat(_chat(url, llm_timeout_s=DEADLINE_S), [HumanMessage(content="hello")], TokenUsage())
    assert reply.content == "hi"
    with canned_server(reply_with(200, chat_completion_body("late"), delay_s=DEADLINE_S + 1)) as url:
        started = time.monotonic()
        with pytest.raises(LLMUnavailableError, match="VIDEODRAFTER_LLM_TIMEOUT_S"):
            invoke_chat(_chat(url, llm_timeout_s=DEADLINE_S), [HumanMessage(content="hello")], TokenUsage())
        assert time.monotonic() - started <= DEADLINE_S + MARGIN_S


def test_a_dripping_vision_critic_gives_no_verdict_at_its_deadline_and_the_step_goes_on_without_it(tmp_path: Path) -> None:
    from videodrafter.consistency.vision_critic import CriticReference, VisionCritic
    from videodrafter.llm.usage import TokenUsage

    picture = tmp_path / "scene.png"
    Image.new("RGB", (32, 32), "red").save(picture)
    with dripping_server() as (url, drips):
        settings = Settings(llm_timeout_s=60, critic_timeout_s=DEADLINE_S, plan_max_attempts=3, llm_transport_retries=2)
        critic = VisionCritic(_chat(url, llm_timeout_s=60, llm_transport_retries=2), settings)
        step = vision_critic_step()
        started = time.monotonic()
        verdict = step.attempt(
            lambda: critic.judge_scene("a red fox", [CriticReference(name="fox", image=picture)], picture, TokenUsage())
        )
        took = time.monotonic() - started
    assert verdict is None and step.down
    assert DEADLINE_S - 0.1 <= took <= DEADLINE_S + MARGIN_S, took
    [note] = step.notes
    assert "VIDEODRAFTER_CRITIC_TIMEOUT_S" in note and "the image embedder decides" in note
    assert drips.requests == 1


def test_a_dripping_speech_server_leaves_the_line_silent_at_the_deadline(tmp_path: Path) -> None:
    from videodrafter.audio.engines import OpenAISpeechEngine
    from videodrafter.audio.spec import parse_voice_spec
    from videodrafter.audio.speech_files import speech_step

    with dripping_server() as (url, drips):
        engine = OpenAISpeechEngine(parse_voice_spec(f"openai-compatible:kokoro@{url}"), timeout_s=DEADLINE_S)
        step = speech_step()
        started = time.monotonic()
        spoken = step.attempt(lambda: engine.synthesize("hello there", tmp_path / "line.wav"))
        took = time.monotonic() - started
        assert drips.closed.wait(2)
    assert spoken is None and step.down and not (tmp_path / "line.wav").exists()
    assert DEADLINE_S - 0.1 <= took <= DEADLINE_S + MARGIN_S, took
    assert "did not send its audio within 2 s" in step.notes[0]
