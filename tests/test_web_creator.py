"""What the web page offers that `make` and `export` already did (issue 28): a finished run's timeline
for another editor as a download, the `make --dry-run` estimate before Write, and the subtitle style
and music of a new run. No LLM answers here: the finished run is made from a script, and Write meets
an LLM server that is not there (the run's request is written before the LLM is asked)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
import wave
import zipfile
from pathlib import Path

import pytest

from tests.fixtures.scripts import dog_and_girl_script
from tests.fixtures.servers import choose_option, free_port, headless_chromium, web_ui


def test_style_and_music_choices_are_checked_as_on_the_cli(tmp_path: Path) -> None:
    from videodrafter.config import Settings
    from videodrafter.errors import InputError
    from videodrafter.web.choices import chosen_settings

    base = Settings(runs_dir=tmp_path)
    chosen = chosen_settings(
        base, {"subtitle_burn": False, "subtitle_position": "top", "subtitle_size": 8.5, "subtitle_box": False, "music": "auto"}
    )
    assert (chosen.subtitle_burn, chosen.subtitle_position, chosen.subtitle_size, chosen.subtitle_box, chosen.music) == (False, "top", 8.5, False, "auto")
    assert chosen_settings(base, {"subtitle_position": None, "music": ""}).subtitle_position == base.subtitle_position  # empty: the server's
    for values, message in [
        ({"subtitle_position": "middle"}, "subtitle_position 'middle' is not valid"),
        ({"subtitle_size": 50}, "subtitle_size '50' is not valid"),
        ({"music": "/etc/passwd"}, "not one the page offers"),  # a client never names a file on the server
    ]:
        with pytest.raises(InputError, match=message) as refused:
            chosen_settings(base, values)
        assert refused.value.hint


def test_the_file_guard_serves_editor_timelines_from_a_run_export_folder_only(tmp_path: Path) -> None:
    from videodrafter.web.file_guard import is_export

    runs = tmp_path / "runs"
    for name in ("r.fcpxml", "r.xml", "r.edl", "r.kdenlive", "r-capcut.zip"):
        assert is_export(runs / "r" / "export" / name, runs), name
    for path in (
        runs / "r" / "notes.xml", runs / "r" / "export" / ".r.xml.partial", runs / "r" / "export" / "deeper" / "r.edl",
        runs / "r" / "export" / "r.sqlite", runs / ".uploads" / "music-1.wav", runs / "sessions" / "export" / "x.xml",
    ):
        assert not is_export(path, runs), path


def test_a_format_written_as_a_folder_is_offered_as_one_zip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from videodrafter.errors import InputError
    from videodrafter.graph.run_history import RunRecord
    from videodrafter.web import run_view

    run_dir = tmp_path / "runs" / "r"

    def draft_folder(folder: Path, export_format: str) -> Path:
        draft = folder / "export" / f"{folder.name}-{export_format}"
        (draft / "materials").mkdir(parents=True)
        (draft / "draft_content.json").write_text("{}")
        (draft / "materials" / "clip.txt").write_text("clip")
        return draft

    monkeypatch.setattr(run_view, "export_timeline", draft_folder)
    record = RunRecord(run_id="r", prompt="p", status="done", created_at="", run_dir=run_dir)
    archive = run_view.editor_export(record, "draft")
    assert archive == run_dir / "export" / "r-draft.zip"
    assert sorted(zipfile.ZipFile(archive).namelist()) == ["r-draft/draft_content.json", "r-draft/materials/clip.txt"]
    monkeypatch.setattr(run_view, "export_timeline", lambda folder, export_format: tmp_path / "elsewhere.xml")
    with pytest.raises(InputError, match="outside the run folder"):
        run_view.editor_export(record, "xml")
    with pytest.raises(InputError, match="Only a finished run"):
        run_view.editor_export(RunRecord(run_id="r", prompt="p", status="interrupted", created_at="", run_dir=run_dir), "fcpxml")
    assert ("CapCut / Jianying (draft folder, zipped)", "capcut") in run_view.editor_formats(), "every format the CLI exports is offered"


# --- in Chromium ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory):
    """A server over a finished run ('older', animatic, from a script); its LLM is a server that is not there."""
    from videodrafter.config import Settings
    from videodrafter.graph.runner import start_run
    from videodrafter.run_inputs import load_script_file

    folder = tmp_path_factory.mktemp("creator")
    runs = folder / "runs"
    script = folder / "done.json"
    script.write_text(json.dumps(dog_and_girl_script([("runs", "left"), ("jumps", "zoom in")], 0.5, prompt="an older finished run", title="done")))
    start_run("", Settings(runs_dir=runs, video_width=160, video_height=96, fps=6, crossfade_s=0), script=load_script_file(script), run_id="older")
    env = {
        "VIDEODRAFTER_CRITIQUE": "false", "VIDEODRAFTER_LLM": f"vllm:absent@http://127.0.0.1:{free_port()}/v1",
        "VIDEODRAFTER_LLM_TRANSPORT_RETRIES": "0", "VIDEODRAFTER_ENRICH": "none",
    }
    with web_ui(runs, folder / "serve.log", env=env) as url:
        yield url, runs


@pytest.fixture
def page():
    with headless_chromium() as browser:
        yield browser.new_context(viewport={"width": 1280, "height": 900}).new_page()


def _wait_text(page, selector: str, text: str, timeout: float = 60_000) -> None:
    page.wait_for_function(
        "([selector, text]) => (document.querySelector(selector)?.innerText || '').includes(text)", arg=[selector, text], timeout=timeout
    )


def _served(url: str, path: Path) -> int:
    try:
        with urllib.request.urlopen(f"{url}/gradio_api/file={urllib.parse.quote(str(path.resolve()))}", timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_finished_run_timeline_downloads_for_the_chosen_editor(web, page, tmp_path: Path) -> None:
    url, runs = web
    page.goto(url)
    page.locator("#prompt textarea").wait_for()
    page.get_by_role("tab", name="Runs").click()
    _wait_text(page, "#runs-table", "older")
    page.locator("#open-run").click()
    _wait_text(page, "#make-status", "Done: run older")

    page.locator("#export-format input").click()
    choose_option(page, "Kdenlive")
    page.locator("#export").click()
    _wait_text(page, "#export-status", "older.kdenlive is ready")
    with page.expect_download() as download:
        page.locator("#export-download").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".kdenlive" and saved.stat().st_size > 0
    assert "<mlt" in saved.read_text()  # Kdenlive's project format

    written = runs / "older" / "export" / "older.kdenlive"
    assert written.is_file()  # inside the run folder, where `videodrafter export` writes it
    stray = runs / "older" / "notes.xml"
    stray.write_text("<private/>")
    assert _served(url, written) == 200
    assert [_served(url, path) for path in (stray, runs / "older" / "export" / ".." / "checkpoints.sqlite")] == [403, 403]


def test_the_estimate_shows_before_write_and_the_run_keeps_top_subtitles_and_the_uploaded_music(web, page, tmp_path: Path) -> None:
    url, runs = web
    page.goto(url)
    page.locator("#prompt textarea").wait_for()
    _wait_text(page, "#estimate", "estimate: about")
    shown = page.locator("#estimate").inner_text()
    for part in ("script", "scene images", "clips", "LLM", "tokens in", "price", "$0.0000"):
        assert part in shown, shown
    page.locator("#scenes input").fill("6")
    page.locator("#scenes input").press("Tab")
    page.wait_for_function(r"/scene images\s+6\b/.test(document.querySelector('#estimate').innerText)", timeout=30_000)

    music = tmp_path / "bed.wav"
    with wave.open(str(music), "wb") as bed:
        bed.setnchannels(1), bed.setsampwidth(2), bed.setframerate(8000)
        bed.writeframes(b"\x00\x10" * 8000)
    page.get_by_text("Subtitles and music").click()  # make's options: folded under the choices
    page.locator("#subtitle-position").get_by_label("top").check()
    page.locator("#subtitle-box input").uncheck()
    page.locator("#music-file input[type=file]").set_input_files(str(music))
    _wait_text(page, "#music-file", "bed.wav", 30_000)
    page.locator("#prompt textarea").fill("a dog's day at the beach")
    page.locator("#write").click()
    _wait_text(page, "#status", "Error", 120_000)  # the LLM server is not there: the run stops at its script

    made = [path.parent for path in runs.glob("*/request.json") if path.parent.name != "older"]
    assert len(made) == 1
    settings = json.loads((made[0] / "request.json").read_text())["settings"]
    assert settings["subtitle_position"] == "top" and settings["subtitle_box"] is False and settings["subtitle_burn"] is True
    kept = Path(settings["music"])
    assert kept.parent == (runs / ".uploads").resolve() and kept.read_bytes() == music.read_bytes()
    assert re.fullmatch(r"music-[0-9a-f]{16}\.wav", kept.name)
