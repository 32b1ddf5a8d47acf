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
    # The mute and its commands sit below the run: parts wires them, they never reach up.
    "notifier.control": ("notifier.rulefile", "notifier.daemon", "notifier.parts", "notifier.pipeline",
                         "notifier.homeassistant", "notifier.account", "notifier.stream", "notifier.rules"),
    # Drawing is pure: a chart is a function of the Alert's Chart value alone.
    "notifier.charts": ("notifier.rules", "notifier.delivery", "notifier.stream", "notifier.rulefile",
                        "notifier.account", "notifier.daemon", "notifier.pipeline"),
}
LEAVES = (
    "notifier.logs", "notifier.durations", "notifier.exitcodes", "notifier.backoff", "notifier.alert", "notifier.times",
    "notifier.counts", "notifier.untrusted",
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
