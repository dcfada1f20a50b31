"""The web UI: prompt → editable script (approved before generation) → references, scenes, video.

Runs are ordinary checkpointed runs paused for approval, so a browser refresh or a server
restart loses nothing: the run folder and its checkpoints stay on disk.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import gradio as gr

from videodrafter.config import Settings
from videodrafter.errors import InputError, VideoDrafterError
from videodrafter.graph.progress import ProgressEvent
from videodrafter.graph.runner import RunOutcome, resume_run, start_run
from videodrafter.media.images import load_user_photo
from videodrafter.script import VideoScript
from videodrafter.web.tables import ENTITY_HEADERS, SCENE_HEADERS, entity_rows, scene_rows, script_from_tables

MAX_UPLOAD_BYTES = 25 * 1024 * 1024


def _error_text(error: VideoDrafterError) -> str:
    return f"**Error:** {error.message}" + (f"  \n**What to do:** {error.hint}" if error.hint else "")


def _run_in_thread(work: Callable[[Callable[[ProgressEvent], None]], RunOutcome]) -> Iterator[str | RunOutcome | VideoDrafterError]:
    """Run ``work`` in a thread; yield progress lines, then its outcome (or its error)."""
    events: queue.Queue = queue.Queue()
    box: dict = {}

    def target() -> None:
        try:
            box["outcome"] = work(events.put)
        except VideoDrafterError as error:
            box["error"] = error
        except Exception as error:  # shown to the user, never a traceback in the page
            box["error"] = VideoDrafterError(f"Unexpected failure: {type(error).__name__}: {error}", "Finished work is kept in the run folder; try again.")
        finally:
            events.put(None)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    while True:
        event = events.get()
        if event is None:
            break
        progress = f" ({event.done}/{event.total})" if event.total else ""
        yield f"⏳ **{event.stage}**{progress}: {event.message}"
    thread.join()
    yield box.get("error") or box["outcome"]


def build_app(settings: Settings) -> gr.Blocks:
    with gr.Blocks(title="videodrafter") as app:
        run_state = gr.State({})
        gr.Markdown("# videodrafter\nOne prompt in, a multi-scene video out. Write the script, edit and approve it, then make the video.")
        with gr.Row():
            prompt = gr.Textbox(label="What is the video about?", placeholder="a dog's day at the beach", elem_id="prompt", scale=4)
            scenes = gr.Number(label="Scenes (0 = let the LLM choose)", value=4, precision=0, minimum=0, maximum=20, elem_id="scenes", scale=1)
        write = gr.Button("Write script", variant="primary", elem_id="write")
        status = gr.Markdown("", elem_id="status")
        scenes_table = gr.Dataframe(headers=SCENE_HEADERS, label="Scenes (edit cells, then approve)", interactive=True, type="array", wrap=True, elem_id="scenes-table")
        entities_table = gr.Dataframe(headers=ENTITY_HEADERS, label="Entities", interactive=True, type="array", wrap=True, elem_id="entities-table")
        with gr.Row():
            photo_entity = gr.Dropdown(label="Use a real photo for", choices=[], elem_id="photo-entity")
            photo = gr.File(label="Photo (PNG/JPEG/WebP, ≤ 25 MB)", file_types=["image"], type="filepath", elem_id="photo")
        approve = gr.Button("Approve and make the video", variant="primary", elem_id="approve")
        references = gr.Gallery(label="Entity references", columns=6, height=180, elem_id="references")
        scene_images = gr.Gallery(label="Scene images", columns=4, height=220, elem_id="scene-images")
        video = gr.Video(label="Video", elem_id="video")

        def on_write(text: str, count: float | None, state: dict):
            state = {}
            try:
                wanted = int(count) if count else None
                run_settings = settings.model_copy(update={"approve_script": True})
                for item in _run_in_thread(lambda on_event: start_run(text, run_settings, scenes=wanted, on_event=on_event)):
                    if isinstance(item, str):
                        yield item, gr.skip(), gr.skip(), gr.skip(), state
                    elif isinstance(item, VideoDrafterError):
                        yield _error_text(item), gr.skip(), gr.skip(), gr.skip(), state
                    else:
                        script = VideoScript.model_validate(item.pending_question["script"])
                        state = {"run_id": item.run_id, "script": script.model_dump(mode="json"), "photos": {}}
                        choices = [(entity.name, entity.id) for entity in script.entities]
                        yield (
                            f"✅ Review the script of run `{item.run_id}`: edit any cell, add photos, then approve.",
                            scene_rows(script), entity_rows(script), gr.update(choices=choices, value=choices[0][1] if choices else None), state,
                        )
            except VideoDrafterError as error:
                yield _error_text(error), gr.skip(), gr.skip(), gr.skip(), state

        write.click(on_write, [prompt, scenes, run_state], [status, scenes_table, entities_table, photo_entity, run_state])

        def on_photo(path: str | None, entity_id: str | None, state: dict):
            if not path:
                return gr.skip(), state, gr.skip()
            if not state.get("run_id"):
                return _error_text(InputError("Write a script first.", "Photos belong to the entities of a script.")), state, None
            if not entity_id:
                return _error_text(InputError("Choose which entity the photo shows.", "Pick it in 'Use a real photo for'.")), state, None
            try:
                load_user_photo(Path(path), max_bytes=MAX_UPLOAD_BYTES)
            except VideoDrafterError as error:
                return _error_text(error), state, None
            kept = settings.runs_dir / state["run_id"] / "uploads" / f"{entity_id}{Path(path).suffix.lower()}"
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_bytes(Path(path).read_bytes())
            state = {**state, "photos": {**state.get("photos", {}), entity_id: str(kept)}}
            name = next((e["name"] for e in state["script"]["entities"] if e["id"] == entity_id), entity_id)
            return f"📷 '{name}' will use your photo {Path(path).name}.", state, None  # cleared for the next photo

        photo.upload(on_photo, [photo, photo_entity, run_state], [status, run_state, photo])

        def on_approve(scene_cells, entity_cells, state: dict):
            if not state.get("run_id"):
                yield _error_text(InputError("There is no script to approve yet.", "Write a script first.")), gr.skip(), gr.skip(), gr.skip()
                return
            try:
                script = script_from_tables(VideoScript.model_validate(state["script"]), scene_cells, entity_cells, state.get("photos", {}))
            except VideoDrafterError as error:
                yield _error_text(error), gr.skip(), gr.skip(), gr.skip()
                return
            answer = {"approved": True, "script": script.model_dump(mode="json")}
            for item in _run_in_thread(lambda on_event: resume_run(state["run_id"], settings.runs_dir, approve=answer, on_event=on_event)):
                if isinstance(item, str):
                    yield item, gr.skip(), gr.skip(), gr.skip()
                elif isinstance(item, VideoDrafterError):
                    yield _error_text(item), gr.skip(), gr.skip(), gr.skip()
                else:
                    manifest = json.loads(item.result.manifest.read_text())
                    refs = [(value["conditioned"], key) for key, value in manifest["references"].items()]
                    images = [(scene["chosen"]["image"], f"scene {number}") for number, scene in enumerate(manifest["scenes"], start=1)]
                    info = item.result.info
                    yield (
                        f"🎬 Done: {info.duration_s:.1f} s, {len(images)} scenes, {info.width}×{info.height}. Files in `{item.run_dir}`.",
                        refs, images, str(item.result.video),
                    )

        approve.click(on_approve, [scenes_table, entities_table, run_state], [status, references, scene_images, video])
    return app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    app = build_app(settings)
    app.queue(default_concurrency_limit=1).launch(
        server_name=host, server_port=port, show_error=False, allowed_paths=[str(settings.runs_dir.resolve())],
        max_file_size=4 * MAX_UPLOAD_BYTES, share=False, inbrowser=False, quiet=True,
    )
