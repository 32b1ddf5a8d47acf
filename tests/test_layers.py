"""The layers point one way: what each package of notifier may import, checked on the source."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "notifier"

# module prefix → notifier modules it must never import (even lazily or for typing).
FORBIDDEN = {
    "notifier.rules": ("notifier.delivery", "notifier.rulefile", "notifier.daemon", "notifier.pipeline"),
    "notifier.stream": ("notifier.rules", "notifier.delivery", "notifier.rulefile", "notifier.account"),
    "notifier.delivery": ("notifier.stream", "notifier.rulefile", "notifier.account", "notifier.daemon"),
    "notifier.account": ("notifier.rules", "notifier.delivery", "notifier.rulefile", "notifier.daemon"),
    "notifier.homeassistant": (
        "notifier.delivery", "notifier.daemon", "notifier.parts", "notifier.account", "notifier.pipeline",
    ),
    # Drawing is pure: a chart is a function of the Alert's Chart value alone.
    "notifier.charts": ("notifier.rules", "notifier.delivery", "notifier.stream", "notifier.rulefile",
                        "notifier.account", "notifier.daemon", "notifier.pipeline"),
}
LEAVES = (
    "notifier.logs", "notifier.durations", "notifier.exitcodes", "notifier.backoff", "notifier.alert", "notifier.times",
)
# The few leaves a leaf may import.
LEAF_IMPORTS = {"notifier.alert": {"notifier.exceptions"}, "notifier.logs": {"notifier.times"}}


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, path))
    return found


def _imports(name: str, path: Path) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level else node.module
            if base:
                imported.add(base)
                imported.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    return {module for module in imported if module.startswith("notifier")}


@pytest.mark.parametrize(("name", "path"), _modules(), ids=[name for name, _ in _modules()])
def test_each_module_imports_only_what_its_layer_may(name: str, path: Path) -> None:
    """The engine never imports delivery or the rule file; the stream nothing above it; leaves nothing."""
    imported = _imports(name, path)
    if name in LEAVES:
        allowed = LEAF_IMPORTS.get(name, set())
        wrong = sorted(m for m in imported if not any(m == a or m.startswith(a + ".") for a in allowed))
        assert not wrong, f"{name} is a leaf but imports {wrong}"
    for prefix, forbidden in FORBIDDEN.items():
        if name == prefix or name.startswith(prefix + "."):
            wrong = sorted(m for m in imported if m.startswith(forbidden))
            assert not wrong, f"{name} must not import {wrong}"


def _runtime_imports(name: str, path: Path, modules: set[str]) -> set[str]:
    """The notifier modules ``name`` imports when it runs: function-level imports in, ``if TYPE_CHECKING:`` out."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for statement in node.body
        for inner in ast.walk(statement)
    }
    imported = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level else node.module
            for alias in node.names:
                # "from . import texts" imports the module texts; "from .model import Rule" the module model.
                imported.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    return {module for module in imported if module in modules and module != name}


def test_no_module_imports_itself_back() -> None:
    """No import cycle between notifier's modules, function-level imports included (TYPE_CHECKING ones are not imports)."""
    paths = dict(_modules())
    graph = {name: _runtime_imports(name, path, set(paths)) for name, path in paths.items()}
    cycles = []
    for start in graph:
        # Depth-first from each module: a path that comes back to it is a cycle.
        stack = [(start, (start,))]
        seen = set()
        while stack:
            name, trail = stack.pop()
            for imported in graph[name]:
                if imported == start:
                    cycles.append(" -> ".join((*trail, start)))
                elif imported not in seen:
                    seen.add(imported)
                    stack.append((imported, (*trail, imported)))
    assert not cycles, "import cycles: " + "; ".join(sorted(cycles))


def test_the_rule_model_does_not_reach_for_discovery() -> None:
    """Discovery works on the rule model; the model never imports it back, not even inside a function."""
    paths = dict(_modules())
    assert "notifier.rules.discovery" not in _runtime_imports("notifier.rules.model", paths["notifier.rules.model"], set(paths))
    assert "notifier.rules.model" in _runtime_imports("notifier.rules.discovery", paths["notifier.rules.discovery"], set(paths))
