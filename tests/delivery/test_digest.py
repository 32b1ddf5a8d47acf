"""Quiet hours defer and digest, urgent skips them, group_wait folds DM bursts: a fake clock, a real receiver."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from notifier.alert import Alert
from notifier.delivery import Outbox, TargetSet, build_targets
from notifier.delivery.digest import MAX_LINES, digest_alert, group_alert
from notifier.delivery.policy import TargetPolicy, parse_budget, parse_quiet
from notifier.delivery.targets import Target
from tests.delivery.conftest import make_alert, wait_until

UTC = timezone.utc
CONV = "1111111111-2222222222"


def utc(*fields: int) -> float:
    return datetime(*fields, tzinfo=UTC).timestamp()


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Spec:
    """What build_targets reads from a rule file's target: a URL and a policy."""

    def __init__(self, url: str, policy: TargetPolicy) -> None:
        self.url = url
        self.policy = policy


def night_targets(receiver, **policy: object) -> TargetSet:
    """One json:// target 'hook' with quiet hours 22:00-07:00 UTC (plus any other policy)."""
    values = {"quiet": parse_quiet("22:00-07:00"), "tz": "UTC", **policy}
    return build_targets({"hook": Spec(receiver.json_url(), TargetPolicy(**values))})  # type: ignore[arg-type]


def dm(ts: float, user: str = "2222222222", conversation: str = CONV, **overrides: object) -> Alert:
    values: dict[str, object] = {
        "rule": "New DM",
        "topic": f"/dm_update/{conversation}",
        "key": conversation,
        "title": "New direct message",
        "message": f"User {user} wrote in conversation {conversation}.",
        "kind": "message",
        "notify_type": "info",
        "ts": ts,
        "fields": {"user_id": user, "conversation_id": conversation, "url": f"https://x.com/messages/{conversation}"},
    }
    values.update(overrides)
    return make_alert("hook", **values)


# ------------------------------------------------------------ digest text


def test_digest_is_titled_with_the_count_grouped_by_rule_newest_first():
    """One line per alert, rules ordered by their newest alert, newest first within each."""
    alerts = [
        make_alert("hook", rule="Like milestones", title="Tweet passed 2,000 likes", ts=utc(2024, 6, 1, 23, 40),
                   fields={"url": "https://x.com/i/status/1"}),
        make_alert("hook", rule="New DM", title="New direct message", ts=utc(2024, 6, 2, 1, 5), notify_type="info"),
        make_alert("hook", rule="Like milestones", title="Tweet passed 3,000 likes", ts=utc(2024, 6, 2, 6, 12),
                   notify_type="success"),
        make_alert("hook", rule="Surge", title="Tweet gained 500 likes", ts=utc(2024, 6, 2, 0, 30),
                   notify_type="warning"),
    ]
    digest = digest_alert(alerts, target="hook", reason="during quiet hours", now=utc(2024, 6, 2, 7, 0), zone=UTC)
    assert digest.title == "4 alerts during quiet hours"
    assert digest.message.splitlines() == [
        "**Like milestones** (2)",
        "- 06:12 UTC Tweet passed 3,000 likes",
        "- Sat 23:40 UTC Tweet passed 2,000 likes — https://x.com/i/status/1",
        "**New DM** (1)",
        "- 01:05 UTC New direct message",
        "**Surge** (1)",
        "- 00:30 UTC Tweet gained 500 likes",
    ]
    assert digest.notify_type == "warning"  # the most pressing type it holds
    assert digest.kind == "digest" and digest.fields["count"] == 4


def test_digest_times_are_on_the_targets_clock_and_long_digests_are_cut():
    """Times show in the target's zone; past MAX_LINES lines the rest is counted, not listed."""
    berlin = ZoneInfo("Europe/Berlin")
    alerts = [make_alert("hook", title=f"A{n}", ts=utc(2024, 6, 2, 5, 0) + n) for n in range(MAX_LINES + 5)]
    digest = digest_alert(alerts, target="hook", reason="during quiet hours", now=utc(2024, 6, 2, 5, 0), zone=berlin)
    lines = digest.message.splitlines()
    assert lines[1].startswith("- 07:00 CEST A44")  # 05:00 UTC is 07:00 in Berlin in June
    assert lines[-1] == "… and 5 more"
    assert sum(1 for line in lines if line.startswith("- ")) == MAX_LINES


def test_group_alert_says_how_many_messages_from_whom():
    """Five messages of one person: '5 new messages from user …', with the span and the link."""
    start = utc(2024, 6, 2, 12, 0, 0)
    grouped = group_alert([dm(start + n * 2) for n in range(5)], zone=UTC)
    assert grouped.title == "5 new messages from user 2222222222"
    assert grouped.message == (
        f"5 messages in conversation {CONV} between 12:00:00 UTC and 12:00:08 UTC.\nhttps://x.com/messages/{CONV}"
    )
    assert (grouped.rule, grouped.key, grouped.kind, grouped.ts) == ("New DM", CONV, "message", start + 8)
    two = group_alert([dm(start, "1"), dm(start + 1, "2"), dm(start + 2, "1")], zone=UTC)
    assert two.title == "3 new messages from users 1 and 2"
    many = group_alert([dm(start, str(n)) for n in range(4)], zone=UTC)
    assert many.title == "4 new messages from 4 people"


# ------------------------------------------------------------ quiet hours


async def test_quiet_hours_hold_alerts_and_send_one_digest_when_they_end(start_deliverer, receiver):
    """At night nothing is sent; at 07:00 everything that waited arrives as one digest, newest first."""
    clock = FakeClock(utc(2024, 6, 1, 23, 0))
    deliverer = await start_deliverer(night_targets(receiver), clock=clock)
    box: Outbox = deliverer.outbox
    deliverer.enqueue([make_alert("hook", rule="Likes", title="2,000 likes", ts=clock.now)])
    clock.now = utc(2024, 6, 2, 3, 0)
    deliverer.enqueue([make_alert("hook", rule="DMs", title="New DM", ts=clock.now),
                       make_alert("hook", rule="Likes", title="3,000 likes", ts=clock.now + 1)])
    morning = utc(2024, 6, 2, 7, 0)
    assert await wait_until(lambda: [r.held for r in box.rows()] == ["quiet"] * 3)
    assert {r.not_before for r in box.rows()} == {morning}
    assert receiver.received == [] and box.count_due(clock.now) == 0
    assert await deliverer.drain(timeout=1)  # held rows are not "due": shutdown would not wait for them

    clock.now = morning
    deliverer.wake()
    assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
    assert await deliverer.drain(timeout=5)
    (digest,) = receiver.received
    assert digest.title == "3 alerts during quiet hours"
    assert digest.message.splitlines() == [
        "**Likes** (2)", "- 03:00 UTC 3,000 likes", "- Sat 23:00 UTC 2,000 likes", "**DMs** (1)", "- 03:00 UTC New DM",
    ]
    states = sorted(r.state for r in box.rows())
    assert states == ["folded", "folded", "folded", "sent"]
    assert len(receiver.received) == 1


async def test_urgent_alerts_skip_quiet_hours(start_deliverer, receiver):
    """An urgent alert (flagged, or from an urgent rule) is sent at night; the others wait."""
    clock = FakeClock(utc(2024, 6, 1, 23, 0))
    deliverer = await start_deliverer(night_targets(receiver), clock=clock)
    deliverer.enqueue([
        make_alert("hook", title="flagged", urgent=True),
        make_alert("hook", rule="Surge", title="from an urgent rule", urgent=True),
        make_alert("hook", title="can wait"),
    ])
    assert await receiver.wait_for_async(lambda r: len(r.received) == 2)
    assert sorted(receiver.titles) == ["flagged", "from an urgent rule"]
    box: Outbox = deliverer.outbox
    assert await wait_until(lambda: [r.held for r in box.rows("pending")] == ["quiet"])
    assert box.rows("pending")[0].alert.title == "can wait"


async def test_one_alert_that_waited_goes_out_as_itself(start_deliverer, receiver):
    """A digest of one would only hide the alert: a lone waiting alert is sent unchanged."""
    clock = FakeClock(utc(2024, 6, 1, 23, 0))
    deliverer = await start_deliverer(night_targets(receiver), clock=clock)
    deliverer.enqueue([make_alert("hook", title="Tweet passed 2,000 likes")])
    assert await wait_until(lambda: deliverer.outbox.rows()[0].held == "quiet")
    clock.now = utc(2024, 6, 2, 7, 0)
    deliverer.wake()
    assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
    assert receiver.titles == ["Tweet passed 2,000 likes"]


async def test_a_restart_during_quiet_hours_loses_nothing(start_deliverer, receiver, tmp_path):
    """Alerts held at night survive closing the deliverer and the database; the morning digest has them all."""
    path = tmp_path / "restart.db"
    clock = FakeClock(utc(2024, 6, 1, 23, 0))
    first_box = Outbox(path)
    first = await start_deliverer(night_targets(receiver), box=first_box, clock=clock)
    first.enqueue([make_alert("hook", title=f"night {n}") for n in range(3)])
    assert await wait_until(lambda: all(r.held == "quiet" for r in first_box.rows()) and len(first_box.rows()) == 3)
    await first.aclose()
    first_box.close()

    clock.now = utc(2024, 6, 2, 7, 0, 5)
    with Outbox(path) as second_box:
        second = await start_deliverer(night_targets(receiver), box=second_box, clock=clock)
        assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
        assert await second.drain(timeout=5)
        assert receiver.titles == ["3 alerts during quiet hours"]
        assert second_box.depth() == 0
        await second.aclose()


async def test_held_rows_are_judged_again_under_the_policy_found_at_start(start_deliverer, receiver, tmp_path):
    """Quiet hours shortened while stopped: the restarted deliverer sends the digest when the new window ends."""
    path = tmp_path / "changed.db"
    clock = FakeClock(utc(2024, 6, 1, 23, 0))
    first_box = Outbox(path)
    first = await start_deliverer(night_targets(receiver), box=first_box, clock=clock)
    first.enqueue([make_alert("hook", title="one"), make_alert("hook", title="two")])
    assert await wait_until(lambda: [r.not_before for r in first_box.rows()] == [utc(2024, 6, 2, 7, 0)] * 2)
    await first.aclose()
    first_box.close()

    clock.now = utc(2024, 6, 2, 3, 0)
    shorter = build_targets({"hook": Spec(receiver.json_url(), TargetPolicy(parse_quiet("22:00-04:00"), "UTC"))})
    with Outbox(path) as second_box:
        second = await start_deliverer(shorter, box=second_box, clock=clock)  # type: ignore[arg-type]
        assert await wait_until(lambda: [r.not_before for r in second_box.rows()] == [utc(2024, 6, 2, 4, 0)] * 2)
        assert receiver.received == []
        clock.now = utc(2024, 6, 2, 4, 0)
        second.wake()
        assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
        assert receiver.titles == ["2 alerts during quiet hours"]
        await second.aclose()


async def test_a_policy_removed_by_a_reload_releases_what_it_held(start_deliverer, receiver):
    """replace_targets with the quiet hours gone sends the held alerts at once, as one digest."""
    clock = FakeClock(utc(2024, 6, 1, 23, 0))
    deliverer = await start_deliverer(night_targets(receiver), clock=clock)
    deliverer.enqueue([make_alert("hook", title="one"), make_alert("hook", title="two")])
    assert await wait_until(lambda: [r.held for r in deliverer.outbox.rows()] == ["quiet", "quiet"])
    deliverer.replace_targets(build_targets({"hook": receiver.json_url()}))
    assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
    assert receiver.titles == ["2 alerts during quiet hours"]


# -------------------------------------------------------------- group_wait


async def test_group_wait_folds_a_burst_into_one_alert(start_deliverer, receiver):
    """Five messages in ten seconds, group_wait 30 s: one '5 new messages' alert at first + 30 s."""
    start = utc(2024, 6, 2, 12, 0)
    clock = FakeClock(start)
    targets = build_targets({"hook": receiver.json_url()})
    deliverer = await start_deliverer(targets, clock=clock)
    box: Outbox = deliverer.outbox
    for n in range(5):
        clock.now = start + n * 2.5
        deliverer.enqueue([dm(clock.now, group_wait=30)])
    assert [(r.held, r.not_before) for r in box.rows()] == [("group", start + 30)] * 5
    clock.now = start + 29.9
    deliverer.wake()
    assert await deliverer.drain(timeout=1)
    assert receiver.received == []

    clock.now = start + 30
    deliverer.wake()
    assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
    assert receiver.titles == ["5 new messages from user 2222222222"]
    assert "between 12:00:00 UTC and 12:00:10 UTC" in receiver.received[0].message
    assert await deliverer.drain(timeout=5)

    # The group is closed: the next message starts a new one, and alone it stays itself.
    clock.now = start + 31
    deliverer.enqueue([dm(clock.now, group_wait=30)])
    assert box.rows("pending")[0].not_before == start + 61
    clock.now = start + 61
    deliverer.wake()
    assert await receiver.wait_for_async(lambda r: len(r.received) == 2)
    assert receiver.titles[1] == "New direct message"


async def test_group_wait_keeps_conversations_apart_and_leaves_other_rules_alone(start_deliverer, receiver):
    """Each conversation is its own group; alerts of rules without group_wait go at once."""
    start = utc(2024, 6, 2, 12, 0)
    clock = FakeClock(start)
    deliverer = await start_deliverer(build_targets({"hook": receiver.json_url()}), clock=clock)
    deliverer.enqueue([dm(start, conversation="1-2", group_wait=30), dm(start, conversation="3-4", group_wait=30),
                       dm(start + 1, conversation="1-2", group_wait=30), make_alert("hook", title="a milestone")])
    assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
    assert receiver.titles == ["a milestone"]
    clock.now = start + 30
    deliverer.wake()
    assert await receiver.wait_for_async(lambda r: len(r.received) == 3)
    assert sorted(receiver.titles[1:]) == ["2 new messages from user 2222222222", "New direct message"]


async def test_a_group_survives_a_restart(start_deliverer, receiver, tmp_path):
    """Messages collected before a restart are still one alert after it."""
    path = tmp_path / "group.db"
    start = utc(2024, 6, 2, 12, 0)
    clock = FakeClock(start)
    targets = build_targets({"hook": receiver.json_url()})
    first_box = Outbox(path)
    first = await start_deliverer(targets, box=first_box, clock=clock)
    first.enqueue([dm(start, group_wait=30), dm(start + 1, group_wait=30), dm(start + 2, group_wait=30)])
    await first.aclose()
    first_box.close()

    clock.now = start + 40
    with Outbox(path) as second_box:
        second = await start_deliverer(targets, box=second_box, clock=clock)
        assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
        assert receiver.titles == ["3 new messages from user 2222222222"]
        await second.aclose()


async def test_a_group_ready_in_quiet_hours_waits_for_the_morning_digest(start_deliverer, receiver):
    """group_wait first, then quiet hours: the grouped alert is one line of the digest."""
    clock = FakeClock(utc(2024, 6, 1, 23, 0))
    deliverer = await start_deliverer(night_targets(receiver), clock=clock)
    deliverer.enqueue([dm(clock.now, group_wait=30), dm(clock.now + 1, group_wait=30),
                       make_alert("hook", rule="Likes", title="2,000 likes")])
    clock.now += 30
    deliverer.wake()
    box: Outbox = deliverer.outbox
    assert await wait_until(lambda: sorted(r.held or "" for r in box.rows("pending")) == ["quiet", "quiet"])
    clock.now = utc(2024, 6, 2, 7, 0)
    deliverer.wake()
    assert await receiver.wait_for_async(lambda r: len(r.received) == 1)
    assert receiver.titles == ["2 alerts during quiet hours"]
    assert "2 new messages from user 2222222222" in receiver.received[0].message


# ------------------------------------------------------------------ targets


def test_targets_without_a_policy_have_the_default_one():
    """build_targets gives plain URLs the default policy, and Target keeps a given one."""
    targets = build_targets({"hook": "json://127.0.0.1:9/"})
    (hook,) = targets.resolve("hook")
    assert hook.policy == TargetPolicy() and not hook.policy.active
    policy = TargetPolicy(budget=parse_budget("5/h"))
    assert Target("k", "n", "json://h/", "json://h/", policy=policy).policy is policy


@pytest.mark.parametrize("reason", ["during quiet hours", "over the budget of 5/h"])
def test_digest_of_one_alert_reads_singular(reason):
    """'1 alert …', not '1 alerts …'."""
    digest = digest_alert([make_alert("hook")], target="hook", reason=reason, now=0.0, zone=UTC)
    assert digest.title == f"1 alert {reason}"
