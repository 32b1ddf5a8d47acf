"""Many alerts as one message: the digest of what waited, and a conversation's group of messages.

Both are pure functions of the alerts they fold; the deliverer stores the
result in the outbox in the same transaction that marks the folded rows.

A **digest** is what a target receives when alerts waited for it (quiet
hours, a used-up budget): titled with the count, one line per alert, grouped
by rule, newest first::

    3 alerts during quiet hours

    **Like milestones** (2)
    - 06:12 CEST Tweet passed 3,000 likes — https://x.com/i/status/1850000000000000000
    - 23:40 CEST Tweet passed 2,000 likes — https://x.com/i/status/1850000000000000000
    **New DM** (1)
    - 01:05 CEST New direct message — https://x.com/messages/1111111111-2222222222

A digest carries the newest chart of each post its alerts were about.

A **group** is what ``group_wait`` makes of a burst of DMs in one
conversation: ``5 new messages from user 2222222222``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Final

from ..alert import Alert, Chart, NotifyType, conversation_url, marked_texts
from ..times import format_time
from ..untrusted import unmark

__all__ = ["DIGEST_KIND", "DIGEST_RULE", "MAX_CHARTS", "MAX_LINES", "digest_alert", "group_alert"]

DIGEST_RULE: Final = "(digest)"
DIGEST_KIND: Final = "digest"
# A night of alerts must still fit a push notification or a Slack message.
MAX_LINES: Final = 40
# One chart per post, the newest; a digest of many posts shows the most recent few,
# as one picture of 2 × 3 tiles (1200 × 600) that still reads on a phone.
MAX_CHARTS: Final = 6

# From least to most pressing: a digest takes the most pressing type it holds.
_SEVERITY: dict[str, int] = {"info": 0, "success": 1, "warning": 2, "failure": 3}


def digest_alert(
    alerts: Sequence[Alert],
    *,
    target: str,
    reason: str,
    now: float,
    zone: tzinfo,
) -> Alert:
    """One alert standing for ``alerts`` that waited for ``target``.

    ``reason`` ends the title ("during quiet hours", "over the budget of
    5/h"); times are shown on the wall clock of ``zone`` (the target's), with
    the weekday when it is not today's.
    """
    if not alerts:
        raise ValueError("a digest needs at least one alert")
    count = len(alerts)
    today = datetime.fromtimestamp(now, zone).date()
    # Rules in the order of their newest alert, newest first; within a rule, newest first.
    by_rule: dict[str, list[Alert]] = {}
    for alert in sorted(alerts, key=lambda a: a.ts, reverse=True):
        by_rule.setdefault(alert.rule, []).append(alert)
    lines: list[str] = []
    shown = 0
    for rule, members in by_rule.items():
        if shown >= MAX_LINES:
            break
        lines.append(f"**{rule}** ({len(members)})")
        for alert in members:
            if shown >= MAX_LINES:
                break
            lines.append(f"- {_when(alert.ts, zone, today)} {_line(alert)}")
            shown += 1
    if shown < count:
        lines.append(f"… and {count - shown} more")
    notify_type: NotifyType = max((a.notify_type for a in alerts), key=lambda t: _SEVERITY.get(t, 0))
    rules = {rule: len(members) for rule, members in by_rule.items()}
    charts: dict[str, Chart] = {}
    for alert in sorted(alerts, key=lambda a: a.ts, reverse=True):
        for chart in alert.charts:
            charts.setdefault(chart.key, chart)
    title, message = f"{count} alert{'s' if count != 1 else ''} {reason}", "\n".join(lines)
    return Alert(
        rule=DIGEST_RULE,
        topic="",
        key=target,
        title=title,
        message=unmark(message),
        marked=(title, message) if unmark(message) != message else None,
        targets=(target,),
        ts=now,
        kind=DIGEST_KIND,
        notify_type=notify_type,
        urgent=any(a.urgent for a in alerts),
        fields={"count": count, "reason": reason, "rules": rules},
        charts=tuple(charts.values())[:MAX_CHARTS],
    )


def group_alert(alerts: Sequence[Alert], *, zone: tzinfo) -> Alert:
    """One alert for a burst of messages of one (rule, conversation): "5 new messages from …"."""
    if not alerts:
        raise ValueError("a group needs at least one alert")
    ordered = sorted(alerts, key=lambda a: a.ts)
    first, last = ordered[0], ordered[-1]
    count = len(ordered)
    users = list(dict.fromkeys(str(a.fields["user_id"]) for a in ordered if a.fields.get("user_id")))
    if len(users) == 1:
        who = f"user {users[0]}"
    elif len(users) == 2:
        who = f"users {users[0]} and {users[1]}"
    elif users:
        who = f"{len(users)} people"
    else:
        who = f"conversation {first.key}"
    start, end = (format_time(a.ts, zone, date=False) for a in (first, last))
    url = last.fields.get("url") or conversation_url(first.key)
    span = f"at {start}" if start == end else f"between {start} and {end}"
    fields = dict(last.fields)
    fields.update(count=count, user_ids=users, first_ts=first.ts)
    # The last message's alert, retold: it keeps the rule, targets and typed options.
    return dataclasses.replace(
        last,
        marked=None,  # notifier's own words only
        title=f"{count} new message{'s' if count != 1 else ''} from {who}",
        message=f"{count} messages in conversation {first.key} {span}.\n{url}",
        urgent=any(a.urgent for a in ordered),
        fields=fields,
    )


def _when(ts: float, zone: tzinfo, today: object) -> str:
    local = datetime.fromtimestamp(ts, zone)
    shown = format_time(ts, zone, date=False, seconds=False)
    return shown if local.date() == today else f"{local:%a} {shown}"


def _line(alert: Alert) -> str:
    url = alert.fields.get("url")
    # Marked: the post's words or a sender's name in a title stay escaped in the digest.
    title = " ".join(marked_texts(alert)[0].split())
    return f"{title} — {url}" if isinstance(url, str) and url else title
