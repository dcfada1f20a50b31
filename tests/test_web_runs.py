"""The web UI's Runs tab (fits the page, stage and elapsed time, thumbnails, confirmed delete), its line
for long jobs (concurrency, places in line), the Make tab's choices, contact sheet and prompt, and
pictures kept after Cancel: the history and line without a browser, what a person sees in Chromium."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fixtures.scripts import dog_and_girl_script
from tests.fixtures.servers import choose_option, headless_chromium, web_ui


def _fake_run(runs: Path, run_id: str, status: str, *, stage: str | None = None, done: int = 0, total: int = 0) -> Path:
    """A run folder as the driver leaves it (request, status, lock file naming this live process), without running."""
    from videodrafter.config import Settings
    from videodrafter.graph.run_folder import LOCK, RunRequest, record_status, save_request

    run_dir = runs / run_id
    run_dir.mkdir(parents=True)
    started = datetime.now(UTC) - timedelta(seconds=125)
    request = RunRequest(
        run_id=run_id, prompt=f"the prompt of {run_id}", scenes=6, settings=json.loads(Settings(runs_dir=runs).model_dump_json()),
        created_at=started.isoformat(),
    )
    save_request(run_dir, request)
    record_status(
        run_dir, status, stage=stage, progress={"message": "scene 3", "done": done, "total": total},
        stage_started_at=(datetime.now(UTC) - timedelta(seconds=40)).isoformat(timespec="seconds") if stage else None,
    )
    (run_dir / LOCK).write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": "", "command": "serve"}))
    return run_dir


def test_a_running_run_whose_thread_is_gone_is_interrupted_though_its_process_lives(tmp_path: Path) -> None:
    from videodrafter.graph.run_folder import RunLock
    from videodrafter.graph.run_history import find_run

    runs = tmp_path / "runs"
    run_dir = _fake_run(runs, "web-run", "running", stage="scene images", done=2, total=6)
    # the web server (this process) is alive, but no thread of it drives the run: its lock is free
    assert find_run(runs, "web-run").status == "interrupted"
    lock = RunLock(run_dir, "web-run")
    try:
        record = find_run(runs, "web-run")
        assert record.status == "running" and record.stage == "scene images" and (record.done, record.total) == (2, 6)
        assert 100 <= record.elapsed_s() <= 200 and 30 <= record.stage_elapsed_s() <= 90
    finally:
        lock.release()


def test_delete_run_is_refused_while_driven_and_never_leaves_the_runs_folder(tmp_path: Path) -> None:
    from videodrafter.errors import InputError
    from videodrafter.graph.run_folder import RunBusy, RunLock
    from videodrafter.graph.run_history import delete_run, list_runs
    from videodrafter.web.runs_tab import delete_message, run_rows

    runs = tmp_path / "runs"
    busy = _fake_run(runs, "busy", "running", stage="clips", done=1, total=3)
    stopped = _fake_run(runs, "stopped", "interrupted", stage="clips")
    (stopped / "scenes").mkdir()
    from PIL import Image

    Image.new("RGB", (32, 18), (200, 100, 50)).save(stopped / "scenes" / "scene-1.png")
    (runs / "sessions").mkdir()
    outside = tmp_path / "keep.txt"
    outside.write_text("keep")
    lock = RunLock(busy, "busy")
    try:
        rows = {row[1]: row for row in run_rows(list_runs(runs))}
        assert rows["busy"][3].startswith("running · clips 1/3 · ") and rows["busy"][4].startswith("2 min")
        assert rows["stopped"][3] == "interrupted at clips" and "scene-1.png" in rows["stopped"][0] and rows["busy"][0] == ""
        with pytest.raises(RunBusy):
            delete_run(runs, "busy")
        for bad in ("../keep.txt", "..", "sessions", "nothing-here"):
            with pytest.raises(InputError):
                delete_run(runs, bad)
        with pytest.raises(InputError, match="Tick"):
            delete_message(runs, "stopped", confirmed=False)
        assert "Deleted" in delete_message(runs, "stopped", confirmed=True)
    finally:
        lock.release()
    assert busy.is_dir() and not stopped.exists() and outside.read_text() == "keep" and (runs / "sessions").is_dir()


def test_the_line_runs_up_to_its_limit_and_tells_each_click_its_place() -> None:
    from videodrafter.web.render_queue import RenderQueue

    line = RenderQueue(2)
    never = threading.Event()
    first, second, third, fourth = (line.ticket() for _ in range(4))
    assert list(first.wait(never, 0.01)) == [] and list(second.wait(never, 0.01)) == []  # two at once
    assert line.running == 2 and third.position() == 1 and fourth.position() == 2
    places = third.wait(never, 0.01)
    assert next(places) == 1
    cancel = threading.Event()
    cancel.set()
    assert list(fourth.wait(cancel, 0.01)) == [] and not fourth.admitted and third.position() == 1  # Cancel leaves the line
    first.leave()
    assert list(places) == [] and third.admitted and line.running == 2
    for ticket in (second, third, first):
        ticket.leave()
    assert line.running == 0


def test_the_web_choices_are_checked_as_on_the_cli(tmp_path: Path) -> None:
    from videodrafter.config import Settings
    from videodrafter.errors import VideoDrafterError
    from videodrafter.web.choices import choice_lists, chosen_settings

    base = Settings(runs_dir=tmp_path)
    lists = choice_lists(base)
    assert lists.engine[0] == "animatic" and "tiny" in lists.engine and "local:gemma3" in lists.llm and "none" in lists.voice
    chosen = chosen_settings(base, {"engine": "tiny", "voice": "none", "profile": "fast", "llm": ""})
    assert (chosen.engine, chosen.voice, chosen.profile, chosen.llm) == ("tiny", "none", "fast", base.llm)
    for values, message in [
        ({"engine": "nope"}, "Unknown engine 'nope'"), ({"profile": "warp"}, "profile 'warp'"), ({"voice": "klingon:x"}, "voice"),
        ({"llm": "bogus"}, "not an LLM spec"),
    ]:
        with pytest.raises(VideoDrafterError, match=message):
            chosen_settings(base, values)


# --- in Chromium ---------------------------------------------------------------------------------


def _seed(runs: Path, tmp_path: Path) -> None:
    """A finished run (contact sheet, pictures) and a long one paused for approval, from script files (no LLM)."""
    from videodrafter.config import Settings
    from videodrafter.graph.runner import start_run
    from videodrafter.run_inputs import load_script_file

    small = {"runs_dir": runs, "video_width": 160, "video_height": 96, "fps": 6, "crossfade_s": 0}
    done = tmp_path / "done.json"
    done.write_text(json.dumps(dog_and_girl_script([("runs", "left")], 0.5, prompt="an older finished run", title="done")))
    start_run("", Settings(**small), script=load_script_file(done), run_id="older")
    moves = [("runs", "left"), ("jumps", "right"), ("digs", "zoom in"), ("sits", "up"), ("swims", "down"), ("sleeps", "zoom out")]
    paused = tmp_path / "paused.json"
    paused.write_text(json.dumps(dog_and_girl_script(moves, 8.0, prompt="a paused beach day", title="paused")))
    start_run("", Settings(**{**small, "approve_script": True}), script=load_script_file(paused), run_id="paused")


@pytest.fixture
def web(tmp_path: Path):
    runs = tmp_path / "runs"
    _seed(runs, tmp_path)
    env = {"VIDEODRAFTER_CRITIQUE": "false", "VIDEODRAFTER_WEB_CONCURRENCY": "1"}
    with web_ui(runs, tmp_path / "serve.log", env=env) as url:
        yield url, runs


@pytest.fixture
def browser():
    with headless_chromium() as chromium:
        yield chromium


def _open_page(browser, url: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(url)
    page.locator("#prompt textarea").wait_for()
    return page


def _text(page, selector: str) -> str:
    return " ".join(page.locator(selector).inner_text().split())


def _wait_text(page, selector: str, text: str, timeout: float = 60_000) -> None:
    page.wait_for_function(
        "([selector, text]) => (document.querySelector(selector)?.innerText || '').includes(text)", arg=[selector, text], timeout=timeout
    )


def _pick_run(page, run_id: str) -> None:
    page.locator("#run-pick input").click()
    choose_option(page, run_id)


def test_runs_tab_fits_shows_stage_elapsed_thumbnail_and_deletes_when_confirmed(web, browser) -> None:
    from videodrafter.graph.run_folder import RunLock

    url, runs = web
    driven = _fake_run(runs, "zz-driven", "running", stage="scene images", done=2, total=6)
    lock = RunLock(driven, "zz-driven")  # held by this process: a run another process is driving
    try:
        page = _open_page(browser, url)
        page.get_by_role("tab", name="Runs").click()
        _wait_text(page, "#runs-table", "zz-driven")
        listed = _text(page, "#runs-table")
        assert "running · scene images 2/6 · " in listed and "2 min" in listed and "waiting for approval" in listed
        fits = page.evaluate(
            """() => { const t = document.querySelector('#runs-table table');
            const cut = [...t.querySelectorAll('thead th')].filter(th => th.scrollWidth > th.clientWidth + 1).map(th => th.innerText);
            return [t.scrollWidth, t.parentElement.clientWidth, cut]; }"""
        )
        assert fits[0] <= fits[1] + 2 and not fits[2], f"the runs table does not fit the page: {fits}"
        page.wait_for_function("[...document.querySelectorAll('#runs-table img')].some(img => img.complete && img.naturalWidth > 0)")

        _pick_run(page, "older")
        page.locator("#delete-run").click()  # not confirmed: nothing happens
        _wait_text(page, "#runs-status", "Tick")
        assert (runs / "older").is_dir()
        _pick_run(page, "zz-driven")
        page.locator("#confirm-delete input").check()
        page.locator("#delete-run").click()
        _wait_text(page, "#runs-status", "is being worked on")
        assert driven.is_dir()
        _pick_run(page, "older")
        page.locator("#delete-run").click()
        _wait_text(page, "#runs-status", "Deleted run older")
        assert not (runs / "older").exists() and "an older finished run" not in _text(page, "#runs-table")
        assert not page.locator("#confirm-delete input").is_checked()  # the next delete is confirmed again
    finally:
        lock.release()


def test_make_tab_choices_prompt_contact_sheet_line_and_pictures_after_cancel(web, browser) -> None:
    url, runs = web
    page = _open_page(browser, url)
    page.locator("#prompt textarea").fill("a cat in space")
    page.locator("#engine input").fill("no-such-engine")
    page.locator("#engine input").press("Enter")
    page.locator("#write").click()
    _wait_text(page, "#status", "Unknown engine 'no-such-engine'")
    assert not [path for path in runs.iterdir() if path.name not in ("older", "paused", "stage-times.json")]

    page.get_by_role("tab", name="Runs").click()
    _wait_text(page, "#runs-table", "older")
    _pick_run(page, "older")
    page.locator("#open-run").click()
    _wait_text(page, "#make-status", "Done: run older")
    assert page.locator("#prompt textarea").input_value() == "an older finished run"
    assert page.locator("#engine input").input_value() == "animatic"
    page.locator("#contact-sheet").scroll_into_view_if_needed()  # the browser loads a picture far down the page once it is near
    page.wait_for_function("document.querySelector('#contact-sheet img')?.naturalWidth > 0")
    fits = page.locator("#references img").evaluate_all("imgs => imgs.map(img => getComputedStyle(img).objectFit)")
    assert fits and set(fits) == {"contain"}, fits  # whole entities, no cropped heads

    page.get_by_role("tab", name="Runs").click()
    _pick_run(page, "paused")
    page.locator("#open-run").click()
    _wait_text(page, "#status", "Review the script of run paused")
    assert page.locator("#voice input").input_value() == "none"  # the run's own voice (the tests' environment)
    page.locator("#voice input").click()  # a choice changed before approving applies to the steps not yet done
    choose_option(page, "espeak")
    page.wait_for_function("document.querySelector('#voice input').value === 'espeak'")
    page.locator("#voice input").blur()
    page.locator("#approve").click()
    _wait_text(page, "#make-status", "⏳")

    other = _open_page(browser, url)  # a second person, while the only slot is taken
    other.get_by_role("tab", name="Runs").click()
    _wait_text(other, "#runs-table", "older")
    _pick_run(other, "older")
    other.locator("#open-run").click()
    _wait_text(other, "#make-status", "Done: run older")
    other.locator("#continue").click()
    _wait_text(other, "#make-status", "number 1 in line", 30_000)

    _wait_text(page, "#make-status", "clips", 120_000)
    page.locator("#cancel-make").click()
    _wait_text(page, "#make-status", "Cancelled", 60_000)
    assert page.locator("#references img").count() == 3 and page.locator("#scene-images img").count() >= 6  # kept after Cancel
    assert json.loads((runs / "paused" / "request.json").read_text())["overrides"][-1]["settings"] == {"voice": "espeak"}
    other.wait_for_function("!document.querySelector('#make-status').innerText.includes('in line')", timeout=60_000)


def test_the_redo_button_draws_one_scene_again_and_keeps_the_rest(web, browser) -> None:
    url, runs = web
    run = runs / "older"
    pictures = lambda: {p.name for folder in ("scenes", "clips") for p in (run / folder).glob("*") if p.suffix in (".png", ".mp4") and ".last" not in p.name}  # noqa: E731
    before = pictures()
    page = _open_page(browser, url)
    page.get_by_role("tab", name="Runs").click()
    _pick_run(page, "older")
    page.locator("#open-run").click()
    _wait_text(page, "#make-status", "Done")
    page.locator("#redo-scene input").fill("1")
    page.locator("#redo").click()
    deadline = time.monotonic() + 120  # the try is recorded once the video is up to date
    while not (run / "redos.jsonl").is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    _wait_text(page, "#make-status", "Done")
    new = sorted(name.split("-")[0] for name in pictures() - before)
    assert new == ["clip", "scene"], f"one picture and one clip drawn again: {new}"
    assert len((run / "redos.jsonl").read_text().splitlines()) == 1
