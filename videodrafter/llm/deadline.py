"""Total deadlines for HTTP calls: the whole answer, not each read.

httpx's timeouts are per phase and per read, so a server that drips one byte a second never
times out. Here every socket operation of a deadline-bound client waits at most until the
deadline, and one that would start after it raises ``DeadlinePassed``: the connection is
closed by httpcore (as for any error inside a request) and the caller gets an error it can
name. ``DeadlinePassed`` is not an httpx error, so the OpenAI client does not retry it.

The deadline travels in a context variable: ``deadline(seconds)`` bounds everything inside it
(an LLM answer with its transport retries, a critic's verdict with its re-asks), and each
request of a ``deadline_client`` is bounded on its own as well; the nearest deadline wins.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

import httpcore
import httpx

T = TypeVar("T")

LLM_TIMEOUT_SETTING = "VIDEODRAFTER_LLM_TIMEOUT_S"
CRITIC_TIMEOUT_SETTING = "VIDEODRAFTER_CRITIC_TIMEOUT_S"


@dataclass(frozen=True)
class _Bound:
    at: float
    """time.monotonic() when the time is up."""
    seconds: float
    setting: str


_CURRENT: ContextVar[_Bound | None] = ContextVar("videodrafter_http_deadline", default=None)


class DeadlinePassed(Exception):
    """A call ran past its total deadline; ``setting`` names the knob that sets it."""

    def __init__(self, seconds: float, setting: str) -> None:
        super().__init__(f"no complete answer within {seconds:g} s ({setting})")
        self.seconds = seconds
        self.setting = setting


@contextmanager
def deadline(seconds: float | None, setting: str) -> Iterator[None]:
    """Bound every deadline-aware call inside to ``seconds`` from now (None: no new bound)."""
    outer = _CURRENT.get()
    if seconds is None:
        yield
        return
    bound = _Bound(time.monotonic() + seconds, seconds, setting)
    token = _CURRENT.set(bound if outer is None or bound.at < outer.at else outer)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def _remaining(timeout: float | None) -> float | None:
    """The timeout for one socket operation: the phase's own, cut to what is left of the deadline."""
    bound = _CURRENT.get()
    if bound is None:
        return timeout
    left = bound.at - time.monotonic()
    if left <= 0:
        raise DeadlinePassed(bound.seconds, bound.setting)
    return left if timeout is None else min(timeout, left)


def _bounded(operation: Callable[[float | None], T], timeout: float | None) -> T:
    try:
        return operation(_remaining(timeout))
    except httpcore.TimeoutException:
        bound = _CURRENT.get()
        if bound is not None and time.monotonic() >= bound.at - 0.01:
            raise DeadlinePassed(bound.seconds, bound.setting) from None
        raise


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _bounded(lambda left: self._inner.read(max_bytes, left), timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        _bounded(lambda left: self._inner.write(buffer, left), timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None) -> httpcore.NetworkStream:  # noqa: ANN001
        return _DeadlineStream(_bounded(lambda left: self._inner.start_tls(ssl_context, server_hostname, left), timeout))

    def get_extra_info(self, info: str):  # noqa: ANN201
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own network backend with every connect, read and write cut to the deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None, socket_options=None) -> httpcore.NetworkStream:  # noqa: ANN001
        return _DeadlineStream(_bounded(lambda left: self._inner.connect_tcp(host, port, left, local_address, socket_options), timeout))

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None) -> httpcore.NetworkStream:  # noqa: ANN001
        return _DeadlineStream(_bounded(lambda left: self._inner.connect_unix_socket(path, left, socket_options), timeout))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineBody(httpx.SyncByteStream):
    """A response body read under the deadline of the request that opened it."""

    def __init__(self, inner: httpx.SyncByteStream, bound: _Bound | None) -> None:
        self._inner, self._bound = inner, bound

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._inner)
        while True:
            token = _CURRENT.set(self._bound)
            try:
                chunk = next(chunks, None)
            finally:
                _CURRENT.reset(token)
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        self._inner.close()


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport (pool, TLS, proxy) whose socket operations honour the total deadline."""

    def __init__(self, seconds: float, setting: str, *, proxy: str | None = None) -> None:
        super().__init__(proxy=proxy)
        self.seconds, self.setting = seconds, setting
        pool = self._pool
        # httpx exposes no way to give its pool a network backend; httpcore keeps it in this attribute
        pool._network_backend = _DeadlineBackend(pool._network_backend)  # type: ignore[attr-defined]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with deadline(self.seconds, self.setting):
            bound = _CURRENT.get()
            response = super().handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            status_code=response.status_code, headers=response.headers, stream=_DeadlineBody(response.stream, bound),
            extensions=response.extensions,
        )


def _environment_proxy(url: str) -> str | None:
    """The proxy the environment names for ``url`` (httpx ignores it once a transport is given)."""
    host = httpx.URL(url).host
    if urllib.request.proxy_bypass(host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(httpx.URL(url).scheme) or proxies.get("all")


def deadline_client(seconds: float, setting: str, base_url: str) -> httpx.Client:
    """An httpx client whose every request (connect, send, headers, body) ends within ``seconds``."""
    return httpx.Client(transport=DeadlineTransport(seconds, setting, proxy=_environment_proxy(base_url)), timeout=seconds)

