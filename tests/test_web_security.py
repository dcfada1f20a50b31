"""The web server as someone on the network meets it: sign-in when the operator sets one, a warning
when it listens beyond this machine without one, and only a run's exports served from the runs folder."""

from __future__ import annotations

import http.cookiejar
import os
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.fixtures.cli import CliRunner, cli_command
from tests.fixtures.scripts import write_script
from tests.fixtures.servers import free_port


def _start(runs: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        cli_command("serve", "--port", str(port), "--runs-dir", str(runs), *extra),
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        time.sleep(0.2)
    process.kill()
    raise AssertionError("the web UI did not start")


def _status(opener: urllib.request.OpenerDirector, url: str) -> int:
    try:
        with opener.open(url, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _file_url(port: int, path: Path) -> str:
    return f"http://127.0.0.1:{port}/gradio_api/file={urllib.parse.quote(str(path.resolve()))}"


def test_only_exports_are_served_and_a_sign_in_guards_everything(cli: CliRunner, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    assert cli("make", "--script", str(write_script(tmp_path / "s.json", "web", ["left"])), "--runs-dir", str(runs), "--run-id", "w").returncode == 0
    (runs / "sessions" / "chat-1").mkdir(parents=True)
    (runs / "sessions" / "chat-1" / "chat.sqlite").write_bytes(b"private")
    run = runs / "w"
    exports = [run / "video.mp4", run / "contact_sheet.png", run / "video.srt", run / "script.json"]
    private = [run / "checkpoints.sqlite", run / "request.json", run / "status.json", runs / "sessions" / "chat-1" / "chat.sqlite"]

    process, port = _start(runs, "--host", "0.0.0.0")
    try:
        opener = urllib.request.build_opener()
        assert [_status(opener, _file_url(port, path)) for path in exports] == [200] * len(exports)
        assert [_status(opener, _file_url(port, path)) for path in private] == [403] * len(private)
    finally:
        process.terminate()
        warning = " ".join(process.communicate(timeout=30)[1].split())
    assert "without --auth anyone who reaches port" in warning, warning

    process, port = _start(runs, env={"VIDEODRAFTER_WEB_AUTH": "team:a-long-secret"})
    try:
        stranger = urllib.request.build_opener()
        assert _status(stranger, _file_url(port, run / "video.mp4")) in (401, 403)
        member = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        login = urllib.parse.urlencode({"username": "team", "password": "a-long-secret"}).encode()
        member.open(urllib.request.Request(f"http://127.0.0.1:{port}/login", data=login), timeout=30).close()
        assert _status(member, _file_url(port, run / "video.mp4")) == 200
        assert _status(member, _file_url(port, run / "checkpoints.sqlite")) == 403
    finally:
        process.terminate()
        process.wait(timeout=30)
    weak = cli("serve", "--runs-dir", str(runs), "--auth", "team:short")
    assert weak.returncode != 0 and "at least 8 characters" in " ".join(weak.stderr.split())
