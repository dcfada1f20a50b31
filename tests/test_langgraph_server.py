"""The graph under LangGraph Server: the real `langgraph dev` (in-memory server) on loopback,
driven through the official `langgraph-sdk` client as a deployment's users would."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph_sdk import get_sync_client

from tests.fixtures.servers import free_port, server_process
from videodrafter.media.video import probe_video

REPO = Path(__file__).resolve().parents[1]
LANGGRAPH = Path(sys.executable).with_name("langgraph")
"""Installed by `make setup` (the 'server' extra); no skip when it is missing: set-up is then broken."""
STARTUP_S = 90


def _script(title: str) -> dict:
    return {
        "prompt": "a fox crosses a snowy field",
        "title": title,
        "entities": [
            {"id": "fox", "name": "red fox", "kind": "foreground", "description": "a small red fox"},
            {"id": "field", "name": "snowy field", "kind": "background", "description": "a white field under snow"},
        ],
        "scenes": [
            {"event": "the red fox trots across the snowy field", "action": "trots", "foreground": ["fox"],
             "background": "field", "camera": {"direction": "left", "speed": "medium"}, "duration_s": 1.0},
            {"event": "the red fox sits in the snowy field", "action": "sits", "foreground": ["fox"],
             "background": "field", "camera": {"direction": "zoom in", "speed": "slow"}, "duration_s": 1.0},
        ],
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`langgraph dev --config <repo>/langgraph.json` started in a scratch folder; yields (url, default runs folder)."""
    home = tmp_path_factory.mktemp("langgraph-server")
    runs = home / "runs"
    port = free_port()
    keys = ("OPENAI_API_KEY", "VIDEODRAFTER_LLM", "VIDEODRAFTER_VLLM_API_KEY")  # the suite's offline guard, for the server too
    env = {
        **{name: value for name, value in os.environ.items() if name not in keys},
        "VIDEODRAFTER_RUNS_DIR": str(runs),
        "VIDEODRAFTER_VOICE": "none",
        "VIDEODRAFTER_CACHE_DIR": str(home / "cache"),
        "HF_HUB_OFFLINE": "1",
        "LANGSMITH_TRACING": "false",
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "VIDEODRAFTER_SERVER_ROOT": str(tmp_path_factory.getbasetemp()),  # the fixture starts before _offline sets it
    }
    # the project's own langgraph.json, run from another folder (the server keeps its state in the current one)
    command = [str(LANGGRAPH), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1", "--port", str(port),
               "--config", str(REPO / "langgraph.json")]
    url = f"http://127.0.0.1:{port}"
    with server_process(command, f"{url}/ok", home / "server.log", startup_s=STARTUP_S, cwd=home, env=env):
        yield url, runs


def _assistant(client) -> str:
    [assistant] = client.assistants.search(graph_id="videodrafter")
    return assistant["assistant_id"]


def test_the_project_config_serves_the_graph_from_another_folder(server: tuple[str, Path]) -> None:
    home = server[1].parent
    assert home != REPO and not home.is_relative_to(REPO)
    assert (home / ".langgraph_api").is_dir(), "the server's state belongs to the folder it was started in"
    assert [assistant["graph_id"] for assistant in get_sync_client(url=server[0]).assistants.search()] == ["videodrafter"]


def test_the_schemas_endpoint_lists_the_input_and_every_setting_as_context(server: tuple[str, Path]) -> None:
    client = get_sync_client(url=server[0])
    schemas = client.assistants.get_schemas(_assistant(client))
    context = schemas["context_schema"]["properties"]
    assert {"engine", "llm", "approve_script", "runs_dir", "run_dir", "overrides"} <= set(context)
    assert not schemas["context_schema"].get("required"), "a run must start with no context at all"
    assert {"prompt", "script", "scenes"} <= set(schemas["input_schema"]["properties"])


def test_a_run_with_a_script_and_a_json_context_streams_its_stages_and_makes_a_video(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    client = get_sync_client(url=server[0])
    thread = client.threads.create()
    runs = tmp_path / "context-runs"
    stages, updated = [], []
    for part in client.runs.stream(
        thread["thread_id"], _assistant(client), input={"prompt": "a fox crosses a snowy field", "script": _script("fox")},
        context={"engine": "animatic", "runs_dir": str(runs)}, stream_mode=["custom", "updates"],
    ):
        if part.event == "custom":
            stages.append(part.data["stage"])
        elif part.event == "updates":
            updated.extend(part.data)
        assert part.event != "error", part.data
    assert ["references", "scene images", "consistency", "clips", "assemble"] == list(dict.fromkeys(stages))
    assert updated[-1] == "assemble"

    result = client.threads.get_state(thread["thread_id"])["values"]["result"]
    video = Path(result["video"])
    assert video.parent == runs / thread["thread_id"], "the context's runs_dir and the thread id name the run folder"
    info = probe_video(video)
    assert info.frames > 0 and info.duration_s == pytest.approx(2.0, abs=0.3)
    manifest = json.loads(Path(result["manifest"]).read_text())
    assert manifest["engine"]["engine"] == "animatic"
    assert manifest["settings"]["engine"] == "animatic" and "run_dir" not in manifest["settings"], "the settings, not the context"


def test_an_approval_interrupt_is_answered_through_the_api_with_an_edited_script(server: tuple[str, Path]) -> None:
    client = get_sync_client(url=server[0])
    assistant = _assistant(client)
    thread = client.threads.create()
    client.runs.wait(
        thread["thread_id"], assistant, input={"prompt": "a fox crosses a snowy field", "script": _script("draft title")},
        context={"engine": "animatic", "approve_script": True},
    )
    state = client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["approve_script"]
    [question] = [interrupt["value"] for task in state["tasks"] for interrupt in task["interrupts"]]
    assert question["script"]["title"] == "draft title"
    assert state["values"].get("result") is None, "nothing is drawn before the approval"

    edited = _script("approved title")
    edited["scenes"] = edited["scenes"][:1]
    client.runs.wait(
        thread["thread_id"], assistant, command={"resume": {"script": edited}},
        context={"engine": "animatic", "approve_script": True},
    )
    values = client.threads.get_state(thread["thread_id"])["values"]
    assert values["script"]["title"] == "approved title"
    run_dir = server[1] / thread["thread_id"]
    assert json.loads((run_dir / "script.json").read_text())["title"] == "approved title"
    assert probe_video(Path(values["result"]["video"])).duration_s == pytest.approx(1.0, abs=0.3)


def test_a_bad_context_value_fails_the_run_with_a_message_naming_the_setting(server: tuple[str, Path]) -> None:
    client = get_sync_client(url=server[0])
    thread = client.threads.create()
    errors = [
        part.data for part in client.runs.stream(
            thread["thread_id"], _assistant(client), input={"prompt": "a fox", "script": _script("fox")},
            context={"engine": "animatic", "max_scenes": 0},
        )
        if part.event == "error"
    ]
    assert errors and "max_scenes" in json.dumps(errors)
