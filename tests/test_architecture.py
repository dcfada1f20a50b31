"""The house's rules, measured on its code: layers without upward imports or cycles, small rooms,
short functions, and one place that checks the engine setting (see ARCHITECTURE.md)."""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "videodrafter"

LAYERS: list[tuple[str, ...]] = [
    # 0. foundation: errors, text, records, settings, files, prompts, the process registry
    ("errors", "text", "colours", "resources", "prompts", "media", "script", "config", "advisory", "text_embedding",
     "llm.spec", "llm.usage", "audio.spec"),
    # 1. models and engines' common ground
    ("llm", "audio", "engines.base", "engines.camera", "engines.latent_camera", "engines.composition", "engines.segmentation",
     "engines.random_weights"),
    # 2. what the tools run on, planning and the consistency wing
    ("planning", "animatic", "engines", "consistency"),
    # 3. the run's live objects and inputs
    ("engines.registry", "run_resources", "run_inputs"),
    # 4. typed tools
    ("tools",),
    # 5. the graph
    ("graph",),
    # 6. front ends
    ("agent", "evals", "web", "display", "cli_progress"),
    # 7. the command line
    ("cli", "__main__"),
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    """The layer of the longest prefix that names the module (``engines.registry`` before ``engines``)."""
    best, found = -1, None
    for level, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), level
    assert found is not None, f"videodrafter.{module} is in no layer: add it to LAYERS and ARCHITECTURE.md"
    return found


def _imports() -> dict[str, set[str]]:
    """Every module's imports of videodrafter modules, at any depth of its code (lazy imports count)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                if name.startswith("videodrafter.") and (PACKAGE.parent / (name.replace(".", "/") + ".py")).exists() or (
                    name.startswith("videodrafter.") and (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()
                ):
                    target = name.removeprefix("videodrafter.")
                    if target != module:
                        graph[module].add(target)
            graph.setdefault(module, set())
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_no_module_imports_a_higher_layer() -> None:
    upward = sorted(
        f"{module} (layer {_layer(module)}) imports {target} (layer {_layer(target)})"
        for module, targets in _imports().items() for target in targets
        if _layer(target) > _layer(module) and not module.startswith(target + ".")
    )
    assert not upward, "imports against the layers (see ARCHITECTURE.md):\n" + "\n".join(upward)


def test_the_import_graph_has_no_cycle() -> None:
    graph = {module: {t for t in targets if not module.startswith(t + ".") and not t.startswith(module + ".")} for module, targets in _imports().items()}
    assert not _cycles(graph), f"import cycles: {_cycles(graph)}"


def test_the_guards_see_an_upward_import_and_a_cycle() -> None:
    assert _layer("graph.stages.clips") == 5 and _layer("engines.registry") == 3 and _layer("engines.diffusers_engine") == 2
    assert _cycles({"a": {"b"}, "b": {"a"}}) and not _cycles({"a": {"b"}, "b": set()})


def test_graph_rooms_stay_small_and_functions_short() -> None:
    big_rooms = [f"{p.relative_to(PACKAGE)}: {n}" for p in (PACKAGE / "graph").rglob("*.py") if (n := len(p.read_text().splitlines())) > 300]
    assert not big_rooms, f"files in graph/ over 300 lines: {big_rooms}"
    long_functions = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > 60:
                long_functions.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)")
    assert not long_functions, "functions over 60 lines:\n" + "\n".join(sorted(long_functions))


def test_the_engine_setting_is_checked_in_one_place() -> None:
    checkers = sorted(
        _module_name(path) for path in PACKAGE.rglob("*.py")
        if "engine_names()" in path.read_text() and _module_name(path) != "engines.registry"
    )
    assert checkers == ["run_inputs"], f"the engine setting is checked in: {checkers}"


@pytest.mark.parametrize("module", sorted(_module_name(path) for path in PACKAGE.rglob("*.py") if path.name != "__main__.py"))
def test_every_module_imports(module: str) -> None:
    importlib.import_module(f"videodrafter.{module}" if module else "videodrafter")


def test_every_field_of_the_manifest_says_what_it_holds() -> None:
    from pydantic import BaseModel

    from videodrafter.graph import manifest

    records = [value for value in vars(manifest).values() if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == manifest.__name__]
    assert manifest.Manifest in records and len(records) >= 5
    undocumented = [f"{record.__name__}.{name}" for record in records for name, field in record.model_fields.items() if not field.description]
    assert not undocumented, f"manifest fields without a description: {undocumented}"
