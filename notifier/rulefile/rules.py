"""The rule file's ``defaults`` and ``rules``: each rule checked into a :class:`~notifier.rules.model.Rule`.

A rule's trigger and the values it is written with are read by
:class:`~notifier.rulefile.triggers.TriggerReader`, beneath this reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..rules.model import ALIASES, NOT_CARRIED, Gain, On, Rule, Trigger, When
from ..rules.templates import Template, TemplateError, compile_template
from ..rules.texts import placeholders
from ..rules.words import PREVIEW_LIMIT
from ..rules.yamlnodes import BOOL_TAG, INT_TAG, NULL_TAG, STR_TAG
from ..untrusted import MAX_DM
from ..stream.topics import Topic, tweet_id_of
from .follow import is_dms_any
from .triggers import TriggerReader

__all__ = ["TYPING_COOLDOWN", "RuleReader"]

# A typing indicator repeats every few seconds while someone types.
TYPING_COOLDOWN = 60.0
_DEFAULT_KEYS = ("notify", "cooldown", "max_gap")
_TRIGGERS = ("when", "every", "milestones", "gain", "on")
_RULE_KEYS = (
    "name", "tweets", "dms", *_TRIGGERS, "notify", "cooldown", "once", "initial",
    "rearm_when", "title", "message", "enabled", "urgent", "group_wait", "requests", "preview",
    "chart",
)
_INITIAL = ("fire", "skip")


class RuleReader(TriggerReader):
    """Reads ``defaults`` and ``rules``, checking each rule's notify against the targets read before."""

    def __init__(self, shown: str, folder: Path, env: Mapping[str, str]) -> None:
        super().__init__(shown, folder, env)
        # Rule name -> the "*" item of its dms, to point at when "*" matches nothing.
        self.star_nodes: dict[str, Node] = {}

    def defaults(self, entry: tuple[Node, Node] | None) -> dict[str, Any]:
        result: dict[str, Any] = {"notify": None, "notify_given": False, "cooldown": None, "max_gap": None}
        if entry is None:
            return result
        node = entry[1]
        if isinstance(node, ScalarNode) and node.tag == NULL_TAG:
            return result
        if not isinstance(node, MappingNode):
            self.error(node, "defaults must be a mapping", "write defaults: then, indented, notify: [phone]")
            return result
        keys = self.mapping(node, _DEFAULT_KEYS, "in defaults")
        if "notify" in keys:
            result["notify_given"] = True
            result["notify"] = self.notify(keys["notify"][1], "defaults.notify")
        if "cooldown" in keys:
            result["cooldown"] = self.duration(keys["cooldown"][1], "defaults.cooldown")
        if "max_gap" in keys:
            # How long the stream may be silent before the next events count as a catch-up.
            result["max_gap"] = self.duration(keys["max_gap"][1], "defaults.max_gap", positive=True)
        return result
    # ----------------------------------------------------------------- rules

    def rules(self, entry: tuple[Node, Node] | None, root: Node, defaults: dict[str, Any]) -> list[Rule]:
        if entry is None:
            self.error(root, "the rule file has no rules", "add rules: with at least one rule")
            return []
        node = entry[1]
        if not isinstance(node, SequenceNode) or not node.value:
            self.error(node, "rules must be a list of rules",
                       "write rules: then, indented, one '- name: ...' item per rule")
            return []
        rules: list[Rule] = []
        names: dict[str, Node] = {}
        for index, item in enumerate(node.value, 1):
            rule = self.rule(item, index, defaults, names)
            if rule is not None:
                rules.append(rule)
        # dms: ["*"] watches every conversation that the enabled rules name.
        conversations: list[str] = []
        for rule in rules:
            if rule.enabled:
                conversations.extend(c for c in rule.dms if c != "*" and c not in conversations)
        resolved = []
        for rule in rules:
            if "*" in rule.dms:
                if not conversations and rule.enabled:
                    star = self.star_nodes.get(rule.name)
                    self.error(
                        star, f"rule '{rule.name}' watches dms: [\"*\"], but no rule names a conversation",
                        "\"*\" means every conversation named elsewhere in this file, because the stream "
                        "only delivers DMs of conversations subscribed one by one; list the conversation "
                        "ids, such as dms: [\"1111111111-2222222222\"]",
                    )
                keys = tuple(dict.fromkeys([*conversations, *(c for c in rule.dms if c != "*")]))
            else:
                keys = rule.tweets or rule.dms
            resolved.append(replace(rule, keys=keys, topics=_topics(rule.trigger, keys)))
        if rules and not any(rule.enabled for rule in resolved) and not self.problems:
            self.error(node, "every rule is disabled (enabled: false), so nothing would be watched",
                       "enable at least one rule")
        return resolved

    def rule(self, node: Node, index: int, defaults: dict[str, Any], names: dict[str, Node]) -> Rule | None:
        if not isinstance(node, MappingNode):
            self.error(node, f"rule {index} must be a mapping", "write '- name: ...' followed by its keys")
            return None
        keys = self.mapping(node, _RULE_KEYS, f"in rule {index}")
        errors_before = len(self.problems)

        # --- name
        name = None
        if "name" not in keys:
            self.error(node, f"rule {index} has no name", "add name: a short sentence saying what it watches")
        else:
            name = self.scalar_text(keys["name"][1], "name", "name: Launch tweet passes 1,000 likes")
            if name is not None:
                name = name.strip()
                if not name:
                    self.error(keys["name"][1], f"rule {index} has an empty name", "give it a name")
                    name = None
                elif name in names:
                    first = names[name].start_mark.line + 1
                    self.error(keys["name"][1], f"rule name '{name}' is used twice (first on line {first})",
                               "give every rule its own name: alerts and saved state are kept by name")
                else:
                    names[name] = keys["name"][1]
        label = f"rule '{name}'" if name else f"rule {index}"

        # --- trigger
        given = [key for key in _TRIGGERS if key in keys]
        trigger: Trigger | None = None
        if not given:
            self.error(node, f"{label} has no trigger",
                       "add one of when: (a condition), every:, milestones:, gain: (tweets) or on: (dms)")
        elif len(given) > 1:
            second = keys[given[1]][0]
            self.error(second, f"{label} has more than one trigger ({', '.join(given)})",
                       "keep one trigger per rule; write another rule for the other")
        else:
            trigger = self.trigger(given[0], keys[given[0]], label)

        # --- what it watches
        tweets: tuple[str, ...] = ()
        dms: tuple[str, ...] = ()
        follow = None
        dms_any = False
        star_node: Node | None = None
        if "tweets" in keys and "dms" in keys:
            self.error(keys["dms"][0], f"{label} watches both tweets and dms",
                       "a rule watches either tweets or dms; split it in two")
        elif "tweets" in keys:
            if isinstance(keys["tweets"][1], MappingNode):
                follow = self.follow(keys["tweets"][1], label)
            else:
                tweets = self.tweet_ids(keys["tweets"][1], label)
            if given == ["on"]:
                self.error(keys["on"][0], f"on: is for DM rules, but {label} watches tweets",
                           "use when:, every:, milestones: or gain: for tweets, or watch dms: with on:")
        elif "dms" in keys:
            if is_dms_any(keys["dms"][1]):
                dms_any = True
                if isinstance(trigger, On) and trigger.event == "typing":
                    self.error(keys["on"][1], f"{label} watches dms: any, which cannot say when someone types",
                               "typing reaches notifier only through the stream's topic of a conversation "
                               "it names: list the conversations, such as dms: [\"1111111111-2222222222\"], "
                               "or use on: message")
            else:
                dms, star_node = self.conversation_ids(keys["dms"][1], label)
            if given and given[0] != "on":
                self.error(keys[given[0]][0], f"{given[0]}: is for tweet rules, but {label} watches dms",
                           "DM rules fire per event: use on: message or on: typing")
        else:
            self.error(node, f"{label} watches nothing",
                       "add tweets: [\"<tweet id>\"] or dms: [\"<conversation id>\"]")

        # --- options
        requests = True
        if "requests" in keys:
            if not dms_any:
                self.error(keys["requests"][0], f"requests: applies to dms: any, which {label} does not watch",
                           "remove it, or watch every conversation with dms: any")
            else:
                requests = bool(self.boolean(keys["requests"][1], "requests"))

        notify = defaults["notify"]
        if "notify" in keys:
            notify = self.notify(keys["notify"][1], f"the notify of {label}")
        elif not defaults["notify_given"] and self.targets_known:
            self.error(node, f"{label} has no notify and there is no defaults.notify",
                       "add notify: [<target name>] to the rule, or defaults: notify: [...]")

        cooldown = defaults["cooldown"] or 0.0
        if "cooldown" in keys:
            cooldown = self.duration(keys["cooldown"][1], "cooldown") or 0.0
        elif isinstance(trigger, On) and trigger.event == "typing":
            cooldown = max(cooldown, TYPING_COOLDOWN)

        once = False
        if "once" in keys:
            once = bool(self.boolean(keys["once"][1], "once"))
        enabled = True
        if "enabled" in keys:
            value = self.boolean(keys["enabled"][1], "enabled")
            enabled = True if value is None else value

        initial_fire = False
        if "initial" in keys:
            value_node = keys["initial"][1]
            text = value_node.value if isinstance(value_node, ScalarNode) else None
            if text not in _INITIAL:
                self.error(value_node, f"initial: {text or '?'} is not known",
                           "write initial: fire (announce a state already met at start) or leave it out")
            elif isinstance(trigger, (Gain, On)):
                self.error(keys["initial"][0], f"initial: has no effect on {trigger.kind} rules",
                           "remove it; it applies to when, every and milestones")
            initial_fire = text == "fire"

        urgent = False
        if "urgent" in keys:
            urgent = bool(self.boolean(keys["urgent"][1], "urgent"))
        chart = True
        if "chart" in keys:
            if isinstance(trigger, On):
                self.error(keys["chart"][0], f"chart: has no effect on {trigger.event} rules",
                           "remove it; charts show a post's counts on when, every, milestones and gain rules")
            else:
                value = self.boolean(keys["chart"][1], "chart")
                chart = True if value is None else value
        group_wait = 0.0
        if "group_wait" in keys:
            if trigger is not None and not (isinstance(trigger, On) and trigger.event == "message"):
                kind = trigger.event if isinstance(trigger, On) else trigger.kind
                self.error(keys["group_wait"][0], f"group_wait has no effect on {kind} rules",
                           "remove it; it collects the messages of on: message rules")
            else:
                group_wait = self.duration(keys["group_wait"][1], "group_wait", positive=True) or 0.0

        preview: bool | int = True
        if "preview" in keys:
            if trigger is not None and not (isinstance(trigger, On) and trigger.event == "message"):
                kind = trigger.event if isinstance(trigger, On) else trigger.kind
                self.error(keys["preview"][0], f"preview has no effect on {kind} rules",
                           "remove it; preview: false keeps the text of direct messages out of on: message alerts")
            else:
                value = self.preview(keys["preview"][1])
                preview = True if value is None else value

        rearm = None
        if "rearm_when" in keys:
            value_node = keys["rearm_when"][1]
            if trigger is not None and not isinstance(trigger, (When, Gain)):
                self.error(keys["rearm_when"][0], f"rearm_when has no effect on {trigger.kind} rules",
                           "remove it; it applies to when and gain rules")
            elif trigger is not None:
                extra = {"gain": "number"} if isinstance(trigger, Gain) else {}
                rearm = self.condition(value_node, "rearm_when", extra)

        # Known from the trigger's key alone, so templates are checked even when the trigger has errors.
        allowed = placeholders(given[0]) if len(given) == 1 else None
        title = message = None
        for key in ("title", "message"):
            if key not in keys:
                continue
            template = self.template(keys[key][1], key, allowed) if allowed else None
            if key == "title":
                title = template
            else:
                message = template
            if template is not None and not preview and "text" in template.names:
                node = keys[key][1]
                self.error(self.at_offset(node, node.value.find("{text")), f"{key}: {{text}} shows the message, "
                           "which preview: false keeps out of every alert",
                           f"remove {{text}} from the {key}, or remove preview: false")

        if len(self.problems) != errors_before or trigger is None or name is None or notify is None:
            return None
        rule = Rule(
            name=name, trigger=trigger, notify=notify, tweets=tweets, dms=dms, cooldown=cooldown,
            once=once, initial_fire=initial_fire, rearm_when=rearm, title=title, message=message,
            enabled=enabled, line=node.start_mark.line + 1, urgent=urgent, group_wait=group_wait,
            preview=preview, follow=follow, dms_any=dms_any, requests=requests, chart=chart,
        )
        if star_node is not None:
            self.star_nodes[name] = star_node
        return rule

    def preview(self, node: Node) -> bool | int | None:
        """``preview:``: true, false, or how many characters of a message alerts show."""
        if isinstance(node, ScalarNode) and node.tag == BOOL_TAG:
            return bool(self.construct(node))
        if isinstance(node, ScalarNode) and node.tag == INT_TAG and 1 <= self.construct(node) <= MAX_DM:
            return int(self.construct(node))
        self.error(node, f"preview must be true, false or a number of characters from 1 to {MAX_DM:,}",
                   f"write preview: 30 for a message's first 30 characters, preview: true for the first "
                   f"{PREVIEW_LIMIT}, or preview: false to show none")
        return None

    def tweet_ids(self, node: Node, label: str) -> tuple[str, ...]:
        items = self.items(node)
        if not items:
            self.error(node, f"{label} lists no tweets", "write tweets: [\"1850000000000000000\"]")
        ids: list[str] = []
        for item in items:
            if not isinstance(item, ScalarNode) or item.tag not in (STR_TAG, INT_TAG):
                self.error(item, "a tweet id must be a number or a quoted string",
                           "write tweets: [\"1850000000000000000\"]")
                continue
            try:
                # The text as written: ids exceed 2**53 and must not pass through a float.
                # The id itself, or the post's URL as copied from the share button.
                topic = Topic.tweet_engagement(tweet_id_of(item.value))
            except ValueError as exc:
                fix = "copy the number at the end of the tweet's URL"
                if item.value.strip() in ("*", "any", "me"):
                    fix = "to watch every post of an account, write tweets: {from: me} or tweets: {from: \"@handle\"}"
                self.error(item, str(exc), fix)
                continue
            tweet_id = topic.rsplit("/", 1)[1]
            if tweet_id not in ids:
                ids.append(tweet_id)
        return tuple(ids)

    def conversation_ids(self, node: Node, label: str) -> tuple[tuple[str, ...], Node | None]:
        items = self.items(node)
        if not items:
            self.error(node, f"{label} lists no conversations",
                       "write dms: [\"1111111111-2222222222\"] or dms: [\"*\"]")
        ids: list[str] = []
        star = None
        for item in items:
            if not isinstance(item, ScalarNode) or item.tag not in (STR_TAG, INT_TAG):
                self.error(item, "a conversation id must be a quoted string",
                           "write dms: [\"1111111111-2222222222\"]")
                continue
            text = item.value.strip()
            if text == "*":
                star = item
                if "*" not in ids:
                    ids.append("*")
                continue
            try:
                Topic.dm_update(text)
            except ValueError as exc:
                fix = "copy it from the conversation's URL: x.com/messages/<id>"
                if text == "any":
                    fix = "to watch every conversation, including new ones, write dms: any (not in a list)"
                self.error(item, str(exc), fix)
                continue
            if text not in ids:
                ids.append(text)
        return tuple(ids), star

    def template(self, node: Node, what: str, placeholders: Mapping[str, str]) -> Template | None:
        if not isinstance(node, ScalarNode) or node.tag == NULL_TAG:
            self.error(node, f"{what} must be text", f"write {what}: \"Launch tweet passed {{likes:,}} likes\"")
            return None
        try:
            return compile_template(node.value, placeholders, ALIASES, NOT_CARRIED)
        except TemplateError as exc:
            for offset, problem, fix in exc.problems:
                self.error(self.at_offset(node, offset), f"{what}: {problem}", fix)
            return None


def _topics(trigger: Trigger, keys: tuple[str, ...]) -> frozenset[str]:
    if isinstance(trigger, On):
        build = Topic.dm_update if trigger.event == "message" else Topic.dm_typing
    else:
        build = Topic.tweet_engagement
    return frozenset(build(key) for key in keys)

