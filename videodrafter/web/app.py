"""The web UI: prompt → editable script (approved before generation) → references, scenes, video.

Runs are ordinary checkpointed runs paused for approval, so a browser refresh or a server
restart loses nothing: the run folder and its checkpoints stay on disk, the browser remembers
which run it showed, and the Runs tab reopens any run (and continues a paused or stopped one).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import gradio as gr

from videodrafter.config import Settings
from videodrafter.errors import InputError, VideoDrafterError
from videodrafter.graph.progress import ProgressEvent
from videodrafter.graph.run_history import RunRecord, archive_run, find_run, list_runs, pending_script
from videodrafter.graph.runner import RunInterrupted, RunOutcome, resume_run, start_run
from videodrafter.media.images import load_user_photo
from videodrafter.script import VideoScript
from videodrafter.web.tables import (
    CAMERA_DIRECTIONS,
    CAMERA_SPEEDS,
    ENTITY_HEADERS,
    ENTITY_READ_ONLY,
    SCENE_HEADERS,
    entity_rows,
    scene_cameras,
    scene_rows,
    script_from_tables,
)

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
CAMERA_ROWS = 20
"""Camera dropdown pairs on the page (one per scene; the planner allows at most 20 scenes)."""
TICK_S = 1.0
"""How often a progress line is refreshed (its elapsed time) while no step reports."""
RUN_HEADERS = ["run", "prompt", "status", "scenes", "created (UTC)", "video"]

CSS = """
#scenes-table table, #entities-table table { table-layout: fixed; width: 100%; }
#scenes-table td, #scenes-table th, #entities-table td, #entities-table th { white-space: normal; overflow-wrap: anywhere; }
#references img, #scene-images img { object-fit: contain !important; }
"""


def _error_text(error: VideoDrafterError) -> str:
    return f"**Error:** {error.message}" + (f"  \n**What to do:** {error.hint}" if error.hint else "")


def _without_path(error: VideoDrafterError, path: Path) -> VideoDrafterError:
    """An upload's error names the file as the user knows it, not the server's temporary copy."""
    return type(error)(error.message.replace(str(path), path.name), error.hint.replace(str(path), path.name))


def _progress_line(event: ProgressEvent | None, started: float) -> str:
    elapsed = f"{time.monotonic() - started:.0f} s"
    if event is None:
        return f"⏳ starting… · {elapsed}"
    counted = f" ({event.done}/{event.total})" if event.total else ""
    return f"⏳ **{event.stage}**{counted}: {event.message} · {elapsed}"


def _run_in_thread(
    work: Callable[[Callable[[ProgressEvent], None]], RunOutcome],
) -> Iterator[str | RunOutcome | VideoDrafterError | RunInterrupted]:
    """Run ``work`` in a thread; yield progress lines (with the elapsed time, every second), then its
    outcome, its error, or the RunInterrupted of a Cancel."""
    events: queue.Queue = queue.Queue()
    box: dict = {}
    done = object()

    def target() -> None:
        try:
            box["outcome"] = work(events.put)
        except VideoDrafterError as error:
            box["outcome"] = error
        except RunInterrupted as stopped:
            box["outcome"] = stopped
        except Exception as error:  # shown to the user, never a traceback in the page
            box["outcome"] = VideoDrafterError(f"Unexpected failure: {type(error).__name__}: {error}", "Finished work is kept in the run folder; try again.")
        finally:
            events.put(done)

    started = time.monotonic()
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    latest: ProgressEvent | None = None
    while True:
        try:
            event = events.get(timeout=TICK_S)
        except queue.Empty:
            yield _progress_line(latest, started)
            continue
        if event is done:
            break
        latest = event
        yield _progress_line(latest, started)
    thread.join()
    yield box["outcome"]


def _archive(record: RunRecord) -> Path:
    """The run's zip, made again only when the video or the script is newer than it."""
    target = record.run_dir / "export" / f"{record.run_id}.zip"
    sources = [record.run_dir / name for name in ("video.mp4", "script.json") if (record.run_dir / name).is_file()]
    if target.is_file() and all(source.stat().st_mtime <= target.stat().st_mtime for source in sources):
        return target
    return archive_run(record, target)


class RunView:
    """What the page shows for one run: its script, pictures, video, and what can be done next."""

    def __init__(self, record: RunRecord) -> None:
        self.record = record
        run_dir = record.run_dir
        self.script: VideoScript | None = None
        if (run_dir / "script.json").is_file():
            self.script = VideoScript.model_validate_json((run_dir / "script.json").read_text())
        elif record.status == "waiting_for_approval":
            self.script = pending_script(run_dir)
        self.references: list[tuple[str, str]] = []
        self.images: list[tuple[str, str]] = []
        if record.status == "done" and (run_dir / "manifest.json").is_file():
            manifest = json.loads((run_dir / "manifest.json").read_text())
            self.references = [(value["conditioned"], key) for key, value in manifest["references"].items()]
            self.images = [(scene["chosen"]["image"], f"scene {number}") for number, scene in enumerate(manifest["scenes"], start=1)]

    def message(self) -> str:
        record = self.record
        if record.status == "waiting_for_approval":
            return f"✅ Review the script of run `{record.run_id}`: edit any cell, choose the camera moves, add photos, then approve."
        if record.status == "done":
            return f"🎬 Done: run `{record.run_id}`, {len(self.images)} scenes. Download it as a zip below."
        if record.status == "running":
            return f"⏳ Run `{record.run_id}` is being worked on (stage {record.stage or 'starting'}). Open it again in a moment."
        where = f" at stage **{record.stage}**" if record.stage else ""
        why = f" ({record.error})" if record.error else ""
        return f"⏸ Run `{record.run_id}` stopped{where}{why}. Everything finished is kept: press Continue to go on."


def build_app(settings: Settings) -> gr.Blocks:
    cancels: dict[str, threading.Event] = {}  # per browser session: the Cancel button of the run it drives

    with gr.Blocks(title="videodrafter") as app:
        run_state = gr.State({})
        remembered = gr.BrowserState({}, storage_key="videodrafter-run")
        gr.Markdown("# videodrafter\nOne prompt in, a multi-scene video out. Write the script, edit and approve it, then make the video.")
        with gr.Tabs(selected="make") as tabs:
            with gr.Tab("Make", id="make"):
                with gr.Row():
                    prompt = gr.Textbox(label="What is the video about?", placeholder="a dog's day at the beach", elem_id="prompt", scale=4)
                    scenes = gr.Number(label="Scenes (0 = let the LLM choose)", value=4, precision=0, minimum=0, maximum=20, elem_id="scenes", scale=1)
                with gr.Row():
                    write = gr.Button("Write script", variant="primary", elem_id="write", scale=3)
                    cancel_write = gr.Button("Cancel", variant="stop", elem_id="cancel-write", scale=1)
                status = gr.Markdown("", elem_id="status")
                scenes_table = gr.Dataframe(
                    headers=SCENE_HEADERS, label="Scenes (edit cells, then approve)", interactive=True, type="array", wrap=True,
                    column_widths=["30%", "15%", "15%", "15%", "25%"], elem_id="scenes-table",
                )
                cameras, speeds = [], []
                with gr.Group(elem_id="cameras"):
                    for number in range(1, CAMERA_ROWS + 1):
                        with gr.Row():
                            cameras.append(gr.Dropdown(CAMERA_DIRECTIONS, label=f"Scene {number}: camera", visible=False, elem_id=f"camera-{number}"))
                            speeds.append(gr.Dropdown(CAMERA_SPEEDS, label=f"Scene {number}: speed", visible=False, elem_id=f"speed-{number}"))
                entities_table = gr.Dataframe(
                    headers=ENTITY_HEADERS, label="Entities (id and kind are fixed)", interactive=True, type="array", wrap=True,
                    static_columns=ENTITY_READ_ONLY, column_widths=["15%", "20%", "15%", "50%"], elem_id="entities-table",
                )
                with gr.Row():
                    photo_entity = gr.Dropdown(label="Use a real photo for", choices=[], elem_id="photo-entity")
                    photo = gr.File(label="Photo (PNG/JPEG/WebP, ≤ 25 MB)", file_types=["image"], type="filepath", elem_id="photo")
                photo_status = gr.Markdown("", elem_id="photo-status")
                with gr.Row():
                    approve = gr.Button("Approve and make the video", variant="primary", elem_id="approve", scale=3)
                    resume = gr.Button("Continue", elem_id="continue", scale=1)
                    cancel_make = gr.Button("Cancel", variant="stop", elem_id="cancel-make", scale=1)
                make_status = gr.Markdown("", elem_id="make-status")
                references = gr.Gallery(label="Entity references", columns=6, height=220, object_fit="contain", elem_id="references")
                scene_images = gr.Gallery(label="Scene images", columns=4, height=300, object_fit="contain", elem_id="scene-images")
                video = gr.Video(label="Video", elem_id="video")
                download = gr.DownloadButton("Download the run (zip)", visible=False, elem_id="download")
            with gr.Tab("Runs", id="runs") as runs_tab:
                with gr.Row():
                    run_pick = gr.Dropdown(label="Run", choices=[], elem_id="run-pick", scale=4)
                    open_run = gr.Button("Open", variant="primary", elem_id="open-run", scale=1)
                    refresh = gr.Button("Refresh", elem_id="refresh-runs", scale=1)
                runs_status = gr.Markdown("", elem_id="runs-status")
                runs_table = gr.Dataframe(headers=RUN_HEADERS, interactive=False, type="array", wrap=True, elem_id="runs-table")

        shown = [
            run_state, remembered, status, make_status, scenes_table, entities_table, photo_entity, references, scene_images, video,
            download, tabs, *cameras, *speeds,
        ]

        def show(record: RunRecord) -> dict:
            """Every part of the page for ``record``; the message goes next to what comes next."""
            view = RunView(record)
            script = view.script
            state = {"run_id": record.run_id, "status": record.status, "script": script.model_dump(mode="json") if script else None, "photos": {}}
            values: dict = {run_state: state, remembered: {"run_id": record.run_id}, tabs: gr.Tabs(selected="make")}
            waiting = record.status == "waiting_for_approval"
            values[status] = view.message() if waiting else ""
            values[make_status] = "" if waiting else view.message()
            values[scenes_table] = scene_rows(script) if script else []
            values[entities_table] = entity_rows(script) if script else []
            moves = scene_cameras(script) if script else []
            for index in range(CAMERA_ROWS):
                visible = index < len(moves)
                values[cameras[index]] = gr.update(value=moves[index][0] if visible else None, visible=visible)
                values[speeds[index]] = gr.update(value=moves[index][1] if visible else None, visible=visible)
            choices = [(entity.name, entity.id) for entity in script.entities] if script else []
            values[photo_entity] = gr.update(choices=choices, value=choices[0][1] if choices else None)
            values[references] = view.references
            values[scene_images] = view.images
            values[video] = str(record.video) if record.video else None
            values[download] = gr.update(value=str(_archive(record)), visible=True) if record.status == "done" else gr.update(visible=False)
            return values

        def drive(work, request: gr.Request, where) -> Iterator[dict]:
            """Stream a run's progress into ``where``; then show the run (or the error, or the cancel)."""
            cancel = threading.Event()
            cancels[request.session_hash] = cancel
            try:
                for item in _run_in_thread(lambda on_event: work(on_event, cancel)):
                    if isinstance(item, str):
                        yield {where: item}
                    elif isinstance(item, RunInterrupted):
                        values = show(find_run(settings.runs_dir, item.run_id))
                        values[where] = f"⏹ Cancelled. Everything finished so far is kept: press Continue to go on (or open run `{item.run_id}` later from the Runs tab)."
                        yield values
                    elif isinstance(item, VideoDrafterError):
                        yield {where: _error_text(item)}
                    else:
                        yield show(find_run(settings.runs_dir, item.run_id))
            finally:
                cancels.pop(request.session_hash, None)

        def on_write(text: str, count: float | None, request: gr.Request):
            wanted = int(count) if count else None
            run_settings = settings.model_copy(update={"approve_script": True})
            yield {status: _progress_line(None, time.monotonic()), make_status: ""}
            yield from drive(
                lambda on_event, cancel: start_run(text, run_settings, scenes=wanted, on_event=on_event, cancel=cancel), request, status
            )

        write.click(on_write, [prompt, scenes], shown)

        def on_cancel(request: gr.Request):
            cancel = cancels.get(request.session_hash)
            if cancel is None:
                return gr.skip()
            cancel.set()
            return "⏹ Cancelling: the step under way stops at its next boundary…"

        # the queue runs one long job at a time: a Cancel (and other quick actions) must not wait behind it
        cancel_write.click(on_cancel, None, status, concurrency_limit=None)
        cancel_make.click(on_cancel, None, make_status, concurrency_limit=None)

        def on_photo(path: str | None, entity_id: str | None, state: dict):
            if not path:
                return gr.skip(), state, gr.skip()
            if not state.get("script"):
                return _error_text(InputError("Write a script first.", "Photos belong to the entities of a script.")), state, None
            if not entity_id:
                return _error_text(InputError("Choose which entity the photo shows.", "Pick it in 'Use a real photo for'.")), state, None
            try:
                load_user_photo(Path(path), max_bytes=MAX_UPLOAD_BYTES)
            except VideoDrafterError as error:
                return _error_text(_without_path(error, Path(path))), state, None
            kept = settings.runs_dir / state["run_id"] / "uploads" / f"{entity_id}{Path(path).suffix.lower()}"
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_bytes(Path(path).read_bytes())
            state = {**state, "photos": {**state.get("photos", {}), entity_id: str(kept)}}
            name = next((e["name"] for e in state["script"]["entities"] if e["id"] == entity_id), entity_id)
            return f"📷 '{name}' will use your photo {Path(path).name}.", state, None  # cleared for the next photo

        photo.upload(on_photo, [photo, photo_entity, run_state], [photo_status, run_state, photo], concurrency_limit=None)

        def on_approve(request: gr.Request, scene_cells, entity_cells, state: dict, *moves):
            if not state.get("script"):
                yield {make_status: _error_text(InputError("There is no script to approve yet.", "Write a script first."))}
                return
            pairs = list(zip(moves[:CAMERA_ROWS], moves[CAMERA_ROWS:], strict=True))
            try:
                script = script_from_tables(VideoScript.model_validate(state["script"]), scene_cells, entity_cells, state.get("photos", {}), pairs)
            except VideoDrafterError as error:
                yield {make_status: _error_text(error)}
                return
            answer = {"approved": True, "script": script.model_dump(mode="json")}
            yield {make_status: _progress_line(None, time.monotonic())}
            yield from drive(
                lambda on_event, cancel: resume_run(state["run_id"], settings.runs_dir, approve=answer, on_event=on_event, cancel=cancel),
                request, make_status,
            )

        approve.click(on_approve, [scenes_table, entities_table, run_state, *cameras, *speeds], shown)

        def on_continue(state: dict, request: gr.Request):
            if not state.get("run_id"):
                yield {make_status: _error_text(InputError("There is no run to continue.", "Write a script, or open a run in the Runs tab."))}
                return
            if state.get("status") == "waiting_for_approval":
                yield {make_status: "The script is waiting for your approval: press “Approve and make the video”."}
                return
            yield {make_status: _progress_line(None, time.monotonic())}
            yield from drive(
                lambda on_event, cancel: resume_run(state["run_id"], settings.runs_dir, on_event=on_event, cancel=cancel), request, make_status
            )

        resume.click(on_continue, [run_state], shown)

        def runs_listing():
            records = list_runs(settings.runs_dir)
            rows = [
                [r.run_id, r.prompt[:80], r.status_label, r.scenes_label, r.created_label, str(r.video) if r.video else ""]
                for r in records
            ]
            choices = [r.run_id for r in records]
            message = "" if records else "No runs yet: write a script on the Make tab."
            return rows, gr.update(choices=choices, value=choices[0] if choices else None), message

        refresh.click(runs_listing, None, [runs_table, run_pick, runs_status], concurrency_limit=None)
        runs_tab.select(runs_listing, None, [runs_table, run_pick, runs_status], concurrency_limit=None)

        def on_open(run_id: str | None):
            if not run_id:
                return {runs_status: _error_text(InputError("Choose a run first.", "Pick one in the Run list."))}
            try:
                return show(find_run(settings.runs_dir, run_id))
            except VideoDrafterError as error:
                return {runs_status: _error_text(error)}

        open_run.click(on_open, [run_pick], [*shown, runs_status], concurrency_limit=None)

        def on_load(memory: dict | None):
            """A reload (or a new tab) shows the run the browser last showed."""
            run_id = (memory or {}).get("run_id")
            if not run_id:
                return gr.skip()
            try:
                return show(find_run(settings.runs_dir, run_id))
            except VideoDrafterError:
                return {remembered: {}}  # the run was deleted: start afresh

        app.load(on_load, [remembered], shown, concurrency_limit=None)
    return app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    app = build_app(settings)
    app.queue(default_concurrency_limit=1).launch(
        server_name=host, server_port=port, show_error=False, allowed_paths=[str(settings.runs_dir.resolve())],
        max_file_size=4 * MAX_UPLOAD_BYTES, share=False, inbrowser=False, quiet=True, css=CSS,
    )
