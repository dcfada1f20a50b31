"""The run context is data: built from plain JSON (as LangGraph Server passes it), with defaults for
everything; engines and LLM specs declare their capabilities instead of being probed."""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel, ValidationError

from videodrafter.config import Settings
from videodrafter.animatic.engine import AnimaticEngine
from videodrafter.engines.base import Engine
from videodrafter.engines.diffusers_engine import DiffusersEngine
from videodrafter.graph.context import RunContext
from videodrafter.llm.spec import parse_llm_spec
from videodrafter.resources import RESOURCES
from videodrafter.run_resources import RunResources


def test_settings_given_flat_reach_the_context_and_the_environment_fills_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDEODRAFTER_SEED", "77")
    context = RunContext(**{"engine": "tiny", "approve_script": True, "max_scenes": 4})
    assert (context.settings.engine, context.approve_script, context.max_scenes, context.seed) == ("tiny", True, 4, 77)
    assert context.run_dir is None and context.overrides == []
    assert RunContext().settings.engine == Settings().engine, "a run may start with no context at all"


def test_a_bad_context_names_the_key_or_the_setting() -> None:
    with pytest.raises(ValidationError, match="engin"):
        RunContext(**{"engin": "animatic"})
    with pytest.raises(ValidationError, match="max_scenes"):
        RunContext(**{"max_scenes": 0})


def test_a_context_for_resolved_settings_keeps_them_and_round_trips_through_json(tmp_path: Path) -> None:
    settings = Settings(engine="tiny", seed=5, runs_dir=tmp_path)
    context = RunContext.for_run(settings, tmp_path / "run-1", [{"at": "now", "settings": {"llm": "local:gemma3"}}])
    assert (context.engine, context.seed, context.folder) == ("tiny", 5, tmp_path / "run-1")
    again = RunContext.model_validate_json(context.model_dump_json(by_alias=True))
    assert again.run_dir == context.run_dir and again.overrides == context.overrides and again.seed == 5


def test_live_objects_are_one_handle_the_registry_keeps_per_run_and_stay_out_of_the_data(tmp_path: Path) -> None:
    engine = AnimaticEngine()
    context = RunContext(run_dir=tmp_path / "run-1")
    handle = RESOURCES.open_run(context.resources_key, RunResources(context, engine=engine))
    try:
        assert context.resources() is handle and context.resources().engine is engine
        data = context.model_dump_json()  # would fail on a live object
        assert "Animatic" not in data and set(RunContext.model_validate_json(data).model_dump()) == set(context.model_dump())
        assert RunContext(run_dir=tmp_path / "run-2").resources().engine is not engine, "another run builds its own from its settings"
    finally:
        RESOURCES.close_run(context.resources_key, handle)
    assert context.resources() is not handle, "a closed run's handle is gone"
    RESOURCES.close_run(context.resources_key)
    RESOURCES.close_run(RunContext(run_dir=tmp_path / "run-2").resources_key)


def test_the_cancel_event_travels_in_the_config_and_stops_a_node() -> None:
    import threading

    from videodrafter.graph.cancellation import raise_if_cancelled, run_config

    def node(state: _Probe) -> dict:
        raise_if_cancelled()
        return {"folder": "ran"}

    builder = StateGraph(_Probe)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    builder.add_edge("node", END)
    graph = builder.compile()
    event = threading.Event()
    assert graph.invoke({}, run_config("t-1", event))["folder"] == "ran"
    event.set()
    with pytest.raises(KeyboardInterrupt):
        graph.invoke({}, run_config("t-1", event))
    raise_if_cancelled()  # outside a run: nothing to stop


class _Probe(BaseModel):
    folder: str = ""


def test_without_a_run_folder_the_thread_id_names_one_under_runs_dir(tmp_path: Path) -> None:
    def node(state: _Probe, runtime: Runtime[RunContext]) -> dict:
        return {"folder": str(runtime.context.folder)}

    builder = StateGraph(_Probe, context_schema=RunContext)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    builder.add_edge("node", END)
    graph = builder.compile()
    out = graph.invoke({}, {"configurable": {"thread_id": "t-42"}}, context={"runs_dir": str(tmp_path)})
    assert out["folder"] == str(tmp_path / "t-42") and (tmp_path / "t-42").is_dir()
    named = graph.invoke({}, {"configurable": {"thread_id": "t-43"}}, context={"run_dir": str(tmp_path / "mine")})
    assert named["folder"] == str(tmp_path / "mine")


@pytest.mark.parametrize("engine_class", [AnimaticEngine, DiffusersEngine])
def test_engines_declare_their_drawing_capabilities(engine_class: type) -> None:
    for capability in ("draws_clean_backgrounds", "draws_solid_subjects"):
        assert capability in Engine.__annotations__
        assert isinstance(getattr(engine_class, capability), bool), f"{engine_class.__name__} must declare {capability}"
    assert AnimaticEngine.draws_clean_backgrounds and not DiffusersEngine.draws_clean_backgrounds


def test_llm_specs_say_whether_the_model_is_embedded() -> None:
    assert parse_llm_spec("local:smollm2").is_embedded
    assert not parse_llm_spec("openai:gpt-4o").is_embedded
    assert not parse_llm_spec("vllm:glm-4@http://127.0.0.1:8000/v1").is_embedded
    assert Settings(llm="local:gemma3").review_rounds == 1 and Settings(llm="openai:gpt-4o").review_rounds == 3
