"""`notifier --help` and each command's help fit one terminal screen and end with an example."""

from __future__ import annotations

import argparse
import shlex

import pytest

from notifier.cli import build_parser

# A terminal's first screen: what a help text must fit in.
ROWS, COLUMNS = 24, 80


def _parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"notifier": parser, **{f"notifier {name}": sub for name, sub in commands.choices.items()}}


@pytest.mark.parametrize("command", list(_parsers()))
def test_help_fits_a_screen_and_ends_with_an_example(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 80 columns the help is at most 24 lines of at most 80 characters; its last line is an example."""
    monkeypatch.setenv("COLUMNS", str(COLUMNS))  # argparse wraps to the terminal's width
    text = _parsers()[command].format_help()
    lines = text.rstrip("\n").splitlines()
    assert len(lines) <= ROWS, f"{command} --help is {len(lines)} lines:\n{text}"
    wide = [line for line in lines if len(line) > COLUMNS]
    assert not wide, f"{command} --help has lines over {COLUMNS} columns: {wide}"
    assert lines[-2].startswith("example")
    assert lines[-1].startswith("  ") and "notifier " in lines[-1]


@pytest.mark.parametrize("command", list(_parsers()))
def test_the_example_is_a_command_line_notifier_accepts(command: str) -> None:
    """The example's arguments parse (the part after a pipe, for one that reads standard input)."""
    example = _parsers()[command].epilog.splitlines()[-1]
    words = shlex.split(example.rpartition("| ")[2])
    assert words[0] == "notifier"
    args = build_parser().parse_args(words[1:])
    assert callable(args.func)
