"""The value that flows from the rule engine to delivery."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["HEALTH_KIND", "Alert", "Chart", "NotifyType", "conversation_url", "marked_texts", "post_url"]

# Apprise's notify types; the trigger kind picks one (milestone → success, ...).
NotifyType = Literal["info", "success", "warning", "failure"]

# The kind of notifier's own alerts (a health block's): no quiet hours, no budget.
HEALTH_KIND = "health"


def post_url(tweet_id: str) -> str:
    """The link that opens a post: what its alerts, sensors and taps point to."""
    return f"https://x.com/i/status/{tweet_id}"


def conversation_url(conversation_id: str) -> str:
    """The link that opens a DM conversation."""
    return f"https://x.com/messages/{conversation_id}"


@dataclass(frozen=True, slots=True)
class Chart:
    """What a chart of one post's counts shows: drawn at delivery, from this value alone.

    ``samples`` are ``(time, count)`` pairs of ``field`` (a count's label,
    "likes"), oldest first, ending at the firing; ``line`` is the threshold or
    milestone drawn as a rule line (None for none) and ``line_label`` its text;
    ``window`` is the surge window ``(start, end)`` shaded (None for none).
    ``key`` is the post's id: a digest keeps one chart per post.
    """

    key: str
    field: str
    samples: tuple[tuple[float, float], ...]
    line: float | None = None
    line_label: str = ""
    window: tuple[float, float] | None = None

    def to_json(self) -> dict[str, object]:
        """The chart as JSON-safe values, for the outbox (a retry draws it again)."""
        return {
            "key": self.key, "field": self.field, "samples": [list(pair) for pair in self.samples],
            "line": self.line, "line_label": self.line_label,
            "window": list(self.window) if self.window is not None else None,
        }

    @classmethod
    def from_json(cls, value: dict) -> Chart:
        """A chart :meth:`to_json` wrote; raises ValueError/TypeError/KeyError for anything else."""
        window = value.get("window")
        line = value.get("line")
        return cls(
            key=str(value["key"]), field=str(value["field"]),
            samples=tuple((float(t), float(v)) for t, v in value["samples"]),
            line=float(line) if line is not None else None, line_label=str(value.get("line_label", "")),
            window=(float(window[0]), float(window[1])) if window is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Alert:
    """One notification decided by the rule engine, not yet delivered.

    ``key`` is what the rule keeps state per: the tweet id or the conversation id.
    ``targets`` are target names (or Apprise tags) from the rule file.
    ``ts`` is the event time in epoch seconds (the replay clock in a replay).
    ``fields`` are the values the rule's templates saw, for explanations and digests.

    What delivery and explanations need beyond the text travels typed:
    ``rules`` and ``titles`` name the rules (and their titles) whose alerts a
    catch-up merged into this one (empty when it is just ``rule``'s);
    ``catch_up`` is the outage (seconds) a catch-up alert follows;
    ``group_wait`` (seconds, from the rule) collects a conversation's messages
    into one alert before delivery; ``charts`` are the charts delivery draws
    for it (one for a post's alert, one per post for a digest; empty for none).

    ``title`` and ``message`` are what a person reads (logs, replays, Home
    Assistant). ``marked`` is the same title and message with each value from X
    (a post's words, a message, a sender's name) between the markers of
    :mod:`notifier.untrusted`, for delivery to escape per service; None when
    they hold no such value. Code that rewrites ``title`` or ``message`` rewrites
    ``marked`` too: delivery escapes the whole text of an alert whose ``marked``
    no longer matches it.
    """

    rule: str
    topic: str
    key: str
    title: str
    message: str
    targets: tuple[str, ...]
    ts: float
    kind: str = "when"
    notify_type: NotifyType = "info"
    urgent: bool = False
    fields: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
    rules: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    catch_up: float | None = None
    group_wait: float = 0.0
    charts: tuple[Chart, ...] = ()
    marked: tuple[str, str] | None = field(default=None, compare=False)


def marked_texts(alert: Alert) -> tuple[str, str]:
    """The alert's title and message with values from X marked (as they are when none is)."""
    return alert.marked if alert.marked is not None else (alert.title, alert.message)
