"""The web UI in a real headless Chromium: write, edit, upload (bad and good), approve, watch the video."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.fixtures.servers import choose_option, headless_chromium, web_ui


@pytest.fixture
def server(tmp_path: Path):
    env = {"VIDEODRAFTER_VIDEO_WIDTH": "320", "VIDEODRAFTER_VIDEO_HEIGHT": "180", "VIDEODRAFTER_CRITIQUE": "false"}
    with web_ui(tmp_path / "runs", tmp_path / "serve.log", env=env) as url:
        yield url, tmp_path / "runs"


@pytest.fixture
def page():
    with headless_chromium() as browser:
        yield browser.new_context().new_page()


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
    page.locator("#camera-1 input").click()  # scene 1's camera move, picked from the list before approving
    choose_option(page, "zoom in")

    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("this is not a picture")
    page.locator("#photo input[type=file]").set_input_files(str(not_an_image))
    page.wait_for_function("document.querySelector('#photo-status').innerText.includes('not a readable image')", timeout=30_000)

    oversized = tmp_path / "huge.png"
    Image.new("1", (8000, 6000)).save(oversized)
    page.locator("#photo input[type=file]").set_input_files(str(oversized))
    page.wait_for_function("document.querySelector('#photo-status').innerText.includes('pixel limit')", timeout=30_000)

    photo = tmp_path / "dog.png"
    Image.new("RGB", (128, 128), (150, 90, 40)).save(photo)
    page.locator("#photo input[type=file]").set_input_files(str(photo))
    page.wait_for_function("document.querySelector('#photo-status').innerText.includes('will use your photo')", timeout=30_000)

    page.locator("#approve").click()
    page.wait_for_function("document.querySelector('#make-status').innerText.includes('Done')", timeout=300_000)
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
    from videodrafter.web.tables import SCENE_HEADERS, entity_rows, scene_rows, script_from_tables

    script = VideoScript.model_validate(
        {
            "prompt": "p", "title": "t",
            "entities": [{"id": "dog", "name": "dog", "kind": "foreground"}, {"id": "beach", "name": "beach", "kind": "background"}],
            "scenes": [{"event": "e1", "action": "a", "foreground": ["dog"], "background": "beach"}],
        }
    )
    scenes, entities = scene_rows(script), entity_rows(script)
    entities_edited = [row[:] for row in entities]
    entities_edited[0][3] = "a brown dog"
    result = script_from_tables(script, scenes, entities_edited, {"dog": "/tmp/dog.png"}, [("zoom out", "fast")])
    assert result.scenes[0].camera.direction.value == "zoom out" and result.scenes[0].camera.speed.value == "fast"
    assert result.entity("dog").description == "a brown dog" and str(result.entity("dog").reference_image) == "/tmp/dog.png"
    assert script_from_tables(script, scenes, entities, {}).scenes[0].camera == script.scenes[0].camera  # no dropdowns: kept
    bad = [row[:] for row in scenes]
    bad[0][2] = "unicorn"
    with pytest.raises(InputError, match="names 'unicorn'"):
        script_from_tables(script, bad, entities, {})
    for cameras, message in [([("sideways", "slow")], "unknown camera move"), ([("left", "warp")], "unknown speed")]:
        with pytest.raises(InputError, match=message):
            script_from_tables(script, scenes, entities, {}, cameras)
    with pytest.raises(InputError, match="no scenes"):
        script_from_tables(script, [], entities, {})
    shot = SCENE_HEADERS.index("shot")
    assert scenes[0][shot] == "cut"
    twice = [scenes[0][:], scenes[0][:]]
    twice[1][shot] = "Continue"
    assert [scene.shot.value for scene in script_from_tables(script, twice, entities, {}).scenes] == ["cut", "continue"]
    twice[1][shot] = "dissolve"
    with pytest.raises(InputError, match="unknown shot 'dissolve'"):
        script_from_tables(script, twice, entities, {})


def _seed_runs(runs: Path, tmp_path: Path) -> None:
    """A finished run and one paused for approval, made from script files (no LLM)."""
    import json

    from tests.fixtures.scripts import dog_and_girl_script
    from videodrafter.config import Settings
    from videodrafter.run_inputs import load_script_file
    from videodrafter.graph.runner import start_run

    small = {"runs_dir": runs, "video_width": 160, "video_height": 96, "fps": 6, "crossfade_s": 0}
    done = tmp_path / "done.json"
    done.write_text(json.dumps(dog_and_girl_script([("runs", "left")], 1.0, prompt="an older finished run", title="done")))
    start_run("", Settings(**small), script=load_script_file(done), run_id="older")
    # six long scenes at a larger size: rendering takes long enough to press Cancel in the middle
    moves = [("runs", "left"), ("jumps", "right"), ("digs", "zoom in"), ("sits", "up"), ("swims", "down"), ("sleeps", "zoom out")]
    paused = tmp_path / "paused.json"
    paused.write_text(json.dumps(dog_and_girl_script(moves, 4.0, prompt="a paused beach day", title="paused")))
    start_run("", Settings(**{**small, "approve_script": True}), script=load_script_file(paused), run_id="paused")


@pytest.fixture
def seeded_server(tmp_path: Path):
    runs = tmp_path / "runs"
    _seed_runs(runs, tmp_path)
    env = {"VIDEODRAFTER_VIDEO_WIDTH": "640", "VIDEODRAFTER_VIDEO_HEIGHT": "360", "VIDEODRAFTER_CRITIQUE": "false"}
    with web_ui(runs, tmp_path / "serve.log", env=env) as url:
        yield url, runs


def _text(page, selector: str) -> str:
    return " ".join(page.locator(selector).inner_text().split())


def _wait_text(page, selector: str, text: str, timeout: float = 60_000) -> None:
    page.wait_for_function(
        "([selector, text]) => (document.querySelector(selector)?.innerText || '').includes(text)", arg=[selector, text], timeout=timeout
    )


def test_runs_tab_reload_cameras_cancel_continue_and_zip(seeded_server, page, tmp_path: Path) -> None:
    import json
    import zipfile

    url, runs = seeded_server
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)
    page.locator("#prompt textarea").wait_for()
    page.get_by_role("tab", name="Runs").click()
    _wait_text(page, "#runs-table", "paused")
    listed = _text(page, "#runs-table")
    assert listed.index("a paused beach day") < listed.index("an older finished run")  # newest first
    assert "waiting for approval" in listed and "done" in listed

    page.locator("#open-run").click()  # the newest run is preselected
    _wait_text(page, "#status", "Review the script of run paused")
    assert page.locator("#scenes-table [role=row]").count() == 1 + 6
    for number in range(1, 7):
        assert page.locator(f"#camera-{number}").is_visible() and page.locator(f"#speed-{number}").is_visible()
    assert not page.locator("#camera-7").is_visible()
    fits = page.evaluate("() => { const t = document.querySelector('#scenes-table table'); return [t.scrollWidth, t.parentElement.clientWidth]; }")
    assert fits[0] <= fits[1] + 2, f"the scene table is wider than the page: {fits}"

    # id and kind are read-only: typing into them changes nothing
    entity_row = page.locator("#entities-table [role=row]").nth(1)
    before = entity_row.inner_text()
    for column in (0, 2):
        entity_row.locator("[role=gridcell], td").nth(column).dblclick()
        page.keyboard.type("XYZ")
        page.keyboard.press("Enter")
    assert entity_row.inner_text() == before and "XYZ" not in before

    # a camera move is picked from a list, not typed
    page.locator("#camera-1 input").click()
    choose_option(page, "zoom out")
    page.locator("#speed-1 input").click()
    choose_option(page, "fast")

    # an upload error sits next to the upload box and names the file, not the server's temporary copy
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("this is not a picture")
    page.locator("#photo input[type=file]").set_input_files(str(not_an_image))
    _wait_text(page, "#photo-status", "not a readable image", 30_000)
    assert "notes.png" in _text(page, "#photo-status") and "/tmp" not in _text(page, "#photo-status")

    page.reload()  # the browser remembers the run
    _wait_text(page, "#status", "Review the script of run paused")
    page.locator("#camera-1 input").click()
    choose_option(page, "zoom out")

    page.locator("#approve").click()
    page.wait_for_function("/⏳ \\*?\\*?\\w.* · \\d+ s/.test(document.querySelector('#make-status').innerText)", timeout=60_000)
    assert " s" in _text(page, "#make-status")  # elapsed time, with the stage
    page.locator("#cancel-make").click()
    _wait_text(page, "#make-status", "Cancelled", 60_000)
    assert json.loads((runs / "paused" / "status.json").read_text())["status"] == "interrupted"
    assert not (runs / "paused" / "video.mp4").exists()

    page.locator("#continue").click()
    _wait_text(page, "#make-status", "Done", 300_000)
    script = json.loads((runs / "paused" / "script.json").read_text())
    assert script["scenes"][0]["camera"]["direction"] == "zoom out"
    assert page.locator("#video video").get_attribute("src")
    fit = page.locator("#scene-images img").first.evaluate("img => getComputedStyle(img).objectFit")
    assert fit == "contain"  # whole pictures, no cropped heads

    with page.expect_download() as download:
        page.locator("#download").click()
    archive = tmp_path / "run.zip"
    download.value.save_as(archive)
    names = set(zipfile.ZipFile(archive).namelist())
    for name in ("video.mp4", "script.json", "video.srt", "timeline.otio"):
        assert f"paused/{name}" in names
    assert any(name.startswith("paused/scenes/") for name in names) and any(name.startswith("paused/entities/") for name in names)
    assert not any("checkpoints" in name or name.endswith(".mask.png") for name in names)

    # the finished run, edited in the page, is remade through the edit path: only what the edit touches
    made = {path.name for folder in ("scenes", "clips") for path in (runs / "paused" / folder).glob("*") if path.suffix in (".png", ".mp4") and ".last" not in path.name}
    page.locator("#approve").click()
    _wait_text(page, "#make-status", "Nothing was edited", 60_000)
    page.locator("#camera-2 input").click()
    choose_option(page, "static")
    page.locator("#approve").click()
    _wait_text(page, "#make-status", "scene 2 camera", 60_000)
    _wait_text(page, "#make-status", "Done", 300_000)
    assert json.loads((runs / "paused" / "script.json").read_text())["scenes"][1]["camera"]["direction"] == "static"
    remade = {path.name for folder in ("scenes", "clips") for path in (runs / "paused" / folder).glob("*") if path.suffix in (".png", ".mp4") and ".last" not in path.name}
    assert [name.split("-")[0] for name in remade - made] == ["clip"], "one clip remade, no picture"


def test_the_emoji_font_of_the_status_icons_is_installed() -> None:
    found = subprocess.run(["fc-list"], capture_output=True, text=True, check=False).stdout
    assert "Noto Color Emoji" in found, "run the set-up: it installs fonts-noto-color-emoji"
