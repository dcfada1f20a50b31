"""A loopback OpenAI chat-completions server that plays a vision critic.

It checks what a vision server would get (image_url parts, decodable data URIs, bounded sizes)
and answers the verdicts a test scripts for it, chosen by the request's text.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from PIL import Image

from tests.servers import canned_server, chat_completion_body, reply_with


@dataclass
class SeenRequest:
    """One chat request as the server saw it."""

    text: str
    image_sizes: list[tuple[int, int]]
    problems: list[str] = field(default_factory=list)
    response_format: dict | None = None
    feedback: str = ""
    """The text of a later plain user turn: the validation error the client fed back."""


def inspect(body: dict, max_side: int) -> SeenRequest:
    """The user turn's text and pictures; anything a vision server could not read is a problem."""
    problems: list[str] = []
    users = [message["content"] for message in body["messages"] if message["role"] == "user"]
    feedback = users[-1] if len(users) > 1 and isinstance(users[-1], str) else ""
    content = users[0]
    if isinstance(content, str):
        return SeenRequest(text=content, image_sizes=[], problems=["the user turn has no content parts"])
    texts, sizes = [], []
    for part in content:
        if part["type"] == "text":
            texts.append(part["text"])
        elif part["type"] == "image_url":
            url = part["image_url"]["url"]
            if not url.startswith("data:image/"):
                problems.append(f"not a data URI: {url[:40]}")
                continue
            try:
                with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1], validate=True))) as image:
                    image.load()
                    sizes.append(image.size)
            except Exception as error:  # noqa: BLE001 - any decoding failure is what the test reports
                problems.append(f"undecodable picture: {error}")
        else:
            problems.append(f"unexpected part {part['type']}")
    for size in sizes:
        if max(size) > max_side:
            problems.append(f"picture {size} larger than {max_side}")
    return SeenRequest(
        text="\n".join(texts), image_sizes=sizes, problems=problems, response_format=body.get("response_format"), feedback=feedback
    )


def verdict(consistent: bool, score: int, problems: list[str] | None = None, revised_prompt: str | None = None) -> str:
    return json.dumps({"consistent": consistent, "score": score, "problems": problems or [], "revised_prompt": revised_prompt})


@contextmanager
def vision_critic(answer: Callable[[SeenRequest], str], max_side: int) -> Iterator[tuple[str, list[SeenRequest]]]:
    """Yields (the server's /v1 URL, the requests it saw); ``answer`` writes each reply's content."""
    seen: list[SeenRequest] = []

    def respond(handler: BaseHTTPRequestHandler) -> None:
        request = inspect(handler.server_request, max_side)  # type: ignore[attr-defined]
        seen.append(request)
        reply_with(200, chat_completion_body(answer(request)))(handler)

    bodies: list = []

    def respond_with_body(handler: BaseHTTPRequestHandler) -> None:
        handler.server_request = bodies[-1]  # type: ignore[attr-defined]
        respond(handler)

    with canned_server(respond_with_body, bodies) as url:
        yield url, seen
