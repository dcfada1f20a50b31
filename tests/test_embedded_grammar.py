"""The scene grammar the embedded planner sends is one llama.cpp can read, whatever the cast's names,
and a format it cannot read is a clear error instead of a crash of the whole process (real SmolLM2:
a Python-escaped space in a pattern made llama.cpp's grammar sampler NULL, and the run ended in a
segmentation fault with no status recorded)."""

from __future__ import annotations

import pytest

from videodrafter.errors import LLMUnavailableError
from videodrafter.llm.local_chat import _load_llama, check_grammar
from videodrafter.llm.local_models import resolve_local_model
from videodrafter.planning.constrained_planner import camera_choices, scenes_schema, story_beats

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    path = resolve_local_model("smollm2", tmp_path_factory.mktemp("models")).path
    return _load_llama(path, 2048, None, 1)[0]


def test_the_scene_grammar_reads_for_names_with_spaces_capitals_and_marks(llama) -> None:
    names = ["red fox", "Luna", "Mr. Toad (the elder)", "jack-o'-lantern"]
    beats = story_beats(4)
    schema = scenes_schema(names, ["snowy forest"], beats, camera_choices(4, free=False), names[:2])
    check_grammar(llama, {"type": "json_object", "schema": schema})  # raises if llama.cpp cannot parse it
    pattern = schema["properties"]["scenes"]["prefixItems"][1]["properties"]["event"]["pattern"]
    assert "the red fox|Luna|Mr[.] Toad [(]the elder[)]|the jack-o'-lantern" in pattern


def test_a_format_llama_cpp_cannot_read_is_an_error_not_a_crash(llama) -> None:
    broken = {"type": "object", "properties": {"event": {"type": "string", "pattern": "^(the\\ dog) [a-z]{3,9}$"}}, "required": ["event"]}
    with pytest.raises(LLMUnavailableError, match="cannot follow the answer format"):
        check_grammar(llama, {"type": "json_object", "schema": broken})
