"""The web UI: prompt → editable script (approved before generation) → references, scenes, video.

Runs are ordinary checkpointed runs paused for approval, so a browser refresh or a server
restart loses nothing: the run folder and its checkpoints stay on disk, the browser remembers
which run it showed, and the Runs tab reopens any run (and continues a paused or stopped one).
"""

from __future__ import annotations

import hashlib
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from videodrafter.config import Settings
from videodrafter.errors import InputError, VideoDrafterError
from videodrafter.graph.progress import ProgressEvent
from videodrafter.graph.redo import redo_scene
from videodrafter.graph.run_history import RunRecord, archive_run, find_run, list_runs, pending_script
from videodrafter.graph.approval import script_changes
from videodrafter.graph.runner import RunInterrupted, RunOutcome, edit_run, resume_run, start_run
from videodrafter.media.images import load_user_photo
from videodrafter.script import VideoScript
from videodrafter.web.choices import CHOSEN, MUSIC, POSITIONS, STYLE, choice_lists, chosen_settings, estimate_text
from videodrafter.web.render_queue import RenderQueue
from videodrafter.web.run_view import RunView, editor_export, editor_formats
from videodrafter.web.runs_tab import RUN_DATATYPES, RUN_HEADERS, RUN_WIDTHS, delete_message, run_rows
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

CSS = """
#scenes-table table, #entities-table table { table-layout: fixed; width: 100%; }
#scenes-table td, #scenes-table th, #entities-table td, #entities-table th { white-space: normal; overflow-wrap: anywhere; }
#references img, #scene-images img { object-fit: contain !important; }
#runs-table table { table-layout: fixed; width: 100%; }
#runs-table td, #runs-table th { white-space: normal; overflow-wrap: anywhere; }
#runs-table img { max-height: 64px; max-width: 100%; object-fit: contain; }
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
    earlier = f" · the stage took ~{event.estimate_s:.0f} s in earlier runs" if event.estimate_s else ""
    return f"⏳ **{event.stage}**{counted}: {event.line()} · {elapsed}{earlier}"


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


def build_app(settings: Settings) -> gr.Blocks:
    with gr.Blocks(title="videodrafter") as app:
        run_state = gr.State({})
        remembered = gr.BrowserState({}, storage_key="videodrafter-run")
        gr.Markdown("# videodrafter\nOne prompt in, a multi-scene video out. Write the script, edit and approve it, then make the video.")
        with gr.Tabs(selected="make") as tabs:
            make = _make_tab(settings)
            runs = _runs_tab()
        _Page(settings, run_state, remembered, tabs, make, runs).wire(app)
    return app


@dataclass
class _StyleControls:
    """The subtitle style and music of the run Write starts; each field is named after its setting (``choices.STYLE``)."""

    subtitle_burn: gr.Checkbox
    subtitle_position: gr.Radio
    subtitle_size: gr.Slider
    subtitle_box: gr.Checkbox
    music: gr.Dropdown
    music_file: gr.File

    @property
    def inputs(self) -> list:
        return [*(getattr(self, name) for name in STYLE), self.music_file]


def _style_controls(settings: Settings) -> _StyleControls:
    """As `make --subtitles --subtitle-position --subtitle-size --subtitle-box --music`; the server's settings first."""
    music = [(name, name) for name in MUSIC]
    if settings.music not in MUSIC:  # the operator's file (VIDEODRAFTER_MUSIC), named, never its path
        music.insert(0, (f"the server's music ({Path(settings.music).name})", settings.music))
    with gr.Accordion("Subtitles and music", open=False, elem_id="style"):  # as make's options: the defaults serve most runs
        with gr.Row():
            burn = gr.Checkbox(value=settings.subtitle_burn, label="Burn subtitles into the picture", elem_id="subtitle-burn")
            position = gr.Radio(POSITIONS, value=settings.subtitle_position, label="Subtitle position", elem_id="subtitle-position")
            size = gr.Slider(2, 20, value=settings.subtitle_size, step=0.5, label="Subtitle size (% of the frame height)", elem_id="subtitle-size")
            box = gr.Checkbox(value=settings.subtitle_box, label="Dark box behind subtitles", elem_id="subtitle-box")
        with gr.Row(equal_height=True):
            chosen_music = gr.Dropdown(music, value=settings.music, label="Music bed", elem_id="music", scale=1)
            music_file = gr.File(
                label="…or your own music (WAV, MP3, OGG, FLAC; optional)", file_types=[".wav", ".mp3", ".ogg", ".flac"], type="filepath",
                height=120, elem_id="music-file", scale=2,
            )
    return _StyleControls(burn, position, size, box, chosen_music, music_file)


def _export_controls() -> tuple[gr.Dropdown, gr.Button, gr.DownloadButton, gr.Markdown]:
    """A finished run's timeline for another editor, as `videodrafter export --format` writes it."""
    formats = editor_formats()
    with gr.Row():
        export_format = gr.Dropdown(formats, value=formats[0][1], label="Timeline for another editor", elem_id="export-format", scale=2)
        export = gr.Button("Export the timeline", elem_id="export", scale=1)
        export_download = gr.DownloadButton("Download the timeline", visible=False, elem_id="export-download", scale=1)
    return export_format, export, export_download, gr.Markdown("", elem_id="export-status")


@dataclass
class _MakeTab:
    """The Make tab's components that events read or change."""

    prompt: gr.Textbox
    scenes: gr.Number
    llm: gr.Dropdown
    engine: gr.Dropdown
    voice: gr.Dropdown
    profile: gr.Dropdown
    style: _StyleControls
    estimate: gr.Markdown
    write: gr.Button
    cancel_write: gr.Button
    status: gr.Markdown
    scenes_table: gr.Dataframe
    cameras: list[gr.Dropdown]
    speeds: list[gr.Dropdown]
    entities_table: gr.Dataframe
    photo_entity: gr.Dropdown
    photo: gr.File
    photo_status: gr.Markdown
    approve: gr.Button
    resume: gr.Button
    cancel_make: gr.Button
    make_status: gr.Markdown
    references: gr.Gallery
    scene_images: gr.Gallery
    contact_sheet: gr.Image
    video: gr.Video
    download: gr.DownloadButton
    export_format: gr.Dropdown
    export: gr.Button
    export_download: gr.DownloadButton
    export_status: gr.Markdown
    redo_scene: gr.Number
    redo: gr.Button


def _make_tab(settings: Settings) -> _MakeTab:
    """Prompt, choices and Write; the script's tables, camera moves and photos to approve; then what the run made."""
    lists = choice_lists(settings)
    with gr.Tab("Make", id="make"):
        with gr.Row():
            prompt = gr.Textbox(label="What is the video about?", placeholder="a dog's day at the beach", elem_id="prompt", scale=4)
            scenes = gr.Number(label="Scenes (0 = let the LLM choose)", value=4, precision=0, minimum=0, maximum=20, elem_id="scenes", scale=1)
        with gr.Row():  # any other spec may be typed; Write checks it as the CLI does
            llm, engine, voice, profile = (
                gr.Dropdown(choices, value=choices[0], label=label, allow_custom_value=True, elem_id=name)
                for name, label, choices in (
                    ("llm", "LLM", lists.llm), ("engine", "Engine", lists.engine), ("voice", "Voice", lists.voice),
                    ("profile", "Profile (diffusers engines)", lists.profile),
                )
            )
        style = _style_controls(settings)
        estimate = gr.Markdown("", elem_id="estimate")  # what `make --dry-run` prints for these choices
        with gr.Row():
            write = gr.Button("Write script", variant="primary", elem_id="write", scale=3)
            cancel_write = gr.Button("Cancel", variant="stop", elem_id="cancel-write", scale=1)
        status = gr.Markdown("", elem_id="status")
        scenes_table = gr.Dataframe(
            headers=SCENE_HEADERS, label="Scenes (edit cells, then approve)", interactive=True, type="array", wrap=True,
            column_widths=["27%", "13%", "13%", "13%", "25%", "9%"], elem_id="scenes-table",
        )
        cameras, speeds = _camera_dropdowns()
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
        contact_sheet = gr.Image(label="Contact sheet", type="filepath", interactive=False, visible=False, elem_id="contact-sheet")
        video = gr.Video(label="Video", elem_id="video")
        download = gr.DownloadButton("Download the run (zip)", visible=False, elem_id="download")
        export_format, export, export_download, export_status = _export_controls()
        with gr.Row():  # a finished run: one scene drawn again, the rest kept (as `videodrafter redo`)
            redo_scene = gr.Number(label="Scene to draw again", value=1, precision=0, minimum=1, elem_id="redo-scene", scale=1)
            redo = gr.Button("Redo this scene", elem_id="redo", scale=1)
    return _MakeTab(
        prompt=prompt, scenes=scenes, llm=llm, engine=engine, voice=voice, profile=profile, style=style, estimate=estimate, write=write, cancel_write=cancel_write, status=status, scenes_table=scenes_table,
        cameras=cameras, speeds=speeds, entities_table=entities_table, photo_entity=photo_entity, photo=photo,
        photo_status=photo_status, approve=approve, resume=resume, cancel_make=cancel_make, make_status=make_status,
        references=references, scene_images=scene_images, contact_sheet=contact_sheet, video=video, download=download,
        export_format=export_format, export=export, export_download=export_download, export_status=export_status,
        redo_scene=redo_scene, redo=redo,
    )


def _camera_dropdowns() -> tuple[list[gr.Dropdown], list[gr.Dropdown]]:
    """A camera and a speed dropdown for each scene a script may have; a script shows the ones it needs."""
    cameras, speeds = [], []
    with gr.Group(elem_id="cameras"):
        for number in range(1, CAMERA_ROWS + 1):
            with gr.Row():
                cameras.append(gr.Dropdown(CAMERA_DIRECTIONS, label=f"Scene {number}: camera", visible=False, elem_id=f"camera-{number}"))
                speeds.append(gr.Dropdown(CAMERA_SPEEDS, label=f"Scene {number}: speed", visible=False, elem_id=f"speed-{number}"))
    return cameras, speeds


@dataclass
class _RunsTab:
    """The Runs tab: every run on disk, to open (or delete, once confirmed) one."""

    tab: gr.Tab
    run_pick: gr.Dropdown
    open_run: gr.Button
    refresh: gr.Button
    confirm_delete: gr.Checkbox
    delete: gr.Button
    runs_status: gr.Markdown
    runs_table: gr.Dataframe


def _runs_tab() -> _RunsTab:
    with gr.Tab("Runs", id="runs") as runs_tab:
        with gr.Row():
            run_pick = gr.Dropdown(label="Run", choices=[], elem_id="run-pick", scale=4)
            open_run = gr.Button("Open", variant="primary", elem_id="open-run", scale=1)
            refresh = gr.Button("Refresh", elem_id="refresh-runs", scale=1)
        with gr.Row():
            confirm_delete = gr.Checkbox(label="Yes, delete the chosen run (it cannot be brought back)", value=False, elem_id="confirm-delete", scale=4)
            delete = gr.Button("Delete", variant="stop", elem_id="delete-run", scale=1)
        runs_status = gr.Markdown("", elem_id="runs-status")
        runs_table = gr.Dataframe(
            headers=RUN_HEADERS, datatype=RUN_DATATYPES, column_widths=RUN_WIDTHS, interactive=False, type="array", wrap=True,
            elem_id="runs-table",
        )
    return _RunsTab(
        tab=runs_tab, run_pick=run_pick, open_run=open_run, refresh=refresh, confirm_delete=confirm_delete, delete=delete,
        runs_status=runs_status, runs_table=runs_table,
    )


class _Page:
    """What the page's events do. One per app, shared by every browser session."""

    def __init__(
        self, settings: Settings, run_state: gr.State, remembered: gr.BrowserState, tabs: gr.Tabs, make: _MakeTab, runs: _RunsTab
    ) -> None:
        self.settings = settings
        self.run_state = run_state
        self.remembered = remembered
        self.tabs = tabs
        self.make = make
        self.runs = runs
        self.cancels: dict[str, threading.Event] = {}  # per browser session: the Cancel button of the run it drives
        self.line = RenderQueue(settings.web_concurrency)
        self.shown = [
            run_state, remembered, make.status, make.make_status, make.scenes_table, make.entities_table, make.photo_entity,
            make.references, make.scene_images, make.contact_sheet, make.video, make.download, tabs, make.prompt,
            make.llm, make.engine, make.voice, make.profile, *make.cameras, *make.speeds,
            *(getattr(make.style, name) for name in STYLE), make.export_download, make.export_status,
        ]
        """Every component ``show`` sets: the outputs of the events that show a run."""

    def wire(self, app: gr.Blocks) -> None:
        make, runs, shown = self.make, self.runs, self.shown
        # long jobs wait in self.line (Settings.web_concurrency at once, each click told its place), not in Gradio's queue
        form = [make.scenes, make.llm, make.engine, make.voice, make.profile]
        make.write.click(self.on_write, [make.prompt, *form, *make.style.inputs], shown, concurrency_limit=None)
        # one estimate at a time per page, the latest choices last: an older answer never overwrites a newer one
        gr.on([app.load, *(part.change for part in form)], self.on_estimate, form, make.estimate, concurrency_limit=None, trigger_mode="always_last")
        make.export.click(self.on_export, [self.run_state, make.export_format], [make.export_download, make.export_status], concurrency_limit=None)
        make.cancel_write.click(self.on_cancel, None, make.status, concurrency_limit=None)
        make.cancel_make.click(self.on_cancel, None, make.make_status, concurrency_limit=None)
        make.photo.upload(
            self.on_photo, [make.photo, make.photo_entity, self.run_state], [make.photo_status, self.run_state, make.photo], concurrency_limit=None
        )
        make.approve.click(
            self.on_approve, [make.scenes_table, make.entities_table, self.run_state, make.llm, make.engine, make.voice, *make.cameras, *make.speeds],
            shown, concurrency_limit=None,
        )
        make.resume.click(self.on_continue, [self.run_state, make.llm, make.engine, make.voice], shown, concurrency_limit=None)
        make.redo.click(self.on_redo, [self.run_state, make.redo_scene], shown, concurrency_limit=None)
        listing = [runs.runs_table, runs.run_pick, runs.runs_status]
        runs.delete.click(self.on_delete, [runs.run_pick, runs.confirm_delete], [*listing, runs.confirm_delete], concurrency_limit=None)
        runs.refresh.click(self.runs_listing, None, listing, concurrency_limit=None)
        runs.tab.select(self.runs_listing, None, listing, concurrency_limit=None)
        runs.open_run.click(self.on_open, [runs.run_pick], [*shown, runs.runs_status], concurrency_limit=None)
        app.load(self.on_load, [self.remembered], shown, concurrency_limit=None)

    def show(self, record: RunRecord) -> dict:
        """Every part of the page for ``record``; the message goes next to what comes next."""
        make = self.make
        view = RunView(record)
        script = view.script
        state = {
            "run_id": record.run_id, "status": record.status, "script": script.model_dump(mode="json") if script else None, "photos": {},
            "choices": view.choices,
        }
        values: dict = {self.run_state: state, self.remembered: {"run_id": record.run_id}, self.tabs: gr.Tabs(selected="make")}
        waiting = record.status == "waiting_for_approval"
        values[make.status] = view.message() if waiting else ""
        values[make.make_status] = "" if waiting else view.message()
        values[make.scenes_table] = scene_rows(script) if script else []
        values[make.entities_table] = entity_rows(script) if script else []
        moves = scene_cameras(script) if script else []
        for index in range(CAMERA_ROWS):
            visible = index < len(moves)
            values[make.cameras[index]] = gr.update(value=moves[index][0] if visible else None, visible=visible)
            values[make.speeds[index]] = gr.update(value=moves[index][1] if visible else None, visible=visible)
        choices = [(entity.name, entity.id) for entity in script.entities] if script else []
        values[make.photo_entity] = gr.update(choices=choices, value=choices[0][1] if choices else None)
        values[make.references] = view.references
        values[make.scene_images] = view.images
        values[make.contact_sheet] = gr.update(value=view.contact_sheet, visible=view.contact_sheet is not None)
        values[make.prompt] = record.prompt
        for name in CHOSEN:
            if name in view.choices:
                values[getattr(make, name)] = view.choices[name]
        for name, value in view.style.items():
            if name != "music" or value in MUSIC:  # a file the run used is not offered again
                values[getattr(make.style, name)] = value
        values[make.export_download] = gr.update(visible=False)  # an earlier run's timeline is not this one's
        values[make.export_status] = ""
        values[make.video] = str(record.video) if record.video else None
        values[make.download] = gr.update(value=str(_archive(record)), visible=True) if record.status == "done" else gr.update(visible=False)
        return values

    def drive(self, work: Callable, request: gr.Request, where: gr.Markdown) -> Iterator[dict]:
        """Stream a run's progress into ``where``; then show the run (or the error, or the cancel)."""
        cancel = threading.Event()
        self.cancels[request.session_hash] = cancel
        ticket = self.line.ticket()
        try:
            for place in ticket.wait(cancel, TICK_S):
                yield {where: f"⌛ Waiting for a free slot: number {place} in line ({self.line.limit} run(s) at a time). Cancel leaves the line."}
            if not ticket.admitted:
                yield {where: "⏹ Cancelled before it started: nothing was done."}
                return
            for item in _run_in_thread(lambda on_event: work(on_event, cancel)):
                if isinstance(item, str):
                    yield {where: item}
                elif isinstance(item, RunInterrupted):
                    values = self.show(find_run(self.settings.runs_dir, item.run_id))
                    values[where] = f"⏹ Cancelled. Everything finished so far is kept: press Continue to go on (or open run `{item.run_id}` later from the Runs tab)."
                    yield values
                elif isinstance(item, VideoDrafterError):
                    yield {where: _error_text(item)}
                else:
                    yield self.show(find_run(self.settings.runs_dir, item.run_id))
        finally:
            ticket.leave()
            self.cancels.pop(request.session_hash, None)

    def on_write(
        self, text: str, count: float | None, llm: str, engine: str, voice: str, profile: str,
        burn: bool, position: str, size: float, box: bool, music: str, music_file: str | None, request: gr.Request,
    ):
        wanted = int(count) if count else None
        status = self.make.status
        chosen_values = {
            "llm": llm, "engine": engine, "voice": voice, "profile": profile,
            "subtitle_burn": burn, "subtitle_position": position, "subtitle_size": size, "subtitle_box": box, "music": music,
        }
        try:
            chosen = chosen_settings(self.settings, chosen_values)
            if music_file:
                chosen = self.with_music_file(chosen, Path(music_file))
        except VideoDrafterError as error:
            yield {status: _error_text(error), self.make.make_status: ""}
            return
        run_settings = chosen.model_copy(update={"approve_script": True})
        yield {status: _progress_line(None, time.monotonic()), self.make.make_status: ""}
        yield from self.drive(
            lambda on_event, cancel: start_run(text, run_settings, scenes=wanted, on_event=on_event, cancel=cancel), request, status
        )

    def with_music_file(self, settings: Settings, upload: Path) -> Settings:
        """``settings`` with an uploaded music file, checked as `--music FILE` is, then kept in the runs
        folder (a dot folder the server never serves) under a name from its content, so a resume finds it."""
        from videodrafter.audio.music import check_music

        try:
            check_music(settings.model_copy(update={"music": str(upload)}))
        except VideoDrafterError as error:
            raise _without_path(error, upload) from None
        digest = hashlib.sha256(upload.read_bytes()).hexdigest()[:16]
        kept = self.settings.runs_dir / ".uploads" / f"music-{digest}{upload.suffix.lower()}"
        if not kept.is_file():
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(upload, kept)
        return settings.model_copy(update={"music": str(kept.resolve())})

    def on_estimate(self, count: float | None, llm: str, engine: str, voice: str, profile: str) -> str:
        """What Write would start will take, as `make --dry-run` prints it; no key is needed for a price."""
        try:
            chosen = chosen_settings(self.settings, {"llm": llm, "engine": engine, "voice": voice, "profile": profile}, llm_needed=False)
            table = estimate_text(chosen, int(count) if count else None)
        except VideoDrafterError as error:
            return _error_text(error)
        return f"**Before you write:** what a run with these choices will take (as `videodrafter make --dry-run` prints it).\n\n```text\n{table}\n```"

    def on_export(self, state: dict, export_format: str | None):
        """The shown run's timeline for another editor (``run_view.editor_export``); the run comes from the
        session, the format is checked against the list: the browser never names a path."""
        if not state.get("run_id"):
            return gr.update(visible=False), _error_text(InputError("There is no run to export.", "Open a finished run in the Runs tab."))
        try:
            path = editor_export(find_run(self.settings.runs_dir, state["run_id"]), str(export_format or ""))
        except VideoDrafterError as error:
            return gr.update(visible=False), _error_text(error)
        except Exception as error:  # an adapter's failure is a message, never a traceback in the page
            return gr.update(visible=False), _error_text(VideoDrafterError(f"The export failed: {type(error).__name__}: {error}", "Try another format."))
        return gr.update(value=str(path), label=f"Download {path.name}", visible=True), f"📦 {path.name} is ready: press its button to download it."

    def on_cancel(self, request: gr.Request):
        cancel = self.cancels.get(request.session_hash)
        if cancel is None:
            return gr.skip()
        cancel.set()
        return "⏹ Cancelling: the step under way stops at its next boundary…"

    def on_photo(self, path: str | None, entity_id: str | None, state: dict):
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
        kept = self.settings.runs_dir / state["run_id"] / "uploads" / f"{entity_id}{Path(path).suffix.lower()}"
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(Path(path).read_bytes())
        state = {**state, "photos": {**state.get("photos", {}), entity_id: str(kept)}}
        name = next((e["name"] for e in state["script"]["entities"] if e["id"] == entity_id), entity_id)
        return f"📷 '{name}' will use your photo {Path(path).name}.", state, None  # cleared for the next photo

    def overrides(self, state: dict, llm: str | None, engine: str | None, voice: str | None) -> dict[str, str]:
        """The choices changed since the run was shown: a resume uses them for the steps not yet done
        (as `videodrafter resume --engine/--llm/--voice`); checked before any work."""
        was = state.get("choices") or {}
        changed = {
            name: value.strip() for name, value in (("llm", llm), ("engine", engine), ("voice", voice))
            if value and value.strip() and value.strip() != was.get(name)
        }
        if changed:
            chosen_settings(self.settings, changed, llm_needed=False)
        return changed

    def on_approve(self, request: gr.Request, scene_cells, entity_cells, state: dict, llm: str, engine: str, voice: str, *moves):
        make_status = self.make.make_status
        if not state.get("script"):
            yield {make_status: _error_text(InputError("There is no script to approve yet.", "Write a script first."))}
            return
        pairs = list(zip(moves[:CAMERA_ROWS], moves[CAMERA_ROWS:], strict=True))
        try:
            script = script_from_tables(VideoScript.model_validate(state["script"]), scene_cells, entity_cells, state.get("photos", {}), pairs)
            changed = self.overrides(state, llm, engine, voice)
        except VideoDrafterError as error:
            yield {make_status: _error_text(error)}
            return
        run_id, runs_dir = state["run_id"], self.settings.runs_dir
        draft = pending_script(runs_dir / run_id)
        if draft is None:  # a run past its approval: the edit path remakes only what the edits touch
            yield from self.remake(run_id, script, request)
            return
        answer = {"approved": True, "script": script.model_dump(mode="json"), "source": "web"}
        yield {make_status: _progress_line(None, time.monotonic())}
        yield from self.drive(
            lambda on_event, cancel: resume_run(run_id, runs_dir, approve=answer, overrides=changed, on_event=on_event, cancel=cancel),
            request, make_status,
        )

    def remake(self, run_id: str, script: VideoScript, request: gr.Request):
        """A finished (or stopped) run edited in the tables: say what will be remade, then remake just that."""
        make_status, runs_dir = self.make.make_status, self.settings.runs_dir
        current = runs_dir / run_id / "script.json"
        before = VideoScript.model_validate_json(current.read_text()) if current.is_file() else None
        changes = script_changes(before, script) if before is not None else ["the whole script"]
        if not changes:
            yield {make_status: "Nothing was edited: the video is as it was. Change a cell or a camera move, then press the button again."}
            return
        yield {make_status: f"Remaking what these edits touch ({'; '.join(changes[:8])}{' …' if len(changes) > 8 else ''}); the rest is kept."}
        yield from self.drive(
            lambda on_event, cancel: edit_run(run_id, runs_dir, script, on_event=on_event, cancel=cancel), request, make_status,
        )

    def on_continue(self, state: dict, llm: str, engine: str, voice: str, request: gr.Request):
        make_status = self.make.make_status
        if not state.get("run_id"):
            yield {make_status: _error_text(InputError("There is no run to continue.", "Write a script, or open a run in the Runs tab."))}
            return
        if state.get("status") == "waiting_for_approval":
            yield {make_status: "The script is waiting for your approval: press “Approve and make the video”."}
            return
        try:
            changed = self.overrides(state, llm, engine, voice)
        except VideoDrafterError as error:
            yield {make_status: _error_text(error)}
            return
        yield {make_status: _progress_line(None, time.monotonic())}
        yield from self.drive(
            lambda on_event, cancel: resume_run(state["run_id"], self.settings.runs_dir, overrides=changed, on_event=on_event, cancel=cancel),
            request, make_status,
        )

    def on_redo(self, state: dict, scene: float | None, request: gr.Request):
        """Draw one scene of a finished run again (``graph/redo.py``); the rest of the video is kept."""
        make_status = self.make.make_status
        if state.get("status") != "done":
            yield {make_status: _error_text(InputError("Only a finished run has scenes to redo.", "Open a finished run in the Runs tab, or finish this one."))}
            return
        yield {make_status: _progress_line(None, time.monotonic())}
        yield from self.drive(
            lambda on_event, cancel: redo_scene(state["run_id"], self.settings.runs_dir, int(scene or 1), on_event=on_event, cancel=cancel)[0],
            request, make_status,
        )

    def runs_listing(self):
        return self._listing("")

    def _listing(self, message: str):
        records = list_runs(self.settings.runs_dir)
        choices = [r.run_id for r in records]
        message = message or ("" if records else "No runs yet: write a script on the Make tab.")
        return run_rows(records), gr.update(choices=choices, value=choices[0] if choices else None), message

    def on_delete(self, run_id: str | None, confirmed: bool):
        """Delete the chosen run once the box is ticked; a run being worked on is refused."""
        try:
            done = delete_message(self.settings.runs_dir, run_id, bool(confirmed))
        except VideoDrafterError as error:
            return *self._listing(_error_text(error)), gr.skip()
        return *self._listing(done), False

    def on_open(self, run_id: str | None):
        if not run_id:
            return {self.runs.runs_status: _error_text(InputError("Choose a run first.", "Pick one in the Run list."))}
        try:
            return self.show(find_run(self.settings.runs_dir, run_id))
        except VideoDrafterError as error:
            return {self.runs.runs_status: _error_text(error)}

    def on_load(self, memory: dict | None):
        """A reload (or a new tab) shows the run the browser last showed."""
        run_id = (memory or {}).get("run_id")
        if not run_id:
            return gr.skip()
        try:
            return self.show(find_run(self.settings.runs_dir, run_id))
        except VideoDrafterError:
            return {self.remembered: {}}  # the run was deleted: start afresh


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None) -> None:
    """The page on ``host:port``; with ``auth`` (user, password) every page and file asks for them.
    Files from the runs folder are a run's exports only (``file_guard``)."""
    from starlette.middleware import Middleware

    from videodrafter.web.file_guard import ExportsOnly

    app = build_app(settings)
    app.queue(default_concurrency_limit=None).launch(
        server_name=host, server_port=port, show_error=False, allowed_paths=[str(settings.runs_dir.resolve())],
        max_file_size=4 * MAX_UPLOAD_BYTES, share=False, inbrowser=False, quiet=True, css=CSS,
        auth=[auth] if auth else None, auth_message="videodrafter: sign in with the user and password the operator set.",
        app_kwargs={"middleware": [Middleware(ExportsOnly, runs_dir=settings.runs_dir)]},
    )
