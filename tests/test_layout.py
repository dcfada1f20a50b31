"""The test suite's own layout: shared helpers live in tests/fixtures/, no test module imports another."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or "tests"  # 'from . import test_x' inside tests/
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _test_module_imports(path: Path) -> list[str]:
    """The test modules (tests.test_* or test_*) that ``path`` imports, at any depth of its code."""
    return sorted(
        name for name in _imported_modules(path)
        if name.split(".")[0].startswith("test_") or (name.startswith("tests.") and name.split(".")[1].startswith("test_"))
    )


def test_no_test_module_imports_another_test_module() -> None:
    modules = [*TESTS.glob("test_*.py"), *(TESTS / "fixtures").glob("*.py")]
    offenders = {path.name: found for path in sorted(modules) if (found := _test_module_imports(path))}
    assert not offenders, f"test modules import other test modules; move what they share to tests/fixtures/: {offenders}"


def test_the_guard_sees_an_import_of_a_test_module(tmp_path: Path) -> None:
    module = tmp_path / "test_example.py"
    module.write_text("import json\n\ndef test_x():\n    from tests.test_graph import helper\n")
    assert _test_module_imports(module) == ["tests.test_graph", "tests.test_graph.helper"]
    module.write_text("from tests.fixtures.models import RoutedChatModel\nimport test_cli\n")
    assert _test_module_imports(module) == ["test_cli"]
    module.write_text("from . import test_chat\n")
    assert _test_module_imports(module) == ["tests.test_chat"]
