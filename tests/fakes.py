"""Moved to tests/fixtures/models.py; this re-export goes once no test imports it from here."""

from tests.fixtures.models import RoutedChatModel, ScriptedChatModel  # noqa: F401
