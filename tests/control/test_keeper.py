"""The one mute in the state file: written by the command line, adopted by the run, ended by time, kept across restarts."""

from __future__ import annotations

from datetime import UTC

from notifier.control.commands import MuteFor, Unmute
from notifier.control.keeper import MuteKeeper, MuteStore
from notifier.control.mute import FOREVER, Mute

NOW = 1_750_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def test_the_run_adopts_what_the_command_line_wrote_and_hears_when_it_ends(tmp_path):
    """A second connection (notifier mute) writes; poll() adopts it; at its end the listeners hear of it once."""
    clock = Clock()
    heard: list[Mute] = []
    run = MuteKeeper(MuteStore(tmp_path / "state.db"), clock=clock, zone=UTC, listeners=(heard.append,))
    cli = MuteStore(tmp_path / "state.db")
    cli.change(lambda mute: mute.muting(NOW + 600), "the command line")
    run.poll()
    assert heard == [Mute(NOW + 600)]
    run.poll()
    assert len(heard) == 1  # nothing new
    clock.now += 600
    run.poll()
    assert heard[-1] == Mute()
    assert run.describe() == "not muted"


def test_a_mute_survives_a_restart_and_home_assistants_switch_is_the_same_mute(tmp_path):
    """A rule's mute and everything's are read back by the next run; the switch off is unmute, of both."""
    clock = Clock()
    first = MuteKeeper(MuteStore(tmp_path / "state.db"), clock=clock, zone=UTC)
    first.apply(MuteFor(NOW + 86400, "Likes"), "the control topic")
    first.set_everything(True, "Home Assistant")
    second = MuteKeeper(MuteStore(tmp_path / "state.db"), clock=clock, zone=UTC)
    assert second.mute.until == FOREVER
    assert second.mute.ends_for("Likes", NOW) == FOREVER
    assert second.mute.ends_for("Other", NOW) == FOREVER
    assert second.describe() == "muted until unmuted, rule 'Likes' muted until Mon 15:06 UTC"
    second.set_everything(False, "Home Assistant")
    assert second.mute == Mute()
    second.apply(Unmute(), "the command line")
    assert MuteStore(tmp_path / "state.db").read().mute == Mute()


def test_an_unreadable_entry_is_no_mute(tmp_path):
    """A damaged mute entry reads as not muted: notifier never stays silent because of it."""
    assert Mute.from_entry({"until": "soon", "rules": {"x": "y"}}) == Mute()
    assert Mute.from_entry(["nonsense"]) == Mute()
    assert Mute.from_entry(Mute(FOREVER, {"a": NOW}).to_entry()) == Mute(FOREVER, {"a": NOW})
