"""A stranger's words reach every service as the characters they are: no markup, mentions or terminal codes.

A hostile direct message, from a sender with a hostile display name, goes
through the rule engine, the outbox and Apprise to real local receivers (HTTP
and SMTP); what arrives on the wire is checked for each service. Services
whose host is fixed in their Apprise plugin (Slack, Discord, Telegram,
Pushover) are pointed at the local receiver by patching the plugin's URL
attribute: the request still crosses a real socket.
"""

from __future__ import annotations

import dataclasses
import json
import re
from email import policy
from email.parser import BytesParser

import pytest
from apprise.plugins.discord import NotifyDiscord
from apprise.plugins.pushover import NotifyPushover
from apprise.plugins.slack import NotifySlack
from apprise.plugins.telegram import NotifyTelegram

from notifier.delivery import build_targets
from notifier.rules import Engine
from notifier.rules.discovery import with_discoveries
from notifier.stream.events import DMUpdateEvent, Payload
from notifier.stream.topics import Topic
from tests.rules.helpers import CONV, OTHER, OWN, ruleset

NOW = 1_780_000_000.0

EMOJI = "👨\u200d👩\u200d👧"  # a family: zero-width joiners hold it together
HOSTILE = (
    "<script>alert(1)</script> <img src=https://tracker.example/p.gif> "
    "<!channel> <!here> <@U024BE7LH> <https://phish.example/a|Click> "
    "@everyone @here <@123456789> <@&987654321> "
    "[Verify your account](https://phish.example/login) ![x](https://tracker.example/i.png) "
    "*bold* _it_ `code` \x1b[31mred\x1b[0m \u202eevil\u202c \x00nul "
    f"{EMOJI} שלום مرحبا &amp; & done"
)
NAME = "\x1b[2J<b>Eve</b> \u202e@everyone"
SLACK = "slack://T1ABCDEFG/B1ABCDEFG/abcdefghijklmnopqrstuvwx"
DISCORD = "discord://1234567890/abcdefghijklmnopqrstuvwxyz"
TELEGRAM = "tgram://123456789:ABCdefGHIjklMNOpqrSTUvwxYZ012345678/12345"
PUSHOVER = "pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@azGDORePK8gMaC0QOYAMyEEuzJnyUi"

# Nothing of these may arrive anywhere.
CONTROLS = ("\x1b", "\u202e", "\u202c", "\x00")


def hostile_alert(tmp_path, targets, template=""):
    """The alert of a dms: any rule for HOSTILE from NAME (default wording unless ``template``)."""
    rules = ruleset(tmp_path, f"""
        - name: DMs
          dms: any
          on: message
          {template}
    """)
    engine = Engine(with_discoveries(rules, {}, (CONV,), NOW), own_user_id=OWN)
    event = DMUpdateEvent(CONV, OTHER, message_id="77", text=HOSTILE, sender="eve", sender_name=NAME)
    (alert,) = engine.process(Topic.dm_message(CONV), Payload(dm_update=event), NOW)
    return dataclasses.replace(alert, targets=tuple(targets))


@pytest.fixture
def fixed_hosts(receiver, monkeypatch):
    """Slack, Discord, Telegram and Pushover post to the local receiver."""
    base = receiver.url
    monkeypatch.setattr(NotifySlack, "webhook_url", f"{base}/services")
    monkeypatch.setattr(NotifyDiscord, "notify_url", f"{base}/api/webhooks")
    monkeypatch.setattr(NotifyTelegram, "notify_url", f"{base}/bot")
    monkeypatch.setattr(NotifyPushover, "notify_url", f"{base}/1/messages.json")
    receiver.answer("/services/", b"ok")
    return receiver


def _by_path(receiver, part):
    found = [d for d in receiver.received if part in d.path]
    assert found, f"nothing arrived at {part}: {[d.path for d in receiver.received]}"
    return found[-1]


async def test_a_hostile_dm_is_inert_on_every_wire(tmp_path, fixed_hosts, smtp, start_deliverer):
    """Email, Slack, Discord, Telegram, Pushover, ntfy and json:// each get the stranger's words as text."""
    receiver = fixed_hosts
    urls = {
        "mail": smtp.url(), "slack": SLACK, "discord": DISCORD, "telegram": TELEGRAM,
        "pushover": PUSHOVER, "ntfy": receiver.ntfy_url("alerts"), "hook": receiver.json_url("/hook"),
    }
    # {text} whole, so that every hostile piece reaches the wire; plus the user's own Markdown.
    alert = hostile_alert(tmp_path, urls, 'message: "**From {sender_name}:** {text}"\n          preview: 2000')
    deliverer = await start_deliverer(build_targets(urls))
    deliverer.enqueue([alert])
    assert await receiver.wait_for_async(lambda r: len(r.received) >= 6, timeout=20)
    assert smtp.wait_for(lambda s: len(s.mails) >= 1, timeout=20)
    assert await deliverer.drain(20)
    assert deliverer.results.count("sent") == 7, [(r.target, r.reason) for r in deliverer.results]

    for delivery in receiver.received:
        raw = delivery.body.decode("utf-8", "replace")
        for control in CONTROLS:
            assert control not in raw and json.dumps(control)[1:-1] not in raw, (delivery.path, control)

    # Email: the HTML part holds no tag from the stranger; the text part reads as written.
    (mail,) = smtp.mails
    message = BytesParser(policy=policy.default).parsebytes(mail.message.as_bytes())
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "<script" not in html and "<img" not in html and "<b>Eve" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="https://phish' not in html and 'src="https://tracker' not in html
    assert "<strong>From " in html  # the user's own bold still works
    assert "<script>alert(1)</script>" in text and EMOJI in text
    assert not any(control in html + text + mail.subject for control in CONTROLS)

    # Slack: no live token, no disguised link.
    slack = json.loads(_by_path(receiver, "/services/").body)
    shown = json.dumps(slack, ensure_ascii=False)
    for token in ("<!channel>", "<!here>", "<@U024BE7LH>", "<https://phish", "<script", "<b>"):
        assert token not in shown
    assert "&lt;!channel&gt;" in shown and EMOJI in shown

    # Discord: nobody is mentioned.
    content = json.loads(_by_path(receiver, "/api/webhooks/").body)["content"]
    for mention in ("@everyone", "@here", "<@123456789>", "<@&987654321>"):
        assert mention not in content
    assert "@\u200beveryone" in content and "[Verify your account](" not in content
    assert "**From " in content and EMOJI in content

    # Telegram: the disguised link is not a link.
    telegram = json.loads(_by_path(receiver, "/sendMessage").body)
    # Telegram's Markdown: a [ escaped by a backslash opens no link.
    assert not re.search(r"(?<!\\)\[(Verify your account|x)\]\(", telegram["text"])
    assert "\\[Verify your account](" in telegram["text"]
    assert EMOJI in telegram["text"]

    # Pushover (as HTML): no tag from the stranger.
    pushover = _by_path(receiver, "/1/messages.json").body.decode()
    assert "%3Cscript" not in pushover and "<script" not in pushover

    # ntfy gets plain text: the words exactly, the user's bold taken out.
    (ntfy,) = [d for d in receiver.received if (d.json or {}).get("topic") == "alerts"]
    ntfy_text = ntfy.message
    assert "<script>alert(1)</script>" in ntfy_text and "[Verify your account](https://phish.example/login)" in ntfy_text
    assert ntfy_text.startswith("From [2J<b>Eve</b> @everyone: ") and EMOJI in ntfy_text

    # json:// gets the Markdown source, the stranger's part escaped.
    hook = _by_path(receiver, "/hook").json
    assert hook["message"].startswith("**From \\[2J\\<b\\>Eve\\</b\\> @everyone:** ")
    assert "\\[Verify your account\\]\\(https://phish.example/login\\)" in hook["message"]


async def test_a_10_mb_message_is_kept_to_xs_limit_and_each_services_own(tmp_path, fixed_hosts, start_deliverer, outbox):
    """A 10 MB DM read from the inbox: the alert holds X's 10,000 characters at most, the outbox no more,
    json:// gets at most that, Discord at most its 2,000 with the link kept."""
    from notifier.account import parse_inbox
    from tests.account.test_inbox import INITIAL_STATE, message

    receiver = fixed_hosts
    state = {**INITIAL_STATE["inbox_initial_state"], "entries": [message("1", sender="9", text="word " * 2_000_000)]}
    (dm,) = parse_inbox({"inbox_initial_state": state}).messages
    rules = ruleset(tmp_path, """
        - name: DMs
          dms: any
          on: message
          preview: 10000
          message: "{sender}: {text}"
    """)
    engine = Engine(with_discoveries(rules, {}, (CONV,), NOW), own_user_id=OWN)
    event = DMUpdateEvent(CONV, OTHER, message_id="78", text=dm.text, sender="eve", sender_name="Eve")
    (alert,) = engine.process(Topic.dm_message(CONV), Payload(dm_update=event), NOW)
    assert len(alert.message) <= 10_000 + 100
    urls = {"hook": receiver.json_url("/hook"), "chat": DISCORD}
    deliverer = await start_deliverer(build_targets(urls))
    deliverer.enqueue([dataclasses.replace(alert, targets=tuple(urls))])
    assert await receiver.wait_for_async(lambda r: len(r.received) >= 2, timeout=20)
    hook = _by_path(receiver, "/hook").json
    assert len(hook["message"]) <= 10_000 + 100
    content = json.loads(_by_path(receiver, "/api/webhooks/").body)["content"]
    assert len(content) <= 2000 and content.endswith("word…")
    stored = sum(path.stat().st_size for path in tmp_path.iterdir() if path.name.startswith("state.db"))
    assert stored < 1_000_000


async def test_console_output_and_text_logs_carry_no_control_characters(tmp_path, start_deliverer, capsys, caplog):
    """A display name with ESC and bidi overrides reaches console:// and the log without them."""
    alert = hostile_alert(tmp_path, ["screen"])
    deliverer = await start_deliverer(build_targets({"screen": "console://"}))
    with caplog.at_level("INFO"):
        deliverer.enqueue([alert])
        assert await deliverer.drain(10)
    printed = capsys.readouterr().out
    assert "DM from [2J<b>Eve</b> @everyone (@eve)" in printed
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "delivered" in logged
    for control in CONTROLS:
        assert control not in printed and control not in logged
