"""Start-up cost: what `notifier` imports before it does anything, and the lazy package exports."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Libraries that cost a noticeable share of a second to import, and what needs them.
HEAVY = (
    "apprise", "httpx", "yaml", "msgspec", "prometheus_client", "sqlite3", "asyncio", "aiomqtt", "paho", "PIL",
)


def loaded_in_child(code: str) -> dict[str, list[str]]:
    """Run ``code`` in a fresh interpreter (from the repository root); report what it imported."""
    report = (
        "\nimport json, sys\n"
        "print(json.dumps({'heavy': sorted({m.split('.')[0] for m in sys.modules} & set(%r)),"
        " 'notifier': sorted(m for m in sys.modules if m.split('.')[0] == 'notifier')}), file=sys.stderr)\n"
    ) % (HEAVY,)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTIFIER_")}
    env["TZ"] = "UTC"
    done = subprocess.run(
        [sys.executable, "-c", code + report], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_importing_the_cli_imports_nothing_heavy():
    """`import notifier.cli` loads none of Apprise, httpx, YAML, msgspec, Prometheus, SQLite, asyncio, Pillow."""
    assert loaded_in_child("import notifier.cli")["heavy"] == []


def test_help_imports_nothing_heavy():
    """`notifier --help` builds every command's parser without importing what the commands run."""
    code = (
        "import contextlib, io\nfrom notifier.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "assert 'replay' in out.getvalue()\n"
    )
    assert loaded_in_child(code)["heavy"] == []


@pytest.mark.parametrize(
    ("args", "absent"),
    [
        pytest.param(["check", "rules.example.yaml"], {"apprise", "httpx", "PIL"}, id="check"),
        pytest.param(
            ["replay", "rules.example.yaml", "examples/launch-day.jsonl"], {"apprise", "httpx", "PIL"}, id="replay",
        ),
        # The daemon itself holds the stream client, so httpx comes with it.
        pytest.param(
            ["run", "rules.example.yaml", "--replay", "examples/launch-day.jsonl", "--dry-run"], {"apprise", "PIL"},
            id="dry-run",
        ),
    ],
)
def test_console_only_rule_file_never_imports_apprise(args, absent):
    """check, replay and a dry run of a rule file whose targets are all console:// never load Apprise."""
    code = (
        "import contextlib, io\nfrom notifier.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()) as out:\n    code = main({args!r})\n"
        "assert code == 0 and out.getvalue(), code\n"
    )
    assert absent.isdisjoint(loaded_in_child(code)["heavy"])


def test_console_targets_are_checked_and_masked_without_apprise():
    """build_targets accepts console:// and console://NAME, masked as console://, without importing Apprise."""
    code = (
        "from notifier.delivery import build_targets, check_url, mask_url\n"
        "targets = build_targets({'screen': 'console://', 'phone': 'console://phone'})\n"
        "assert [t.masked for t in targets] == ['console://', 'console://']\n"
        "assert check_url('CONSOLE://Phone') is None and mask_url('console://phone') == 'console://'\n"
    )
    assert "apprise" not in loaded_in_child(code)["heavy"]


def test_logs_is_a_leaf():
    """notifier.logs imports no other module of the package but notifier.times, itself a leaf."""
    assert loaded_in_child("import notifier.logs")["notifier"] == ["notifier", "notifier.logs", "notifier.times"]


@pytest.mark.parametrize("package", ["notifier", "notifier.stream", "notifier.delivery"])
def test_lazy_exports_resolve_every_public_name(package):
    """Every name in a package's __all__ is importable from it, and nothing else is offered."""
    module = importlib.import_module(package)
    assert sorted(module._EXPORTS) == sorted(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is getattr(importlib.import_module(module._EXPORTS[name]), name)
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError, match="no_such_name"):
        module.no_such_name  # noqa: B018


def test_star_import_gives_the_curated_names():
    """`from notifier import *` binds exactly the curated __all__."""
    namespace: dict[str, object] = {}
    exec("from notifier import *", namespace)
    import notifier

    assert sorted(set(namespace) - {"__builtins__"}) == sorted(notifier.__all__)
