"""The video graph with scripted chat models: review loop, fan-out, consistency redo, resume, approval."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.fixtures.models import (
    CRITIQUE,
    ENRICH_1,
    ENRICH_2,
    ENRICH_3,
    PLAN,
    RoutedChatModel,
    beach_day_draft,
    beach_day_model,
    critique_verdict,
)
from tests.fixtures.scripts import write_script
from videodrafter.config import Settings
from videodrafter.animatic.engine import AnimaticEngine
from videodrafter.graph.graph import build_graph
from videodrafter.graph.runner import resume_run, start_run
from videodrafter.media.video import probe_video
from videodrafter.script import VideoScript


def test_critique_failing_twice_sends_the_feedback_back_then_the_run_finishes(settings: Settings) -> None:
    model = beach_day_model([critique_verdict(False, "make scene 2 more exciting"), critique_verdict(False, "name the ball"), critique_verdict(True)])
    settings = settings.model_copy(update={"script_review_rounds": 5})
    events = []
    outcome = start_run("a dog's day at the beach", settings, scenes=3, chat_model=model, run_id="loop", on_event=events.append)
    assert outcome.status == "done"
    assert model.calls(PLAN) == 3 and model.calls(CRITIQUE) == 3
    assert model.calls(ENRICH_3) == 3  # one enrichment per common entity (dog, girl, beach), fanned out
    assert outcome.usage.calls == 3 + 3 + 3 * 3
    info = probe_video(outcome.result.video)
    assert info.codec == "h264" and info.frames == 3 * 18
    described = {entity.id: entity.description for entity in outcome.script.entities}
    assert described["brown-dog"].startswith("A small brown dog")
    stages = {event.stage for event in events}
    assert {"script", "enrich", "references", "scene images", "consistency", "clips", "assemble"} <= stages
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert manifest["plan_rounds"] == 3 and len(manifest["scenes"]) == 3
    for name in ("script.json", "video.srt", "contact_sheet.png", "timeline.otio"):
        assert (outcome.run_dir / name).is_file()


def test_enrich_none_from_the_settings_reaches_the_review_inside_the_video_graph(settings: Settings) -> None:
    """`make --enrich none` (or VIDEODRAFTER_ENRICH=none): the planner's descriptions, no enrichment calls."""
    model = beach_day_model([critique_verdict(True)])
    outcome = start_run("a dog's day at the beach", settings.model_copy(update={"enrich": "none"}), scenes=3, chat_model=model, run_id="plain")
    assert outcome.status == "done"
    assert model.calls(ENRICH_1) == model.calls(ENRICH_3) == 0 and model.calls(PLAN) == 1


def test_review_rounds_are_bounded_and_the_best_script_is_kept(settings: Settings) -> None:
    model = beach_day_model([critique_verdict(False, "try again")])
    outcome = start_run("a dog's day at the beach", settings.model_copy(update={"script_review_rounds": 2}), scenes=3, chat_model=model, run_id="bounded")
    assert model.calls(PLAN) == 2 and outcome.status == "done"
    assert any("still criticised after 2 rounds" in note for note in outcome.notes)


class DriftingEngine(AnimaticEngine):
    """Draws scene 2's first candidate with the wrong colours, like a model that lost the dog's look."""

    def __init__(self) -> None:
        super().__init__(160, 96, 6)
        self.scene_calls = 0
        self.drifted = False

    def scene_image(self, event, foreground, background, layout, *, seed):
        self.scene_calls += 1
        image = super().scene_image(event, foreground, background, layout, seed=seed)
        if "chases" in event and not self.drifted:
            self.drifted = True
            pixels = np.asarray(image).copy()
            pixels[..., [0, 2]] = pixels[..., [2, 0]]
            return Image.fromarray(255 - pixels)
        return image


def test_an_inconsistent_scene_is_regenerated_alone_with_a_new_seed(settings: Settings) -> None:
    engine = DriftingEngine()
    model = beach_day_model([critique_verdict(True)])
    outcome = start_run("a dog's day at the beach", settings, scenes=3, chat_model=model, engine=engine, run_id="drift")
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert engine.scene_calls == 4  # three scenes, then scene 2 once more
    assert [scene["candidates"] for scene in manifest["scenes"]] == [1, 2, 1]
    chosen = manifest["scenes"][1]["chosen"]
    assert chosen["attempt"] == 1 and chosen["score"] >= manifest["consistency_threshold"] == 0.8
    assert manifest["consistency_rounds"] == 1


def test_a_finished_run_resumes_without_redoing_anything(settings: Settings) -> None:
    model = beach_day_model([critique_verdict(True)])
    first = start_run("a dog's day at the beach", settings, scenes=3, chat_model=model, run_id="again")
    stamps = {path: path.stat().st_mtime_ns for path in first.run_dir.rglob("*.png")}
    calls = model.calls(PLAN)
    second = resume_run("again", settings.runs_dir, chat_model=model)
    assert second.result == first.result and model.calls(PLAN) == calls
    assert stamps == {path: path.stat().st_mtime_ns for path in first.run_dir.rglob("*.png")}


def test_approval_pauses_after_the_script_and_accepts_an_edit(settings: Settings) -> None:
    model = beach_day_model([critique_verdict(True)])
    paused = start_run("a dog's day at the beach", settings.model_copy(update={"approve_script": True}), scenes=3, chat_model=model, run_id="approve")
    assert paused.status == "waiting_for_approval" and paused.result is None
    assert not (paused.run_dir / "video.mp4").exists()
    edited = paused.pending_question["script"]
    edited["scenes"][0]["camera"] = {"direction": "zoom out", "speed": "fast"}
    done = resume_run("approve", settings.runs_dir, approve={"approved": True, "script": edited}, chat_model=model)
    assert done.status == "done" and done.script.scenes[0].camera.direction == "zoom out"
    assert json.loads((done.run_dir / "script.json").read_text())["scenes"][0]["camera"]["direction"] == "zoom out"


def test_routers_and_edges_are_declared() -> None:
    edges = {(edge.source, edge.target) for edge in build_graph().get_graph(xray=True).edges}
    review = {("review_script:check_script", "review_script:plan_script"), ("review_script:finalize_draft", "review_script:enrich_entity")}
    assert review | {("check_consistency", "scene_images"), ("approve_script", "reference_images")} <= edges


def test_langgraph_json_points_at_a_compiled_graph() -> None:
    import importlib

    config = json.loads((Path(__file__).parents[1] / "langgraph.json").read_text())
    target = config["graphs"]["videodrafter"]
    module_name, name = target.split(":")
    assert "/" not in module_name, "a module, not a file path: `langgraph dev --config` resolves paths against the current folder"
    compiled = getattr(importlib.import_module(module_name), name)
    assert {"review_script", "assemble"} <= set(compiled.get_graph().nodes)


def test_editing_one_scene_regenerates_exactly_that_scenes_image_and_clip(settings: Settings) -> None:
    from videodrafter.graph.runner import edit_run

    model = beach_day_model([critique_verdict(True)])
    first = start_run("a dog's day at the beach", settings, scenes=3, chat_model=model, run_id="edit")
    before = {path.name for path in first.run_dir.rglob("*") if path.suffix in (".png", ".mp4") and ".last." not in path.name}
    llm_calls = model.calls(PLAN) + model.calls(CRITIQUE) + model.calls(ENRICH_3)
    script = first.script.model_copy(deep=True)
    script.scenes[1].event = "The dog digs a deep hole in the sand."
    edited = edit_run("edit", settings.runs_dir, script, chat_model=model)
    after = {path.name for path in edited.run_dir.rglob("*") if path.suffix in (".png", ".mp4") and ".last." not in path.name}
    new = sorted(after - before)
    assert [name.split("-")[0] for name in new] == ["clip", "scene"], new
    assert edited.result.info.frames == first.result.info.frames
    assert model.calls(PLAN) + model.calls(CRITIQUE) + model.calls(ENRICH_3) == llm_calls
    assert edited.script.scenes[1].event.startswith("The dog digs")
    assert json.loads((edited.run_dir / "script.json").read_text())["scenes"][1]["event"].startswith("The dog digs")


def test_editing_an_entity_description_redraws_it_everywhere(settings: Settings) -> None:
    from videodrafter.graph.runner import edit_run

    model = beach_day_model([critique_verdict(True)])
    first = start_run("a dog's day at the beach", settings, scenes=3, chat_model=model, run_id="recolour")
    script = first.script.model_copy(deep=True)
    for entity in script.entities:
        if entity.id == "girl":
            entity.description = "a girl in a bright red dress"
    before = json.loads((first.run_dir / "manifest.json").read_text())
    edited = edit_run("recolour", settings.runs_dir, script, chat_model=model)
    after = json.loads((edited.run_dir / "manifest.json").read_text())
    assert after["references"]["girl"]["key"] != before["references"]["girl"]["key"]
    assert after["references"]["brown-dog"]["key"] == before["references"]["brown-dog"]["key"]
    assert edited.script.entity("girl").description.endswith("red dress")
    girl_scenes = {index for index, scene in enumerate(edited.script.scenes) if "girl" in scene.foreground}
    redrawn = {index for index in range(3) if after["scenes"][index]["chosen"]["key"] != before["scenes"][index]["chosen"]["key"]}
    assert redrawn == girl_scenes == {0, 2}


def test_review_rounds_default_to_one_for_embedded_models_and_three_for_remote_ones() -> None:
    assert Settings().review_rounds == 1
    assert Settings(llm="openai:gpt-4o").review_rounds == 3
    assert Settings(llm="local:gemma3", script_review_rounds=4).review_rounds == 4


class _Killed(BaseException):
    """Stands in for SIGKILL: nothing in the graph catches it, and the stream stops where it is."""


def test_a_run_killed_right_after_its_input_checkpoint_resumes(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies after the input checkpoint and the start task's writes, before the first step's checkpoint."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    original_put = SqliteSaver.put
    saved: list[int] = []

    def put_then_die(self, config, checkpoint, metadata, new_versions):
        if saved:
            raise _Killed
        saved.append(metadata["step"])
        return original_put(self, config, checkpoint, metadata, new_versions)

    monkeypatch.setattr(SqliteSaver, "put", put_then_die)
    script = VideoScript.model_validate_json(write_script(settings.runs_dir.parent / "script.json", "early", ["left", "zoom in"]).read_text())
    with pytest.raises(_Killed):
        start_run("", settings, script=script, run_id="early")
    monkeypatch.setattr(SqliteSaver, "put", original_put)
    assert saved == [-1]
    outcome = resume_run("early", settings.runs_dir)
    assert outcome.status == "done" and outcome.result is not None
    assert probe_video(outcome.result.video).frames > 0


def test_the_graph_input_comes_back_out_of_a_checkpoint_as_itself() -> None:
    """The input checkpoint stores the InputState object; a blocked type would come back as nothing usable."""
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    from videodrafter.graph.checkpoints import CHECKPOINT_TYPES
    from videodrafter.graph.state import InputState

    serde = JsonPlusSerializer(allowed_msgpack_modules=CHECKPOINT_TYPES)
    value = InputState(prompt="a dog", scenes=3)
    assert serde.loads_typed(serde.dumps_typed(value)) == value


def test_a_critique_with_no_usable_answer_keeps_the_script_and_the_run_goes_on(settings: Settings) -> None:
    # issue 13: the critique is advice; its failure never turns a good script into a failed run
    model = beach_day_model(["not json", "still not json", '{"is_satisfactory": "perhaps"}'])
    settings = settings.model_copy(update={"script_review_rounds": 2})  # a critique is asked where a round can follow
    outcome = start_run("a dog's day at the beach", settings, scenes=3, chat_model=model, run_id="advice")
    assert outcome.status == "done"
    assert model.calls(CRITIQUE) == settings.plan_max_attempts
    assert any(note.startswith("the LLM's critique was skipped: The LLM gave no usable critique") for note in outcome.notes)
    assert probe_video(outcome.result.video).frames == 3 * 18


def test_notes_describe_the_final_script_not_a_rejected_one(settings: Settings) -> None:
    # issue 13: a repair note of the first, rejected script must not outlive it
    first = json.loads(beach_day_draft(["left", "right", "zoom in"]))
    first["entities"] = [entity for entity in first["entities"] if entity["name"] != "girl"]
    model = RoutedChatModel(
        routes={
            CRITIQUE: [critique_verdict(False, "name the ball"), critique_verdict(True)],
            PLAN: [json.dumps(first), beach_day_draft(["left", "right", "zoom in"])],
            ENRICH_1: ["colours"], ENRICH_2: ["35mm lens"], ENRICH_3: ["A small brown dog with soft fur."],
        }
    )
    outcome = start_run("a dog's day at the beach", settings.model_copy(update={"script_review_rounds": 3}), scenes=3,
                        chat_model=model, run_id="notes")
    assert outcome.status == "done" and model.calls(PLAN) == 2
    assert outcome.script.entity("girl").description.startswith("a girl in a yellow dress")
    assert not any("'girl'" in note for note in outcome.notes), outcome.notes


def test_the_viewer_gets_one_sentence_per_scene_its_narration_even_when_silent(settings: Settings, tmp_path: Path) -> None:
    """The event was the subtitle of a silent scene and the contact sheet's caption while the voice read
    the narration: now all three are the narration (the event only for a script written without one)."""
    path = write_script(tmp_path / "s.json", "one line", ["left", "right"])
    script = json.loads(path.read_text())
    script["scenes"][0]["narration"] = "The brown dog races the waves along the sand."
    outcome = start_run("", settings.model_copy(update={"voice": "none"}), script=VideoScript.model_validate(script), run_id="one-line")
    srt = (outcome.run_dir / "video.srt").read_text()
    assert "The brown dog races the waves along the sand." in srt and "one line scene 1" not in srt
    assert "one line scene 2" in srt, "a scene without narration shows its event, as it is read"
