"""The delivery plan: quiet hours, then digest, then budget, as a pure function of its inputs."""

from __future__ import annotations

from datetime import datetime, timezone

from notifier.delivery.plan import MUTE_RECHECK, Due, Hold, Plan, plan
from notifier.delivery.policy import TargetPolicy, parse_budget, parse_quiet


def utc(*fields: int) -> float:
    return datetime(*fields, tzinfo=timezone.utc).timestamp()


NIGHT = utc(2024, 6, 1, 23, 0)
MORNING = utc(2024, 6, 2, 7, 0)
DAY = utc(2024, 6, 2, 12, 0)
STRICT = TargetPolicy(quiet=parse_quiet("22:00-07:00"), tz="UTC", budget=parse_budget("2/h"))


def test_the_default_policy_sends_everything_at_once():
    """No quiet hours, no budget: every due alert goes as itself, however many were sent."""
    assert plan(TargetPolicy(), [Due(), Due()], [1.0] * 1000, 2.0) == Plan(send=(0, 1))


def test_quiet_hours_come_first_and_urgent_alerts_skip_them():
    """At night the alerts that are not urgent wait for the morning; an urgent one goes."""
    decided = plan(STRICT, [Due(), Due(urgent=True), Due()], [], NIGHT)
    assert decided == Plan(send=(1,), holds=(Hold(MORNING, "quiet", (0, 2)),))
    assert plan(STRICT, [Due()], [], NIGHT).held


def test_the_budget_binds_urgent_alerts_too():
    """A used-up budget holds an urgent alert at night until the oldest send ages out."""
    full = [NIGHT - 600, NIGHT - 60]
    assert plan(STRICT, [Due(urgent=True)], full, NIGHT) == Plan(holds=(Hold(NIGHT - 600 + 3600, "budget", (0,)),))


def test_alerts_beyond_the_budget_wait_for_room():
    """With one send left of 2/h, the first alert goes and the second waits until a send ages out."""
    decided = plan(STRICT, [Due(), Due()], [DAY - 10], DAY)
    assert decided == Plan(send=(0,), holds=(Hold(DAY - 10 + 3600, "budget", (1,)),))


def test_alerts_that_waited_go_as_one_digest_counted_as_one_send():
    """Two alerts that waited fit a budget with one send left: they go together as one digest."""
    decided = plan(STRICT, [Due(waited=True), Due()], [DAY - 10], DAY)
    assert decided == Plan(digest=(0, 1))
    assert plan(TargetPolicy(), [Due(waited=True), Due(waited=True)], [], DAY) == Plan(digest=(0, 1))


def test_one_alert_that_waited_goes_as_itself():
    """A digest of one would only hide the alert: it is sent unchanged."""
    assert plan(STRICT, [Due(waited=True)], [], DAY) == Plan(send=(0,))


def test_health_alerts_skip_quiet_hours_and_a_used_up_budget():
    """notifier's own health alert goes at night over a spent budget; the others wait as before."""
    full = [NIGHT - 600, NIGHT - 60]
    decided = plan(STRICT, [Due(), Due(health=True), Due(urgent=True)], full, NIGHT)
    assert decided == Plan(
        send=(1,), holds=(Hold(MORNING, "quiet", (0,)), Hold(NIGHT - 600 + 3600, "budget", (2,)))
    )


def test_a_health_alert_never_joins_a_digest():
    """Alerts that waited fold into a digest; a health alert due with them still goes as itself."""
    decided = plan(STRICT, [Due(waited=True), Due(health=True), Due(waited=True)], [], DAY)
    assert decided == Plan(send=(1,), digest=(0, 2))


def test_muted_holds_like_quiet_hours_on_any_target_and_health_still_goes():
    """Muted: alerts that are not urgent wait (marked muted) even with no policy; urgent and health ones go."""
    decided = plan(TargetPolicy(), [Due(), Due(urgent=True), Due(health=True)], [], DAY, muted=True)
    assert decided == Plan(send=(1, 2), holds=(Hold(DAY + MUTE_RECHECK, "muted", (0,)),))
    assert plan(STRICT, [Due()], [], NIGHT, muted=True).holds[0].reason == "muted"
