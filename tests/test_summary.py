"""The summary at the end of a replay or a dry run: alerts by rule, what policies held back."""

from __future__ import annotations

from notifier.alert import Alert
from notifier.run.summary import Held, Summary, rule_counts


def alert(rule: str, *, rules: tuple[str, ...] = ()) -> Alert:
    return Alert(rule=rule, topic="/t", key="1", title="t", message="m", targets=("team",), ts=0.0, rules=rules)


def test_rules_are_counted_most_first_then_in_the_order_they_first_fired() -> None:
    """Ties keep the order of first firing; a catch-up alert counts once, and once for each rule it folds."""
    fired = [alert("B"), alert("A"), alert("C"), alert("A"), alert("Catch-up", rules=("B", "C"))]
    summary = Summary.of(1200, len(fired), rule_counts(fired))
    assert summary.headline() == "1,200 events, 5 alerts"
    assert summary.details() == ["  2  B", "  2  A", "  2  C"]


def test_held_alerts_are_told_per_target_with_their_digests() -> None:
    """One line per target and reason; the digests only when there were any; counts agree in number."""
    held = [Held("phone", "quiet", 1), Held("inbox", "budget", 12, 2)]
    summary = Summary.of(1, 13, {"Likes": 13}, held)
    assert summary.details() == [
        "  13  Likes",
        "  phone: 1 alert held by quiet hours",
        "  inbox: 12 alerts held by its budget, sent as 2 digests",
    ]
