"""Test-wide guards (no network beyond loopback, no API keys, a throwaway cache) and the shared fixtures plugin."""

from __future__ import annotations

import ipaddress
import socket

import pytest

# fixtures every test can ask for by name; plain helpers are imported from these modules
pytest_plugins = ["tests.fixtures.settings", "tests.fixtures.cli"]

_real_connect = socket.socket.connect


def _is_loopback(address: object) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths and the like stay on this machine
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: object) -> object:
    if not _is_loopback(address):
        raise RuntimeError(f"tests must not reach the network (tried {address!r})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    for variable in ("OPENAI_API_KEY", "VIDEODRAFTER_LLM", "VIDEODRAFTER_VLLM_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # silent videos unless a test asks for a voice: the frame counts and cue times other tests pin
    # are those of clips that no narration holds (test_narration.py speaks)
    monkeypatch.setenv("VIDEODRAFTER_VOICE", "none")
    monkeypatch.setenv("VIDEODRAFTER_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    # LangGraph Server contexts may only name folders under the operator's root: the tests' folders are under this one
    monkeypatch.setenv("VIDEODRAFTER_SERVER_ROOT", str(tmp_path_factory.getbasetemp()))
