"""The run's LangGraph checkpoints: one SQLite file per run folder, and the types allowed back out.

LangGraph refuses to rebuild a type from a checkpoint unless it is listed: every pydantic model that
the graph's state holds at its top level (directly, or in a list or dict) belongs in
``CHECKPOINT_TYPES``. When such a type moves or is renamed, old runs still name the old place:
add the old place to ``MOVED_TYPES``. LangGraph then hands the old value back as its fields (it
cannot import the old place), and the graph's pydantic state validates them into the new type; an
unlisted old place would do the same but log "Blocked deserialization" on every resume.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver

from videodrafter.errors import InputError

CHECKPOINTS = "checkpoints.sqlite"

CHECKPOINT_TYPES = [
    ("videodrafter.script", name)
    for name in ("EntityKind", "CameraDirection", "CameraSpeed", "CameraMove", "ShotKind", "Entity", "Scene", "VideoScript")
] + [
    ("videodrafter.graph.artifacts", name) for name in ("ReferenceArtifact", "SceneCandidate", "ClipArtifact", "VideoResult", "PromptRevision")
] + [
    ("videodrafter.planning.script_critique", "Critique"),
    ("videodrafter.llm.usage", "TokenUsage"),
    ("videodrafter.engines.base", "SceneLayout"),
    ("videodrafter.engines.base", "Box"),
    ("videodrafter.media.video", "VideoInfo"),
    ("videodrafter.graph.state", "EnrichTask"),
    ("videodrafter.graph.state", "ScriptApproval"),
    ("videodrafter.graph.state", "InputState"),  # the first checkpoint holds the graph's input as is
    ("videodrafter.graph.state", "ReviewInput"),  # and the review subgraph's first one its input
]
"""Our own types, allowed back out of checkpoints (LangGraph refuses unknown types)."""

MOVED_TYPES = [
    ("videodrafter.planning.critique", "Critique"),  # now planning.script_critique
]
"""Places where checkpoints of older versions find types that have moved since."""


@contextmanager
def checkpointer(run_dir: Path) -> Iterator[SqliteSaver]:
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    path = run_dir / CHECKPOINTS
    connection = sqlite3.connect(path, check_same_thread=False, timeout=30)
    try:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            damage = connection.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            damage = str(error)
        if damage != "ok":
            raise InputError(
                f"The run's saved progress {path} is damaged ({damage}).",
                f"Move it aside (`mv {path} {path}.damaged`) and resume again: the run starts over from its "
                "request and script.json, and every finished picture and clip is found again by its content key.",
            )
        yield SqliteSaver(connection, serde=JsonPlusSerializer(allowed_msgpack_modules=CHECKPOINT_TYPES + MOVED_TYPES))
    finally:
        connection.close()
