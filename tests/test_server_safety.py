"""A LangGraph Server client chooses its run's settings, not where the server writes, which files it
reads, nor which servers it calls: a context's folders stay under the operator's root
(VIDEODRAFTER_SERVER_ROOT) and its models, critic and voice are the environment's own, offline
built-ins or on the operator's list (VIDEODRAFTER_SERVER_ALLOW). A driven run is the user's own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.scripts import write_script
from tests.fixtures.settings import SMALL_VIDEO
from videodrafter.config import Settings
from videodrafter.graph.context import RunContext
from videodrafter.run_inputs import ServerPolicyError


@pytest.fixture
def server_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The server's folder (its current one); runs go to ./runs, the default root."""
    for name in ("VIDEODRAFTER_RUNS_DIR", "VIDEODRAFTER_SERVER_ROOT", "VIDEODRAFTER_SERVER_ALLOW", "VIDEODRAFTER_CRITIC"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "server"
    (home / "runs").mkdir(parents=True)
    monkeypatch.chdir(home)
    return home


@pytest.mark.parametrize(
    ("context", "named"),
    [
        ({"runs_dir": "../x"}, "VIDEODRAFTER_SERVER_ROOT"),
        ({"runs_dir": "runs/../../x"}, "VIDEODRAFTER_SERVER_ROOT"),
        ({"runs_dir": "/tmp"}, "VIDEODRAFTER_SERVER_ROOT"),
        ({"run_dir": "/etc/videodrafter-run"}, "VIDEODRAFTER_SERVER_ROOT"),
        ({"run_dir": "runs/escape"}, "VIDEODRAFTER_SERVER_ROOT"),  # a link inside the root to a folder outside it
        ({"llm": "local:/etc/passwd"}, "VIDEODRAFTER_SERVER_ALLOW"),
        ({"llm": "vllm:m@http://127.0.0.1:9/v1"}, "VIDEODRAFTER_SERVER_ALLOW"),
        ({"llm": "openai:gpt-4o"}, "VIDEODRAFTER_SERVER_ALLOW"),
        ({"critic": "vllm:vl@http://169.254.169.254/v1"}, "VIDEODRAFTER_SERVER_ALLOW"),
        ({"voice": "openai-compatible:kokoro@http://10.0.0.1:8880/v1"}, "VIDEODRAFTER_SERVER_ALLOW"),
        ({"image_embedder": "clip:/home"}, "VIDEODRAFTER_SERVER_ALLOW"),
        ({"cache_dir": "/tmp/elsewhere"}, "VIDEODRAFTER_CACHE_DIR"),
        ({"segmentation_model": "/etc/passwd"}, "VIDEODRAFTER_SEGMENTATION_MODEL"),
        ({"prompt_set": "../../../tmp"}, "a prompt set's name"),
    ],
)
def test_a_client_context_reaching_outside_the_operators_choices_is_refused_naming_the_setting(
    server_home: Path, tmp_path: Path, context: dict, named: str
) -> None:
    (tmp_path / "outside").mkdir()
    (server_home / "runs" / "escape").symlink_to(tmp_path / "outside")
    with pytest.raises(ServerPolicyError) as refused:
        RunContext(**context).folder  # folders are checked where the run folder is first named, off the server's event loop
    assert named in str(refused.value) and isinstance(refused.value, ValueError), "the server shows a ValueError's message"
    assert not (tmp_path / "x").exists() and not any((tmp_path / "outside").iterdir())


def test_what_the_operator_allows_passes(server_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    allowed = RunContext(runs_dir="runs/team-a", run_dir=str(server_home / "runs" / "team-a" / "one"), llm="local:gemma3", voice="espeak:en-gb")
    assert allowed.folder == server_home / "runs" / "team-a" / "one" and allowed.llm == "local:gemma3"
    assert RunContext(voice="none", image_embedder="clip:tiny").voice == "none"

    monkeypatch.setenv("VIDEODRAFTER_SERVER_ALLOW", "openai:gpt-4o, http://127.0.0.1:8000/v1/, local:/models/m.gguf")
    monkeypatch.setenv("VIDEODRAFTER_SERVER_ROOT", str(server_home / "shared"))
    context = RunContext(
        llm="vllm:any-model@http://127.0.0.1:8000/v1", critic="openai:gpt-4o",
        voice="openai-compatible:kokoro@http://127.0.0.1:8000/v1", runs_dir=str(server_home / "shared" / "runs"),
    )
    assert context.critic == "openai:gpt-4o"
    assert RunContext(llm="local:/models/m.gguf", runs_dir="shared").llm == "local:/models/m.gguf"
    with pytest.raises(ServerPolicyError, match="VIDEODRAFTER_SERVER_ALLOW"):
        RunContext(llm="vllm:m@http://127.0.0.1:8001/v1", runs_dir="shared")  # another port is another server
    with pytest.raises(ServerPolicyError, match="VIDEODRAFTER_SERVER_ROOT"):
        RunContext(runs_dir="runs/team-a").folder  # outside the root the operator set
    assert RunContext(run_dir=str(server_home / "shared" / "r")).folder == server_home / "shared" / "r"
    assert RunContext().runs_dir == Path("runs"), "the environment's own runs_dir is the operator's choice"


def test_the_environments_own_choices_pass_and_the_policy_is_not_part_of_the_context(server_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDEODRAFTER_LLM", "vllm:team@http://127.0.0.1:8000/v1")
    monkeypatch.setenv("VIDEODRAFTER_RUNS_DIR", str(server_home / "data"))
    assert RunContext(llm="vllm:team@http://127.0.0.1:8000/v1", runs_dir="data/a").llm.startswith("vllm:team")
    for key in ("server_root", "server_allow", "root", "allow"):
        with pytest.raises(ValueError, match="Extra inputs are not permitted"):
            RunContext(**{key: "/"})
    assert not {"server_root", "server_allow", "root", "allow"} & set(RunContext.model_json_schema()["properties"])


def test_a_driven_run_chooses_freely(server_home: Path, tmp_path: Path) -> None:
    settings = Settings(runs_dir=tmp_path / "anywhere", llm="local:/models/mine.gguf", critic="vllm:vl@http://127.0.0.1:9/v1")
    context = RunContext.for_run(settings, tmp_path / "anywhere" / "run-1")
    assert context.folder == tmp_path / "anywhere" / "run-1" and context.llm == "local:/models/mine.gguf"


def test_the_graph_refuses_a_client_context_before_writing_anything_and_runs_an_allowed_one(server_home: Path, tmp_path: Path) -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    from videodrafter.graph.graph import build_graph

    graph = build_graph(checkpointer=InMemorySaver())
    script = json.loads(write_script(tmp_path / "s.json", "served", ["left"]).read_text())
    run_input = {"prompt": script["prompt"], "script": script}
    with pytest.raises(ServerPolicyError, match="VIDEODRAFTER_SERVER_ROOT"):
        graph.invoke(run_input, {"configurable": {"thread_id": "t-out"}}, context={"runs_dir": str(tmp_path / "elsewhere")})
    assert not (tmp_path / "elsewhere").exists()

    # an allowed one runs (to the approval pause: its draft script is written where the client asked)
    graph.invoke(run_input, {"configurable": {"thread_id": "t-in"}}, context={"runs_dir": "runs/team", "approve_script": True, **SMALL_VIDEO})
    assert (server_home / "runs" / "team" / "t-in" / "script.json").is_file()
