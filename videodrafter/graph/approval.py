"""The approval node: the reviewed script is saved, and (if asked) waits for a person."""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from videodrafter.graph.context import RunContext
from videodrafter.graph.review import with_descriptions
from videodrafter.graph.state import State
from videodrafter.media.files import write_json_atomic
from videodrafter.script import VideoScript


def approve_script_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """Apply enrichments, save script.json, and (if asked) wait for a person to approve or edit it."""
    context = runtime.context
    assert state.script is not None
    script = with_descriptions(state.script, state.descriptions)
    if context.settings.approve_script and not state.approved:
        answer = interrupt({"question": "Approve this script (or send an edited one)?", "script": script.model_dump(mode="json")})
        if isinstance(answer, dict) and answer.get("script"):
            script = VideoScript.model_validate(answer["script"])
    write_json_atomic(context.folder / "script.json", script.model_dump(mode="json"))
    return {"script": script, "approved": True}
