"""What every kind of compiled rule shares: identity, templates, cooldown, firing.

A trigger kind (:mod:`.when`, :mod:`.milestones`, :mod:`.gain`, :mod:`.dm`)
subclasses :class:`CompiledRule` with its own ``run`` and the shape of its
saved state; the engine's plans call them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ...alert import Alert, post_url
from ..decision import Decision
from ..engine_state import RuleEntry
from ..model import FIELDS, Rule, field_label
from ..templates import Template, event_time, held_back_note
from ...untrusted import unmark
from ..texts import DEFAULT_TEXTS, FROM_X, OPTIONAL_TEXTS, WORD_TITLES, counts_line, held_back
from ..words import TITLE_LIMIT, cut, quoted

__all__ = ["ALWAYS", "FIELD_BITS", "CompiledRule"]


# Bit per snapshot field, to skip rules whose fields an event did not change.
# Engine.process spells these out as literals (1, 2, 4, ...) in this order.
FIELD_BITS = {name: 1 << index for index, name in enumerate(FIELDS)}
if list(FIELD_BITS) != ["likes", "retweets", "replies", "quotes", "views", "view_state"]:  # pragma: no cover
    raise ImportError("notifier.rules.model.FIELDS changed order; update Engine.process")
ALWAYS = 64  # the bit of rules that run on every event of their tweet (gain)


class CompiledRule:
    """A rule ready to run: its trigger logic, templates and identity."""

    __slots__ = (
        "always", "chart_field", "cooldown", "initial", "kind", "mask", "name", "notify", "notify_type",
        "once", "optional", "post_texts", "rid", "rule", "title", "message", "urgent", "word_title",
    )

    def __init__(self, rule: Rule, texts: str, notify_type: str) -> None:
        self.rule = rule
        self.name = rule.name
        self.rid = rule.identity
        self.kind = rule.kind
        self.cooldown = rule.cooldown
        self.once = rule.once
        self.initial = rule.initial_fire
        self.notify = rule.notify
        self.notify_type = notify_type
        self.urgent = rule.urgent
        default_title, default_message = DEFAULT_TEXTS[texts]
        self.title = rule.title or default_title
        self.message = rule.message or default_message
        self.mask = 0
        self.always = False
        # The optional placeholders ({text}, {sender}...) the templates use; the
        # engine gives tweet rules the texts of discovered posts.
        self.optional = (self.title.names | self.message.names) & OPTIONAL_TEXTS
        self.post_texts: Mapping[str, str] = MappingProxyType({})
        # The default title that names a post by its words, when the post's text
        # is known; a rule's own title always wins.
        self.word_title = WORD_TITLES.get(texts) if rule.title is None else None
        # The count a chart of the rule's alerts shows (a snapshot field); None
        # for no chart (DM rules, chart: false). Kinds with a chart set it.
        self.chart_field: str | None = None

    def chart_extras(self, fields: Mapping[str, object], now: float) -> dict[str, Any]:
        """What a chart of an alert shows besides the curve: the count's label, the rule line, the window."""
        assert self.chart_field is not None
        return {"field": field_label(self.chart_field)}

    def decide(
        self, explain: list | None, topic: str, key: str, outcome: str, matched: bool | None,
        detail: str, values: Mapping[str, object],
    ) -> None:
        if explain is not None:
            explain.append(Decision(self.name, topic, key, outcome, matched, detail, dict(values)))

    def cooling(self, state: RuleEntry, now: float) -> bool:
        last = state.last_fired
        return last is not None and self.cooldown > 0 and now - last < self.cooldown

    def hold_back(self, state: RuleEntry, now: float) -> str:
        """Count a match the cooldown suppressed; the detail for explanations."""
        state.hold_back(now)
        left = self.cooldown - (now - state.last_fired)  # type: ignore[operator]
        return held_back(left)

    def fire(
        self, state: RuleEntry | None, topic: str, key: str, now: float, values: dict[str, Any],
        message_template: Template | None = None, title_template: Template | None = None,
        shown_only: Mapping[str, object] | None = None,
    ) -> Alert:
        """The alert.

        ``message_template`` and ``title_template`` replace the rule's default
        texts (a DM's known sender); ``shown_only`` are values those render
        that the alert's fields do not keep (a message's first words).
        """
        suppressed, since = 0, None
        if state is not None:
            suppressed, since = state.record_firing(now, self.once)
        values["time"] = event_time(now)
        shown = values
        if self.optional:
            # Rendered, not kept in the alert's fields: unknown reads as empty.
            shown = {**dict.fromkeys(self.optional, ""), **values}
            if "text" not in values and self.post_texts:
                shown["text"] = self.post_texts.get(key, "")
        if shown_only:
            shown = {**shown, **shown_only}
        # Values from X are marked (notifier.untrusted): delivery escapes them per service.
        if title_template is not None:
            title = cut(title_template.render(shown, FROM_X), TITLE_LIMIT)
        elif self.word_title is not None and (words := self.post_texts.get(key)):
            title = self.words_title(self.word_title, shown, words)
        else:
            title = self.title.render(shown, FROM_X)
        message = (message_template or self.message).render(shown, FROM_X)
        fields = {name: value for name, value in values.items() if name != "time"}
        fields["time"] = values["time"].isoformat()
        if suppressed:
            fields["suppressed"] = suppressed
            fields["suppressed_since"] = since
            # Whatever the template, the reader learns what the cooldown held back.
            message = f"{message}\n{held_back_note(suppressed, since, now)}"
        plain = (unmark(title), unmark(message))
        return Alert(
            rule=self.name, topic=topic, key=key, title=plain[0], message=plain[1],
            targets=self.notify, ts=now, kind=self.kind, notify_type=self.notify_type,
            urgent=self.urgent, fields=fields, group_wait=self.rule.group_wait,
            marked=(title, message) if plain != (title, message) else None,
        )

    @staticmethod
    def words_title(template: Template, shown: Mapping[str, object], words: str) -> str:
        """``“Launching today…” passed 1,000 likes``: the post's first words in as much room as the title leaves."""
        rest = len(unmark(template.render({**shown, "post": ""}, FROM_X)))
        # At least a few words, even when the rest of the title is long (a rule's name).
        post = quoted(words, max(TITLE_LIMIT - rest, 16))
        return cut(template.render({**shown, "post": post}, FROM_X), TITLE_LIMIT)

    def tweet_values(self, key: str, snapshot: Mapping[str, object]) -> dict[str, Any]:
        values: dict[str, Any] = dict(snapshot)
        values["rule"] = self.name
        values["tweet_id"] = key
        values["url"] = post_url(key)
        values["counts"] = counts_line(snapshot)
        return values

    def zero_state(self) -> RuleEntry | None:
        """The state of a post with no likes, no views, nothing yet: where a new post is counted from.

        None when that cannot be known (a condition on the view state, a
        gain, which needs a history): the first observation starts it as usual.
        """
        return None

    # Whether a saved entry has the shape this rule kind writes.
    valid = staticmethod(RuleEntry.valid_timing)
