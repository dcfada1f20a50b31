"""Stage: each scene's line spoken into a file named by its inputs' hash.

Its own node (between the clips and the assembly) so that a run killed while speaking resumes
here, and the progress shows it. The assembly finds the same files by the same keys.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from videodrafter.audio.speech_files import speak_scenes
from videodrafter.graph.cancellation import raise_if_cancelled
from videodrafter.graph.context import RunContext
from videodrafter.graph.progress import emit, timed
from videodrafter.graph.state import State


def narration_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """Speak every scene's narration not yet on disk; a speech engine that fails leaves a note, not a failed run."""
    context = runtime.context
    script = state.script
    assert script is not None
    seconds: dict[str, float] = {}

    def progress(index: int, total: int) -> None:
        raise_if_cancelled()
        emit("narration", f"scene {index + 1}", index, total)

    with timed("narration", seconds):
        _, notes, made = speak_scenes(script, context.settings.voice, context.folder, on_scene=progress)
    if made:
        emit("narration", f"{made} line(s) spoken", len(script.scenes), len(script.scenes))
    return {"seconds": seconds, "notes": notes}
