"""The web UI in a real headless Chromium: write, edit, upload (bad and good), approve, watch the video."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.servers import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited early: {process.stderr.read() if process.stderr else ''}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("the web UI did not start")


@pytest.fixture
def server(tmp_path: Path):
    port = free_port()
    env = {
        **os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "VIDEODRAFTER_VIDEO_WIDTH": "320", "VIDEODRAFTER_VIDEO_HEIGHT": "180",
        "VIDEODRAFTER_CRITIQUE": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "videodrafter", "serve", "--port", str(port), "--runs-dir", str(tmp_path / "runs")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}", tmp_path / "runs"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run the set-up (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = browser.new_context()
        yield context.new_page()
        browser.close()


def _status(page) -> str:
    return " ".join(page.locator("#status").inner_text().split())


@pytest.mark.slow
def test_full_offline_run_in_the_browser(server, page, tmp_path: Path) -> None:
    url, runs = server
    page.goto(url)
    page.locator("#write").click()  # empty prompt first
    page.wait_for_function("document.querySelector('#status').innerText.includes('Error')", timeout=60_000)
    assert "The prompt is empty" in _status(page)

    page.locator("#prompt textarea").fill("a dog's day at the beach")
    page.locator("#scenes input").fill("3")
    page.locator("#write").click()
    page.wait_for_function("document.querySelector('#status').innerText.includes('Review the script')", timeout=240_000)
    rows = page.locator("#scenes-table [role=row]")
    assert rows.count() == 1 + 3  # header + one row per scene
    camera = rows.nth(1).locator("[role=gridcell], td").nth(4)  # scene 1's camera cell: edit it before approving
    camera.dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type("zoom in")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('#scenes-table [role=row]')[1].innerText.includes('zoom in')", timeout=10_000)

    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("this is not a picture")
    page.locator("#photo input[type=file]").set_input_files(str(not_an_image))
    page.wait_for_function("document.querySelector('#status').innerText.includes('not a readable image')", timeout=30_000)

    oversized = tmp_path / "huge.png"
    Image.new("1", (8000, 6000)).save(oversized)
    page.locator("#photo input[type=file]").set_input_files(str(oversized))
    page.wait_for_function("document.querySelector('#status').innerText.includes('pixel limit')", timeout=30_000)

    photo = tmp_path / "dog.png"
    Image.new("RGB", (128, 128), (150, 90, 40)).save(photo)
    page.locator("#photo input[type=file]").set_input_files(str(photo))
    page.wait_for_function("document.querySelector('#status').innerText.includes('will use your photo')", timeout=30_000)

    page.locator("#approve").click()
    page.wait_for_function("document.querySelector('#status').innerText.includes('Done')", timeout=300_000)
    assert page.locator("#video video").get_attribute("src")
    assert page.locator("#scene-images img").count() >= 3
    run_dir = next(runs.glob("*/video.mp4")).parent
    assert any((run_dir / "uploads").iterdir())
    import json

    script = json.loads((run_dir / "script.json").read_text())
    assert script["scenes"][0]["camera"]["direction"] == "zoom in"
    assert any(entity["reference_image"] for entity in script["entities"])
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert "photo" in {reference["source"] for reference in manifest["references"].values()}


def test_table_edits_are_checked_with_clear_messages() -> None:
    from videodrafter.errors import InputError
    from videodrafter.script import VideoScript
    from videodrafter.web.tables import entity_rows, scene_rows, script_from_tables

    script = VideoScript.model_validate(
        {
            "prompt": "p", "title": "t",
            "entities": [{"id": "dog", "name": "dog", "kind": "foreground"}, {"id": "beach", "name": "beach", "kind": "background"}],
            "scenes": [{"event": "e1", "action": "a", "foreground": ["dog"], "background": "beach"}],
        }
    )
    scenes, entities = scene_rows(script), entity_rows(script)
    edited = [row[:] for row in scenes]
    edited[0][4] = "zoom out"
    entities_edited = [row[:] for row in entities]
    entities_edited[0][3] = "a brown dog"
    result = script_from_tables(script, edited, entities_edited, {"dog": "/tmp/dog.png"})
    assert result.scenes[0].camera.direction.value == "zoom out" and result.entity("dog").description == "a brown dog"
    assert str(result.entity("dog").reference_image) == "/tmp/dog.png"
    for change, message in [((0, 2, "unicorn"), "names 'unicorn'"), ((0, 4, "sideways"), "unknown camera move"), ((0, 5, "warp"), "unknown speed")]:
        bad = [row[:] for row in scenes]
        bad[change[0]][change[1]] = change[2]
        with pytest.raises(InputError, match=message):
            script_from_tables(script, bad, entities, {})
    with pytest.raises(InputError, match="no scenes"):
        script_from_tables(script, [], entities, {})
