import pytest

from videodrafter.config import Settings
from videodrafter.errors import LLMSpecError, LLMUnavailableError
from videodrafter.llm.factory import create_chat_model
from videodrafter.llm.local_chat import LlamaCppChatModel
from videodrafter.llm.spec import parse_llm_spec


@pytest.mark.parametrize(
    ("text", "provider", "model", "url"),
    [
        ("local:smollm2", "local", "smollm2", None),
        ("openai:gpt-4o", "openai", "gpt-4o", None),
        ("vllm:THUDM/glm-4-9b-chat@http://gpu-box:8000/v1/", "vllm", "THUDM/glm-4-9b-chat", "http://gpu-box:8000/v1"),
        ("openai:my-model@https://proxy.example/v1", "openai", "my-model", "https://proxy.example/v1"),
        (" VLLM : chatglm3-6b@http://127.0.0.1:8000/v1 ", "vllm", "chatglm3-6b", "http://127.0.0.1:8000/v1"),
    ],
)
def test_specs_parse(text: str, provider: str, model: str, url: str | None) -> None:
    spec = parse_llm_spec(text)
    assert (spec.provider, spec.model, spec.base_url) == (provider, model, url)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not an LLM spec"),
        ("smollm2", "is not an LLM spec"),
        ("anthropic:claude", "Unknown LLM provider 'anthropic'"),
        ("vllm:glm-4", "needs '@<base_url>'"),
        ("vllm:glm-4@not-a-url", r"not an http\(s\) URL"),
    ],
)
def test_bad_specs_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(LLMSpecError, match=message) as caught:
        parse_llm_spec(text)
    assert caught.value.hint


def test_local_models_resolve_to_shipped_weights() -> None:
    model = create_chat_model("local:smollm2", Settings())
    assert isinstance(model, LlamaCppChatModel)
    assert model.model_path.name.endswith(".gguf") and model.model_path.stat().st_size > 50_000_000


def test_unknown_local_model_and_missing_key_are_clear(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LLMSpecError, match="Unknown embedded model 'llama70b'"):
        create_chat_model("local:llama70b", Settings())
    with pytest.raises(LLMSpecError, match="No GGUF file"):
        create_chat_model(f"local:{tmp_path / 'missing.gguf'}", Settings())
    with pytest.raises(LLMUnavailableError, match="OPENAI_API_KEY is not set"):
        create_chat_model("openai:gpt-4o", Settings())
