"""Moved to tests/fixtures/scripts.py; this re-export goes once no test imports it from here."""

from tests.fixtures.scripts import (  # noqa: F401
    beach_dog_script,
    dog_and_girl_script,
    write_items,
    write_script,
)
