"""Config: flags and environment resolved once."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from notifier.cli import build_parser
from notifier.run.config import Config, default_state_path, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("10m", 600), ("9m50s", 590), ("2h", 7200), ("1d", 86400), ("1.5h", 5400), ("250ms", 0.25)],
)
def test_parse_duration_accepts_units_and_compounds(text: str, seconds: float) -> None:
    """Durations with units, also compound ones such as the crontab's 9m50s, give seconds."""
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "10", "m", "10x", "5m 3s", "0s", "-1m", "s10"])
def test_parse_duration_rejects_with_an_example(text: str) -> None:
    """A bad duration is refused with a message showing valid ones."""
    with pytest.raises(ValueError, match="such as 30s, 10m"):
        parse_duration(text)


def test_state_path_prefers_notifier_state() -> None:
    """NOTIFIER_STATE wins over XDG_STATE_HOME."""
    env = {"NOTIFIER_STATE": "/data/state.db", "XDG_STATE_HOME": "/x", "HOME": "/h"}
    assert default_state_path(env) == Path("/data/state.db")


def test_state_path_follows_xdg_then_home() -> None:
    """Without NOTIFIER_STATE the XDG state folder is used, else ~/.local/state."""
    assert default_state_path({"XDG_STATE_HOME": "/x", "HOME": "/h"}) == Path("/x/notifier/state.db")
    assert default_state_path({"HOME": "/h"}) == Path("/h/.local/state/notifier/state.db")


def test_run_flags_become_one_config() -> None:
    """Every flag of `run` lands in the frozen Config, api_base from NOTIFIER_API_BASE."""
    args = build_parser().parse_args(
        ["run", "rules.yaml", "--state", "/tmp/s.db", "--cookies", "c.json", "--replay", "e.jsonl",
         "--dry-run", "--for", "9m50s", "--log-format", "json", "-vv", "--metrics-port", "9464"]
    )
    config = Config.from_args(args, env={"NOTIFIER_API_BASE": "http://127.0.0.1:1"})
    assert config == Config(
        rules=Path("rules.yaml"), state=Path("/tmp/s.db"), cookies=Path("c.json"),
        replay=Path("e.jsonl"), dry_run=True, duration=590.0, log_format="json", verbose=2,
        metrics_port=9464, api_base="http://127.0.0.1:1",
    )
    with pytest.raises(AttributeError):
        config.dry_run = False  # type: ignore[misc]


def test_run_defaults_state_from_environment() -> None:
    """Without --state the environment decides where state lives."""
    args = build_parser().parse_args(["run", "rules.yaml"])
    config = Config.from_args(args, env={"NOTIFIER_STATE": "/data/state.db"})
    assert config.state == Path("/data/state.db")
    assert config.duration is None and config.metrics_port is None and config.api_base is None


@pytest.mark.parametrize("argv", [["run", "r.yaml", "--for", "soon"], ["run", "r.yaml", "--metrics-port", "70000"]])
def test_bad_flags_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A bad --for or --metrics-port exits 2 with the reason, not a traceback."""
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid duration" in err or "invalid port" in err


def test_from_args_tolerates_record_flags() -> None:
    """`record` has fewer flags; Config fills the rest with defaults."""
    args = argparse.Namespace(rules="r.yaml", duration=60.0, cookies=None, log_format="text", verbose=0)
    config = Config.from_args(args, env={"HOME": "/h"})
    assert config.duration == 60.0 and config.replay is None and not config.dry_run
