"""Building blocks for rule tests: rule files from snippets, and stream payloads."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from notifier.rulefile import RuleFile, load_rules
from notifier.rules import Engine, EngineState
from notifier.rules.conditions import ConditionError, compile_condition
from notifier.rules.model import ALIASES
from notifier.stream.events import (
    DMTypingEvent,
    DMUpdateEvent,
    Payload,
    TweetEngagementEvent,
)

TWEET = "1850000000000000000"
TWEET2 = "1850000000000000001"
CONV = "1111111111-2222222222"
CONV2 = "3333333333-4444444444"
OWN = "1111111111"
OTHER = "2222222222"

TOPIC = f"/tweet_engagement/{TWEET}"
TOPIC2 = f"/tweet_engagement/{TWEET2}"

HEADER = """\
version: 1
targets:
  team: json://localhost/team
  phone: json://localhost/phone
defaults:
  notify: [team]
rules:
"""

_WIRE = {
    "likes": "like_count",
    "retweets": "retweet_count",
    "replies": "reply_count",
    "quotes": "quote_count",
    "views": "view_count",
    "view_state": "view_count_state",
}


def combine(*snippets: str) -> str:
    """Rule snippets, each dedented on its own, as one YAML list."""
    return "".join(textwrap.dedent(snippet).strip("\n") + "\n" for snippet in snippets)


def write_rules(folder: Path, rules: str, *, header: str = HEADER, name: str = "rules.yaml") -> Path:
    """A rule file: the standard header followed by ``rules`` (a YAML list, dedented)."""
    path = folder / name
    path.write_text(header + textwrap.indent(combine(rules), "  "), encoding="utf-8")
    return path


def ruleset(folder: Path, rules: str, **kwargs) -> RuleFile:
    return load_rules(write_rules(folder, rules, **kwargs), env={})


def engine(folder: Path, rules: str, *, state: EngineState | None = None, own_user_id: str | None = OWN) -> Engine:
    return Engine(ruleset(folder, rules), state, own_user_id=own_user_id)


def engagement(**fields: object) -> Payload:
    """An engagement payload carrying only ``fields`` (likes=..., views=..., ...)."""
    return Payload(tweet_engagement=TweetEngagementEvent(**{_WIRE[name]: value for name, value in fields.items()}))


def dm(user_id: str = OTHER, conversation_id: str = CONV) -> Payload:
    return Payload(dm_update=DMUpdateEvent(conversation_id, user_id))


def typing(user_id: str = OTHER, conversation_id: str = CONV) -> Payload:
    return Payload(dm_typing=DMTypingEvent(conversation_id, user_id))


def feed(engine: Engine, steps, topic: str = TOPIC) -> list:
    """Feed ``(now, payload)`` steps; the titles of every alert, in order."""
    titles = []
    for now, payload in steps:
        titles += [alert.title for alert in engine.process(topic, payload, now)]
    return titles


def take_dirty_into(engine: Engine, mirror: dict) -> None:
    """Apply ``engine.state.take_dirty()`` to ``mirror`` as the daemon's store does (None deletes)."""
    for key, entry in engine.state.take_dirty().items():
        if entry is None:
            mirror.pop(key, None)
        else:
            mirror[key] = entry


# Every field a condition may name, as the engine types them.
CONDITION_NAMES = {"likes": "number", "retweets": "number", "replies": "number", "quotes": "number",
                   "views": "number", "view_state": "text"}


def compile_for_test(text: str):
    """A condition compiled over every field, as a rule's would be."""
    return compile_condition(text, CONDITION_NAMES, ALIASES)


def refused(text: str) -> list[tuple[int, str, str]]:
    """The problems (column, what, fix) of a condition that must not compile."""
    with pytest.raises(ConditionError) as caught:
        compile_for_test(text)
    return caught.value.problems

