"""What a newcomer needs in the README and docs: where state lives, how long the tests take, every variable."""

from __future__ import annotations

import re
from pathlib import Path

from notifier.run.config import default_state_path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
RUNNING = (ROOT / "docs" / "running.md").read_text(encoding="utf-8")
# Variables other engineers' work adds, named here so the table is ready for them.
PLANNED = {"NOTIFIER_WEB_BASE"}


def _variables_read() -> set[str]:
    """Every environment variable name the package spells out."""
    found: set[str] = set()
    for path in (ROOT / "notifier").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r"[\"'](NOTIFIER_[A-Z0-9_]+|XDG_[A-Z_]+|TZ|HOME)[\"']", text))
    return found


def _table_variables() -> set[str]:
    section = RUNNING.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_the_env_table_lists_every_variable_notifier_reads() -> None:
    """docs/running.md's table names each variable the source reads (and the planned NOTIFIER_WEB_BASE)."""
    read = _variables_read()
    assert {"NOTIFIER_STATE", "NOTIFIER_API_BASE", "NOTIFIER_WEB_API_BASE", "NOTIFIER_AUTH_TOKEN"} <= read
    missing = (read | PLANNED) - _table_variables()
    assert not missing, f"not in the table of docs/running.md: {sorted(missing)}"


def test_the_readme_links_the_env_table() -> None:
    """The README points at the table, where the variables are found in one place."""
    assert "(docs/running.md#environment-variables)" in README


def test_the_readme_says_where_state_lives_and_how_to_choose_it() -> None:
    """The default state path is the real one, and --state and NOTIFIER_STATE are named, one per account."""
    default = default_state_path({"HOME": "/home/me"})
    shown = "~/" + str(default.relative_to("/home/me"))
    assert f"`{shown}`" in README
    assert "--state" in README and "NOTIFIER_STATE" in README
    assert "One state belongs to one account" in README


def test_the_readme_says_how_long_the_tests_take() -> None:
    """Right after the test command the README says how long the suite runs."""
    after = README.split("python -m pytest -q", 1)[1].split("## ", 1)[0]
    assert re.search(r"takes\s+about\s+\w+\s+minutes", after), after
