"""Catch-up after a stream outage: say so, and fold a tweet's burst of milestones.

While the stream is down nothing arrives, but likes keep coming. When it is
back, the first engagement message of each tweet carries everything that
changed in between, and may cross several milestones of several rules at once.
Those alerts are not news of the last seconds; they are a catch-up, and a
reader should know it.

:class:`CatchUp` is pure (times are passed in). The daemon, and a replay,
tell it about:

* every (re)connection's config event — :meth:`CatchUp.connected`;
* every sign of life — :meth:`CatchUp.alive` (each message; the daemon also
  reports, once a second, that the live connection is still up, so a quiet
  stream is not mistaken for an outage);
* every event's alerts — :meth:`CatchUp.event`, which returns them annotated.

An **outage** is the time from the last sign of life to the next connection's
config event; only one longer than ``max_gap`` counts. The **first events
after reconnecting** are then, for each tweet, its first engagement event
after the reconnect, as long as that comes within ``max_gap`` of it. DM events
are left alone: a message after a reconnect is a new message, not a summary of
the outage.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from ..alert import Alert, marked_texts
from ..durations import format_duration
from ..untrusted import unmark
from .model import DEFAULT_MAX_GAP

__all__ = ["DEFAULT_MAX_GAP", "CatchUp", "Outage", "merge_milestones"]

_ENGAGEMENT = "/tweet_engagement/"
# Alert kinds that are milestones (``every`` and ``milestones`` rules).
_MILESTONE_KINDS = frozenset({"every", "milestones"})


@dataclass(frozen=True, slots=True)
class Outage:
    """The stream was silent from ``since`` (last sign of life) until ``until`` (reconnected)."""

    since: float
    until: float

    @property
    def seconds(self) -> float:
        return self.until - self.since

    @property
    def label(self) -> str:
        """``catch-up after 12 min outage``."""
        return f"catch-up after {format_duration(self.seconds)} outage"


class CatchUp:
    """Which events follow an outage longer than ``max_gap``, and what their alerts say."""

    __slots__ = ("_last_alive", "_outage", "_seen", "max_gap")

    def __init__(self, max_gap: float = DEFAULT_MAX_GAP) -> None:
        self.max_gap = max_gap
        self._last_alive: float | None = None
        self._outage: Outage | None = None
        # Tweet topics whose first event since the reconnect was already handled.
        self._seen: set[str] = set()

    @property
    def outage(self) -> Outage | None:
        """The outage whose catch-up is under way, if any."""
        return self._outage

    @property
    def last_alive(self) -> float | None:
        """The time of the last sign of life of the stream."""
        return self._last_alive

    def alive(self, now: float) -> None:
        """A sign of life of the stream at ``now``."""
        if self._last_alive is None or now > self._last_alive:
            self._last_alive = now

    def connected(self, now: float) -> Outage | None:
        """A connection's config event arrived at ``now``: the outage it ends, if long enough.

        The first connection of all ends no outage: nothing is known before it.
        """
        last = self._last_alive
        self.alive(now)
        if last is None or now - last <= self.max_gap:
            return None
        self._outage = Outage(last, now)
        self._seen = set()
        return self._outage

    def event(self, topic: str, alerts: list[Alert], now: float) -> list[Alert]:
        """An event's alerts, as they should go out: labelled and folded when it is a catch-up.

        Outside a catch-up that is ``alerts`` itself: this runs on every event.
        """
        self.alive(now)
        outage = self._outage
        if outage is None:
            return alerts
        if now - outage.until > self.max_gap:
            # The catch-up is over: later first events are ordinary news.
            self._outage = None
            self._seen = set()
            return alerts
        if topic in self._seen or not topic.startswith(_ENGAGEMENT):
            return alerts
        self._seen.add(topic)
        return [_label(alert, outage) for alert in merge_milestones(alerts)]


def merge_milestones(alerts: Iterable[Alert]) -> list[Alert]:
    """One alert per tweet for its milestones (of any number of rules); others unchanged.

    The merged alert takes the place of the first milestone alert of its tweet.
    Its title joins the titles, its message holds each distinct message once,
    and it goes to every target any of them named.
    """
    alerts = list(alerts)
    groups: dict[str, list[Alert]] = {}
    for alert in alerts:
        if alert.kind in _MILESTONE_KINDS:
            groups.setdefault(alert.key, []).append(alert)
    out: list[Alert] = []
    for alert in alerts:
        group = groups.get(alert.key) if alert.kind in _MILESTONE_KINDS else None
        if group is None:
            out.append(alert)
        elif group[0] is alert:
            out.append(_merge(group) if len(group) > 1 else alert)
    return out


def _merge(group: list[Alert]) -> Alert:
    first = group[0]
    targets: list[str] = []
    messages: dict[str, str] = {}
    for alert in group:
        targets += [name for name in alert.targets if name not in targets]
        messages.setdefault(alert.message, marked_texts(alert)[1])
    title = " · ".join(marked_texts(alert)[0] for alert in group)
    message = "\n".join(messages.values())
    plain = (unmark(title), unmark(message))
    return dataclasses.replace(
        first,
        rule=" + ".join(alert.rule for alert in group),
        title=plain[0],
        message=plain[1],
        marked=(title, message) if plain != (title, message) else None,
        targets=tuple(targets),
        urgent=any(alert.urgent for alert in group),
        rules=tuple(alert.rule for alert in group),
        titles=tuple(alert.title for alert in group),
    )


def _label(alert: Alert, outage: Outage) -> Alert:
    marked = None
    if alert.marked is not None:
        marked = (f"{alert.marked[0]} ({outage.label})", alert.marked[1])
    return dataclasses.replace(alert, title=f"{alert.title} ({outage.label})", catch_up=outage.seconds, marked=marked)
