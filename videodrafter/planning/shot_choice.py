"""Which scenes carry straight on from the shot before them, for planners whose answer cannot say so.

The JSON planner asks the LLM for each scene's ``shot``. The embedded grammar-constrained planner and
the line format have no such field, so the choice is made here from the script itself: a scene
continues the one before when it is in the same place with the same cast (``can_continue``) and its
event does not jump in time ('Later, …', 'The next morning, …'). A chain is capped, because every
continued clip starts from the last frame of the one before and small drifts add up.
"""

from __future__ import annotations

import re

from videodrafter.script import ShotKind, VideoScript, can_continue

TIME_JUMP = re.compile(
    r"\b(later|afterwards?|eventually|meanwhile|soon|finally|at last|in the end|one day|once upon|"
    r"next (?:day|morning|evening|night|week|year)|the following|tomorrow|yesterday|"
    r"(?:that|the) (?:night|evening|morning|afternoon)|hours?|days?|weeks?|months?|years?|seasons?)\b",
    re.IGNORECASE,
)
"""Words that put time between two scenes: the story cuts, even in the same place with the same cast."""

MAX_SHOTS_IN_A_CHAIN = 3
"""A cut, then at most two continued shots: a longer chain drifts (each clip starts from the last frame)."""


def jumps_in_time(event: str) -> bool:
    """Whether an event opens or tells of time passing since the scene before."""
    return TIME_JUMP.search(event) is not None


def choose_continued_shots(script: VideoScript) -> tuple[VideoScript, list[str]]:
    """(the script with ``continue`` where a scene carries straight on, a note per choice).

    Only cuts become continues; a scene already marked ``continue`` is left as it is."""
    scenes = list(script.scenes)
    notes: list[str] = []
    chain = 1
    for index, scene in enumerate(scenes):
        probe = script.model_copy(update={"scenes": scenes})
        carries_on = (
            not scene.continues
            and chain < MAX_SHOTS_IN_A_CHAIN
            and can_continue(probe, index)
            and not jumps_in_time(scene.event)
        )
        if carries_on:
            scenes[index] = scene.model_copy(update={"shot": ShotKind.CONTINUE})
            notes.append(
                f"scene {index + 1} carries straight on from scene {index} (same place and cast, no time jump): "
                f"its clip starts where scene {index}'s clip ends"
            )
        chain = chain + 1 if scenes[index].continues else 1
    return script.model_copy(update={"scenes": scenes}), notes
