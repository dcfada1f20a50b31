"""The approval step: the reviewed script is saved as ``script.json`` and, when asked, waits for a
person, who may edit that file (or send an edited script) before approving it.

The draft is written *before* the pause, so the file a user is told to review exists; a resume
reads it back (``approval_answer``) and an edit becomes the approved script. What was approved,
from where and what changed is kept in the state and the manifest (``ScriptApproval``).
"""

from __future__ import annotations

from pathlib import Path

from langgraph.runtime import Runtime
from langgraph.types import interrupt
from pydantic import ValidationError

from videodrafter.errors import InputError
from videodrafter.graph.context import RunContext
from videodrafter.graph.review import with_descriptions
from videodrafter.graph.state import ScriptApproval, State
from videodrafter.media.files import write_json_atomic
from videodrafter.run_inputs import check_photos, load_script_file
from videodrafter.script import VideoScript

SCRIPT = "script.json"


def approve_script_node(state: State, runtime: Runtime[RunContext]) -> dict:
    """Apply enrichments, save script.json, and (if asked) wait for a person to approve or edit it."""
    context = runtime.context
    assert state.script is not None
    script = with_descriptions(state.script, state.descriptions)
    update: dict = {}
    if context.settings.approve_script and not state.approved:
        path = context.folder / SCRIPT
        if not path.exists():  # the draft to review; kept as the user left it when the node runs again on resume
            write_json_atomic(path, script.model_dump(mode="json"))
        answer = interrupt({"question": "Approve this script (or send an edited one)?", "script": script.model_dump(mode="json")})
        draft = script
        if isinstance(answer, dict) and answer.get("script"):
            script = VideoScript.model_validate(answer["script"])
        source = str(answer.get("source") or ("api" if answer.get("script") else "draft")) if isinstance(answer, dict) else "draft"
        changes = script_changes(draft, script)
        update["approval"] = ScriptApproval(edited=bool(changes), source=source, changes=changes)
        if changes:
            update["notes"] = [f"the script was edited before approval ({source}): {'; '.join(changes[:6])}" + (" …" if len(changes) > 6 else "")]
    write_json_atomic(context.folder / SCRIPT, script.model_dump(mode="json"))
    return {"script": script, "approved": True, **update}


def script_changes(before: VideoScript, after: VideoScript) -> list[str]:
    """What changed from one script to the other, one line per field ('scene 2 event', 'entity dog description')."""
    changes = [f"{name}" for name in ("title", "prompt") if getattr(before, name) != getattr(after, name)]
    if len(before.scenes) != len(after.scenes):
        changes.append(f"{len(before.scenes)} → {len(after.scenes)} scenes")
    for number, (old, new) in enumerate(zip(before.scenes, after.scenes, strict=False), start=1):
        old_fields, new_fields = old.model_dump(mode="json"), new.model_dump(mode="json")
        changes += [f"scene {number} {field}" for field in new_fields if old_fields.get(field) != new_fields[field]]
    old_entities = {entity.id: entity.model_dump(mode="json") for entity in before.entities}
    for entity in after.entities:
        old = old_entities.get(entity.id)
        if old is None:
            changes.append(f"entity {entity.id} added")
            continue
        changes += [f"entity {entity.id} {field}" for field, value in entity.model_dump(mode="json").items() if old.get(field) != value]
    changes += [f"entity {gone} removed" for gone in old_entities.keys() - {entity.id for entity in after.entities}]
    return changes


def approval_answer(run_dir: Path, draft: VideoScript, script_file: Path | None = None) -> dict:
    """The answer that approves a paused run: the script in ``script_file`` when given, else
    ``script.json`` if the user edited it, else the draft. A bad edit is an InputError (the run stays paused)."""
    if script_file is not None:
        edited, source = load_script_file(script_file), str(script_file)
    else:
        path = run_dir / SCRIPT
        if not path.is_file():
            return {"approved": True, "source": "draft"}
        try:
            edited = VideoScript.model_validate_json(path.read_text(encoding="utf-8"))
        except (ValidationError, ValueError, UnicodeDecodeError) as error:
            where = ""
            if isinstance(error, ValidationError):
                first = error.errors()[0]
                where = f" ({'.'.join(str(part) for part in first['loc'])}: {first['msg']})"
            raise InputError(
                f"The edited script {path} is not a valid script{where}.",
                "Fix the file (or delete it to approve the draft) and approve again; the run stays paused.",
            ) from error
        if edited == draft:
            return {"approved": True, "source": "draft"}
        edited, source = load_script_file(path), SCRIPT  # relative photo paths from the run folder
    check_photos(edited)
    return {"approved": True, "script": edited.model_dump(mode="json"), "source": source}
