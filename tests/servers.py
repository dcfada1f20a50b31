"""Moved to tests/fixtures/servers.py; this re-export goes once no test imports it from here."""

from tests.fixtures.servers import (  # noqa: F401
    canned_server,
    chat_completion_body,
    free_port,
    llama_cpp_server,
    reply_with,
)
