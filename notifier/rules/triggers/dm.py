"""DM rules (``on: message`` / ``on: typing``): fire per event, unless once or a cooldown holds it back."""

from __future__ import annotations

from typing import Any

from ...alert import Alert, conversation_url
from ...stream.events import DMTypingEvent, DMUpdateEvent
from ..engine_state import EngineState, RuleEntry
from ..model import On, Rule
from .. import texts
from ..words import clip, cut, preview_limit
from .base import CompiledRule

__all__ = ["DMRule"]



class DMRule(CompiledRule):
    __slots__ = ("typing",)

    def __init__(self, rule: Rule) -> None:
        trigger = rule.trigger
        assert isinstance(trigger, On)
        super().__init__(rule, trigger.event, "info")
        self.typing = trigger.event == "typing"

    def run_dm(
        self, memory: EngineState, own_user_id: str | None, topic: str, key: str, rkey: str,
        event: DMUpdateEvent | DMTypingEvent, now: float, explain: list | None,
    ) -> Alert | None:
        user_id = event.user_id
        if own_user_id and user_id == own_user_id:
            if explain is not None:
                self.decide(explain, topic, key, "own", False, texts.OWN_MESSAGE,
                            {"user_id": user_id})
            return None
        state = memory.rule_entry(rkey)
        if state is not None:
            if state.fired_once:
                if explain is not None:
                    self.decide(explain, topic, key, "once", True, texts.ONCE,
                                {"user_id": user_id})
                return None
            if self.cooling(state, now):
                detail = self.hold_back(state, now)
                memory.changes.add(rkey)
                self.decide(explain, topic, key, "cooldown", True, detail, {"user_id": user_id})
                return None
        elif self.cooldown > 0 or self.once:
            # Only a cooldown or once needs memory; plain DM rules keep none.
            state = memory.add_rule_entry(rkey, RuleEntry())
        if state is not None:
            memory.changes.add(rkey)
        values: dict[str, Any] = {
            "rule": self.name, "conversation_id": key, "user_id": user_id,
            "url": conversation_url(key),
        }
        message = title = None
        shown_only: dict[str, str] = {}
        if not self.typing:
            # Only a message read from the inbox knows these; a stream event's
            # alert stays exactly as it always was.
            event_text = event.text  # type: ignore[union-attr]
            limit = preview_limit(self.rule.preview)
            if limit is None:
                # preview: false: the text never enters the alert, so no output
                # (body, fields, outbox, digest, explanation) can show it.
                event_text = None
            if event_text is not None:
                # The preview's limit holds wherever the text appears, {text} included;
                # the outbox keeps no more of a message than its alert shows.
                values["text"] = clip(event_text, limit)
                shown_only["preview"] = cut(event_text, limit)
            if event.sender:  # type: ignore[union-attr]
                values["sender"] = f"@{event.sender}"  # type: ignore[union-attr]
                if event.sender_name is not None:  # type: ignore[union-attr]
                    values["sender_name"] = event.sender_name  # type: ignore[union-attr]
                if self.rule.message is None:
                    message = texts.KNOWN_SENDER_MESSAGES[event_text is not None]
                    if event_text is not None and self.rule.title is not None:
                        message = texts.NAMED_SENDER_MESSAGE  # the rule's own title may not name them
                if self.rule.title is None:
                    title = texts.SENDER_TITLES[bool(event.sender_name)]  # type: ignore[union-attr]
        return self.fire(state, topic, key, now, values, message, title, shown_only)
