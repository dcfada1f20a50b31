"""Check that the embedded llama.cpp build can generate on this CPU: ``python -m videodrafter.llm.local_check``.

A llama.cpp built with ``-march=native`` on a CPU with AMX/AVX-512 can die with SIGSEGV on the first
token inside sandboxes that do not enable those units; a crash cannot be caught in-process, so set-up
runs this check in its own process and rebuilds llama.cpp portably when it fails.
"""

from __future__ import annotations

import logging
import sys

from langchain_core.messages import HumanMessage

from videodrafter.config import Settings
from videodrafter.errors import VideoDrafterError
from videodrafter.llm.factory import create_chat_model

log = logging.getLogger(__name__)


def check_embedded_llm(spec: str = "local:smollm2") -> str:
    """Generate a few tokens with the embedded model; returns the text."""
    settings = Settings(llm=spec, llm_max_tokens=16, local_n_ctx=512)
    model = create_chat_model(spec, settings)
    return str(model.invoke([HumanMessage(content="Say hello.")]).content)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    spec = sys.argv[1] if len(sys.argv) > 1 else "local:smollm2"
    try:
        text = check_embedded_llm(spec)
    except VideoDrafterError as error:
        log.error("%s\n%s", error, error.hint)
        return 2
    log.info("embedded LLM %s generates on this CPU: %r", spec, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
