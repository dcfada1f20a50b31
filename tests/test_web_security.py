"""The web server as someone on the network meets it: sign-in when the operator sets one, a warning
when it listens beyond this machine without one, and only a run's exports served from the runs folder."""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.fixtures.cli import CliRunner
from tests.fixtures.scripts import write_script
from tests.fixtures.servers import web_ui


def _status(opener: urllib.request.OpenerDirector, url: str) -> int:
    try:
        with opener.open(url, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _file_url(url: str, path: Path) -> str:
    return f"{url}/gradio_api/file={urllib.parse.quote(str(path.resolve()))}"


def test_only_exports_are_served_and_a_sign_in_guards_everything(cli: CliRunner, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    assert cli("make", "--script", str(write_script(tmp_path / "s.json", "web", ["left"])), "--runs-dir", str(runs), "--run-id", "w").returncode == 0
    (runs / "sessions" / "chat-1").mkdir(parents=True)
    (runs / "sessions" / "chat-1" / "chat.sqlite").write_bytes(b"private")
    run = runs / "w"
    exports = [run / "video.mp4", run / "contact_sheet.png", run / "video.srt", run / "script.json"]
    private = [run / "checkpoints.sqlite", run / "request.json", run / "status.json", runs / "sessions" / "chat-1" / "chat.sqlite"]

    log = tmp_path / "serve.log"
    with web_ui(runs, log, "--host", "0.0.0.0") as url:
        opener = urllib.request.build_opener()
        assert [_status(opener, _file_url(url, path)) for path in exports] == [200] * len(exports)
        assert [_status(opener, _file_url(url, path)) for path in private] == [403] * len(private)
    warning = " ".join(log.read_text().split())
    assert "without --auth anyone who reaches port" in warning, warning

    with web_ui(runs, tmp_path / "serve-auth.log", env={"VIDEODRAFTER_WEB_AUTH": "team:a-long-secret"}) as url:
        stranger = urllib.request.build_opener()
        assert _status(stranger, _file_url(url, run / "video.mp4")) in (401, 403)
        member = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        login = urllib.parse.urlencode({"username": "team", "password": "a-long-secret"}).encode()
        member.open(urllib.request.Request(f"{url}/login", data=login), timeout=30).close()
        assert _status(member, _file_url(url, run / "video.mp4")) == 200
        assert _status(member, _file_url(url, run / "checkpoints.sqlite")) == 403
    weak = cli("serve", "--runs-dir", str(runs), "--auth", "team:short")
    assert weak.returncode != 0 and "at least 8 characters" in " ".join(weak.stderr.split())
