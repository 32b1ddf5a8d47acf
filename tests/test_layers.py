"""The layers point one way: what each package of notifier may import, checked on the source."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "notifier"

# module prefix → notifier modules it must never import (even lazily or for typing).
RUN = ("notifier.run",)
FORBIDDEN = {
    "notifier.rules": ("notifier.delivery", "notifier.rulefile", *RUN),
    "notifier.stream": ("notifier.rules", "notifier.delivery", "notifier.rulefile", "notifier.account", *RUN),
    "notifier.delivery": ("notifier.stream", "notifier.rulefile", "notifier.account", *RUN),
    "notifier.account": ("notifier.rules", "notifier.delivery", "notifier.rulefile", *RUN),
    "notifier.rulefile": RUN,
    "notifier.homeassistant": (
        "notifier.delivery", "notifier.account", "notifier.run.daemon", "notifier.run.parts", "notifier.run.pipeline",
    ),
    # The mute and its commands sit below the run: parts wires them, they never reach up.
    "notifier.control": ("notifier.rulefile", "notifier.homeassistant", "notifier.account", "notifier.stream",
                         "notifier.rules", *RUN),
    # Drawing is pure: a chart is a function of the Alert's Chart value alone.
    "notifier.charts": ("notifier.rules", "notifier.delivery", "notifier.stream", "notifier.rulefile",
                        "notifier.account", *RUN),
}
# The one exception to "nothing below the run imports it": the bridge names the metrics' type.
RUN_ALLOWED = {"notifier.homeassistant.bridge": {"notifier.run.metrics", "notifier.run.metrics.Metrics"}}
# Modules at the top of notifier/: the shared basics and the command line.
MAX_LOOSE_MODULES = 12
MAX_MODULE_LINES = 500
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


def test_nothing_below_the_run_imports_it() -> None:
    """Only commands, the top level and (for typing) the Home Assistant bridge reach into notifier.run."""
    allowed_prefixes = ("notifier.run", "notifier.commands", "notifier.cli")
    wrong = []
    for name, path in _modules():
        if name == "notifier" or name.startswith(allowed_prefixes):
            continue
        run = {m for m in _imports(name, path) if m == "notifier.run" or m.startswith("notifier.run.")}
        run -= RUN_ALLOWED.get(name, set())
        if run:
            wrong.append(f"{name} imports {sorted(run)}")
    assert not wrong, wrong


def _runtime_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The notifier modules ``name`` imports when it runs, function-level imports included, TYPE_CHECKING not."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for statement in node.body
        for inner in ast.walk(statement)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level else node.module
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    found.add(f"{base}.{alias.name}")
                elif base in modules:
                    found.add(base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
    found.discard(name)
    return found


def test_no_import_cycle() -> None:
    """No two modules import each other, directly or round a loop, even from inside a function."""
    modules = dict(_modules())
    graph = {name: _runtime_imports(name, path, modules) for name, path in modules.items()}
    done: set[str] = set()
    for start in graph:
        # Depth-first search with an explicit stack; a grey node met again closes a cycle.
        path, on_path, stack = [], set(), [(start, iter(sorted(graph[start])))]
        if start in done:
            continue
        path.append(start)
        on_path.add(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
            elif child in on_path:
                cycle = path[path.index(child):] + [child]
                raise AssertionError("import cycle: " + " → ".join(cycle))
            elif child not in done:
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)
                on_path.add(child)


def test_no_module_is_over_the_size_limit() -> None:
    """Every module stays readable in one sitting: at most 500 lines."""
    long = {name: n for name, path in _modules() if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"over {MAX_MODULE_LINES} lines: {long}"


def test_the_top_of_the_package_holds_only_the_basics() -> None:
    """At most 12 loose modules at the top of notifier/; the parts of a run live in notifier/run/."""
    loose = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in {"__init__", "__main__"})
    assert len(loose) <= MAX_LOOSE_MODULES, loose


def test_every_package_says_what_lives_there_and_what_it_may_import() -> None:
    """Each package's docstring: one line of what lives there, one that starts 'May import'."""
    wrong = []
    for path in sorted(PACKAGE.rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        lines = [line for line in doc.splitlines() if line.strip()]
        if len(lines) != 2 or not lines[1].startswith("May import"):
            wrong.append(str(path.relative_to(PACKAGE.parent)))
    assert not wrong, wrong
