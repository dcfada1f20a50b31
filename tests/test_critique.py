import json

from tests.fixtures.models import ScriptedChatModel
from videodrafter.config import Settings
from videodrafter.llm.usage import TokenUsage
from videodrafter.planning.script_critique import critique_script
from videodrafter.planning.draft import ScriptDraft, draft_to_script
from videodrafter.prompts import load_prompt_set


def _example_script():  # type: ignore[no-untyped-def]
    example = load_prompt_set("v1").examples[0]
    count = example.scenes_requested
    return draft_to_script(ScriptDraft.model_validate(example.draft), example.prompt, count, count).script


def test_critique_reads_the_verdict_and_shows_findings_and_script() -> None:
    verdict = {"is_satisfactory": False, "improvement_instructions": "Scene 3 repeats scene 1."}
    model = ScriptedChatModel(replies=["Sure!", json.dumps(verdict)])
    usage = TokenUsage()
    critique = critique_script(_example_script(), ["scene 3 looks like scene 1"], model, Settings(), usage=usage)
    assert critique.is_satisfactory is False
    assert critique.improvement_instructions == "Scene 3 repeats scene 1."
    first_request = model.seen[0][0]
    assert "scene 3 looks like scene 1" in first_request[-1].content
    assert "ginger cat" in first_request[-1].content
    assert "could not be read" in model.seen[1][0][-1].content
    assert usage.calls == 2
