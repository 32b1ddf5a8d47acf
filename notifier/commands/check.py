"""``notifier check RULES``: load a rule file and say what it does, or everything wrong with it."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..exceptions import RuleFileError

if TYPE_CHECKING:
    from ..rulefile import RuleFile

__all__ = ["XCHAT_NOTE", "add_parser", "check", "summary", "warnings"]

# Said wherever dms: any is: the inbox notifier reads cannot show encrypted chats.
XCHAT_NOTE = (
    "dms: any reads X's DM inbox, and since 2026 most trusted conversations are end-to-end "
    "encrypted (XChat) and do not appear there. Only message requests and unencrypted "
    "conversations alert; an encrypted chat's messages do not."
)

_DESCRIPTION = """\
Load RULES and print a summary: its rules, the topics they subscribe and the
targets they notify (URLs shown with secrets masked). If the file does not
load, print every problem as file:line:column: what — how to fix.

exit codes: 0 the file loads, 2 it does not."""

_EXAMPLE = """\
example:
  notifier check rules.example.yaml"""


# Names that only resolve inside a home or office network.
_LOCAL_SUFFIXES = (".local", ".lan", ".home", ".internal", ".localhost", ".home.arpa")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "check", help="check a rule file and summarise it",
        description=_DESCRIPTION, epilog=_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("rules", metavar="RULES", help="the rule file (YAML)")
    parser.set_defaults(func=check)
    return parser


def check(args: argparse.Namespace) -> int:
    # Imported here, as in every command: `notifier --help` builds every parser.
    from ..rulefile import load_rules

    try:
        ruleset = load_rules(args.rules)
    except RuleFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(summary(ruleset, os.fspath(args.rules)))
    for warning in warnings(ruleset, os.fspath(args.rules), os.environ):
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def warnings(ruleset: RuleFile, shown: str, env: Mapping[str, str]) -> list[str]:
    """What would go wrong in ``notifier run`` although the file loads (on standard error, exit 0)."""
    found = []
    cookies = _cookies_problem(ruleset, env)
    if cookies and cookies.endswith("Permission denied"):
        # Logging in again as the same user would write the same unreadable file.
        found.append(
            f"{cookies}; notifier run needs the cookies of a logged-in X session, notifier replay does not "
            f"— run notifier as the file's owner, or under systemd hand it over with LoadCredential= "
            "and --cookies %d/cookies.json (docs/deployment.md, systemd)"
        )
    elif cookies:
        found.append(
            f"{cookies}; notifier run needs the cookies of a logged-in X session, notifier replay does not "
            f"— run notifier login {shown} to check and save them"
        )
    control = ruleset.control
    if control is not None and _plain_http_ntfy(control.url):
        found.append(
            f"control.ntfy is a public host over plain HTTP: anyone on the way can read the topic, and with it "
            f"mute your alerts — write ntfys://{_plain_http_ntfy(control.url)}/... instead"
        )
    for name, spec in ruleset.targets.items():
        host = _plain_http_ntfy(spec.url)
        if host:
            found.append(
                f"target '{name}' sends to ntfy://{host}, a public host, over plain HTTP: anyone on the way "
                f"can read the topic, and with it subscribe to your alerts — write ntfys://{host}/... instead"
            )
    return found


def _plain_http_ntfy(url: str) -> str | None:
    """The host of an ``ntfy://`` URL that Apprise would reach over plain HTTP on a public host; else None.

    ``ntfy://topic`` alone is ntfy.sh over HTTPS (Apprise's cloud mode); with a
    host and a topic (``ntfy://ntfy.sh/topic``) Apprise uses http://HOST.
    Local hosts (localhost, private addresses, .local, .lan, a name without a
    dot) are a home network's business.
    """
    import ipaddress

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() != "ntfy" or not host or not parts.path.strip("/") or "mode=cloud" in parts.query:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        local = "." not in host or host.endswith(_LOCAL_SUFFIXES) or host == "localhost"
    else:
        local = not address.is_global
    return None if local else host


def _cookies_problem(ruleset: RuleFile, env: Mapping[str, str]) -> str | None:
    """Why ``notifier run`` would find no usable cookies, as ``run`` looks for them; None when it would."""
    from ..exceptions import CredentialsError
    from ..stream.auth import resolve_cookies

    try:
        resolve_cookies(None, ruleset.account_cookies, env)
    except CredentialsError as exc:
        path = ruleset.account_cookies
        if path and not os.path.exists(path):
            return f"the cookies file {path} (account.cookies) does not exist"
        if not path and not (env.get("NOTIFIER_AUTH_TOKEN") or env.get("NOTIFIER_CT0")):
            return ("no X session cookies: the rule file has no account.cookies, and NOTIFIER_AUTH_TOKEN "
                    "and NOTIFIER_CT0 are not set")
        # Unreadable, or not a cookie file: the reason is the loader's (it never quotes a value).
        return str(exc).split(": export auth_token")[0]
    return None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(ruleset: RuleFile, shown: str) -> str:
    """The text ``notifier check`` prints for a rule file that loads."""
    from ..delivery.targets import mask_url
    from ..durations import format_duration

    rules, disabled = ruleset.rules, ruleset.disabled
    head = f"{shown}: OK — {_plural(len(rules), 'rule')}"
    if disabled:
        head += f" (+{len(disabled)} disabled)"
    found_later = bool(ruleset.follows or ruleset.watches_any_dm)
    topics = _plural(len(ruleset.topics), "topic")
    # "0 topics" alone reads as "watches nothing" for a file that follows an account.
    head += f", {topics} known now and more found at run time" if found_later else f", {topics}"
    head += f", {_plural(len(ruleset.targets), 'target')}"
    if ruleset.tags:
        head += f", {_plural(len(ruleset.tags), 'tag')} from {ruleset.targets_from}"
    lines = [head, ""]

    if ruleset.account_cookies:
        found = "" if os.path.exists(ruleset.account_cookies) else "  (not found)"
        lines += [f"Account cookies: {ruleset.account_cookies}{found}", ""]
    lines += _account_watching(ruleset)

    lines.append("Targets")
    width = max((len(name) for name in ruleset.targets), default=0)
    for name, spec in ruleset.targets.items():
        policy = spec.policy.describe()
        lines.append(f"  {name:<{width}}  {mask_url(spec.url)}" + (f"  ({policy})" if policy else ""))
    if ruleset.tags:
        lines.append(f"  tags from {ruleset.targets_from}: {', '.join(sorted(ruleset.tags))}")
    if not ruleset.targets and not ruleset.tags:
        lines.append("  (none)")
    lines.append("")

    lines += _health(ruleset)
    lines += _home_assistant(ruleset)
    lines += _control(ruleset)

    lines.append("Rules")
    for rule in (*rules, *disabled):
        if rule.follow is not None:
            watched = f"follows {rule.follow.account}: {rule.follow.describe()}"
        elif rule.dms_any:
            watched = "dms any (every conversation the inbox shows" + (
                ", message requests too)" if rule.requests else ", not message requests)")
        elif rule.tweets:
            watched = f"tweets {', '.join(rule.tweets)}"
        elif "*" in rule.dms:
            watched = f"dms * (every conversation named: {', '.join(rule.keys) or 'none'})"
        else:
            watched = f"dms {', '.join(rule.dms)}"
        options = [rule.trigger.describe(), watched, f"notify {', '.join(rule.notify)}"]
        if rule.cooldown:
            options.append(f"cooldown {format_duration(rule.cooldown, words=True)}")
        if rule.once:
            options.append("once")
        if rule.initial_fire:
            options.append("initial: fire")
        if rule.rearm_when is not None:
            options.append(f"rearm_when {rule.rearm_when.source}")
        if rule.urgent:
            options.append("urgent")
        if rule.preview is False:
            options.append("preview: false")
        elif rule.preview is not True:
            options.append(f"preview: {rule.preview} characters")
        if rule.group_wait:
            options.append(f"group_wait {format_duration(rule.group_wait, words=True)}")
        state = "" if rule.enabled else "  (disabled)"
        lines.append(f"  {rule.name}{state}")
        lines.append(f"      {' · '.join(options)}")
    lines.append("")

    lines.append("Topics known now")
    for topic in sorted(ruleset.topics):
        lines.append(f"  {topic}")
    if not ruleset.topics:
        lines.append("  (none)")
    if found_later:
        lines += ["", "Topics found at run time (account watching)"]
        for follow in ruleset.follows:
            lines.append(f"  /tweet_engagement/<post> for each post of {follow.account} it finds: {follow.describe()}")
        if ruleset.watches_any_dm:
            lines.append("  /dm_update/<conversation> for each conversation the DM inbox shows, new ones too")
    return "\n".join(lines)


def _health(ruleset: RuleFile) -> list[str]:
    """The health block's lines; none without one (defaults.notify then hears of fatal problems)."""
    from ..durations import format_duration

    health = ruleset.health
    if not health.given:
        return []
    line = f"  notify {', '.join(health.notify)} · stream down after {format_duration(health.stream_down, words=True)}"
    if health.ping is not None:
        # The ping URL is a secret: only its host is shown.
        line += f" · ping {urlsplit(health.ping).hostname} while healthy"
    return ["Health", line, ""]


def _home_assistant(ruleset: RuleFile) -> list[str]:
    """The home_assistant block's lines, the broker's password masked; none without the block."""
    from ..homeassistant.discovery import post_cap_warning

    spec = ruleset.home_assistant
    if spec is None:
        return []
    lines = [
        "Home Assistant",
        f"  MQTT {spec.shown} · discovery prefix {spec.discovery_prefix} · sensors {', '.join(spec.sensors)}"
        f" · at most {spec.max_posts:,} post{'' if spec.max_posts == 1 else 's'}",
    ]
    # Posts named by id, plus as many as each followed account may bring.
    follows = sum(follow.max_posts for follow in ruleset.follows)
    named = {post_id for rule in ruleset.rules for post_id in rule.tweets}
    warning = post_cap_warning(len(named) + follows, spec.max_posts, up_to=bool(follows))
    if warning is not None:
        lines.append(f"  warning: {warning}")
    return [*lines, ""]


def _control(ruleset: RuleFile) -> list[str]:
    """The control block's lines, the topic masked; none without the block."""
    spec = ruleset.control
    if spec is None:
        return []
    clock = f" · times on {spec.tz}" if spec.tz else ""
    return [
        "Control",
        f"  ntfy {spec.shown}{clock} · obeys mute, unmute, status · ntfy alerts get a Mute 1 h button",
        "",
    ]


def _account_watching(ruleset: RuleFile) -> list[str]:
    """The followed accounts, how often X is asked, and what dms: any cannot see."""
    from ..durations import format_duration
    from ..rulefile.account import cost_warning, polling_cost

    if not ruleset.follows and not ruleset.watches_any_dm and not ruleset.graphql:
        return []
    lines = ["Account watching"]
    for follow in ruleset.follows:
        lines.append(f"  follows {follow.account}: {follow.describe()}")
    if any(follow.account == "me" for follow in ruleset.follows):
        lines.append("  (me is the account the cookies sign in to)")
    if ruleset.watches_any_dm:
        requests = "message requests too" if ruleset.any_dm_requests else "not message requests"
        lines.append(f"  dms: any: every conversation the DM inbox shows, {requests}")
    costs = polling_cost([follow.replies for follow in ruleset.follows], ruleset.poll, ruleset.watches_any_dm)
    if ruleset.follows or ruleset.watches_any_dm:
        lines.append(f"  asks X every {format_duration(ruleset.poll, words=True)} (account.poll)")
        lines += [f"  costs {cost.describe()}" for cost in costs]
    for name, query_id in ruleset.graphql.items():
        lines.append(f"  GraphQL {name}: query id {query_id} (account.graphql)")
    warning = cost_warning(costs)
    if warning:
        lines.append(f"  warning: {warning}")
    if ruleset.watches_any_dm:
        lines.append(f"  note: {XCHAT_NOTE}")
    lines.append("")
    return lines
