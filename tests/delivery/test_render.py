"""Escaping a value from X, then rendering it as the service does, gives back the value: for every format."""

from __future__ import annotations

import html
import re

import apprise
from apprise.common import NotifyFormat
from apprise.conversion.format import markdown_to_html
from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.delivery.render import dialect_for, escape, render, texts_of
from notifier.untrusted import mark
from tests.delivery.conftest import make_alert

# Letters, digits, every ASCII punctuation character, spaces, and text that is not
# ASCII: an emoji held together by zero-width joiners, right-to-left letters.
ALPHABET = st.sampled_from(
    list("abcXYZ019 ") + list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    + ["👨\u200d👩\u200d👧", "ש", "م", "é", "&amp;", "&lt;", "&#39;", "<!channel>", "<@U1>", "@everyone"]
)
VALUES = st.lists(ALPHABET, min_size=1, max_size=40).map("".join).filter(lambda v: v.strip() == v and "  " not in v)

_TAG = re.compile(r"<[^>]+>")
_BACKSLASHED = re.compile(r"\\([!-/:-@\[-`{-~])")


def _html_text(converted: str) -> str:
    """What a mail client shows of Python-Markdown's HTML for one paragraph."""
    inner = converted.removeprefix("<p>").removesuffix("</p>")
    assert not _TAG.search(inner), inner  # no tag but the paragraph's own
    return html.unescape(inner)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_markdown_escaping_renders_back_to_the_value(value):
    """Email and Pushover (Markdown → HTML): the HTML holds no tag from X and reads as the value."""
    converted = markdown_to_html(f"Start {escape(value, 'markdown')} end")
    assert _html_text(converted) == f"Start {value} end"


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_slack_escaping_renders_back_to_the_value(value):
    """Slack (Markdown → mrkdwn): no < from X reaches Slack; its entities and escapes read as the value."""
    plugin = apprise.Apprise.instantiate("slack://T1ABCDEFG/B1ABCDEFG/abcdefghijklmnopqrstuvwx")
    converted = plugin.dialect_convert(f"Start {escape(value, 'slack')} end", NotifyFormat.MARKDOWN)
    assert "<" not in converted and ">" not in converted
    shown = html.unescape(_BACKSLASHED.sub(r"\1", converted))
    assert shown == f"Start {value} end"


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_discord_escaping_renders_back_to_the_value_and_mentions_nobody(value):
    """Discord: no @everyone, @here or <@id> survives; unescaped and without the zero-width spaces, it is the value."""
    escaped = escape(value, "discord")
    assert not re.search(r"@(everyone|here)|<@&?\d", _BACKSLASHED.sub(r"\1", escaped))
    assert _BACKSLASHED.sub(r"\1", escaped).replace("@\u200b", "@") == value


@given(VALUES)
def test_plain_text_is_unchanged(value):
    """A plain-text service gets the value exactly."""
    assert escape(value, "text") == value
    assert render(f"**Rule** {mark(value)}", "text") == f"Rule {value}"


def test_only_marked_values_are_escaped():
    """The user's template and notifier's own Markdown keep working around an escaped value."""
    text = f"**{mark('Eve *')}** wrote: [post](https://x.com/i/status/1) {mark('[x](https://phish)')}"
    assert render(text, "markdown") == "**Eve \\*** wrote: [post](https://x.com/i/status/1) \\[x\\]\\(https://phish\\)"
    assert dialect_for("https://hooks.slack.com/services/A/B/C") == "slack"
    assert dialect_for("discord://1/abc") == "discord" and dialect_for("ntfys://ntfy.sh/t") == "text"
    assert dialect_for("mailtos://u:p@example.com") == "markdown"


def test_a_body_over_the_limit_cuts_the_value_at_a_word_and_keeps_the_link():
    """Over a service's limit the longest value from X is cut at a word, with …; the link stays."""
    words = "lorem ipsum dolor " * 1000
    text = f"From {mark('Eve')}: {mark(words)}\nhttps://x.com/messages/1-2"
    shown = render(text, "discord", 2000)
    assert len(shown) <= 2000
    assert shown.endswith("…\nhttps://x.com/messages/1-2") and shown.startswith("From Eve: lorem ipsum")
    assert shown.split("\n")[0][:-1].split(" ")[-1] in ("lorem", "ipsum", "dolor")


def test_an_alert_whose_marks_went_stale_is_escaped_whole():
    """Code that rewrote a title without its marks gets the whole text escaped, never the stranger's raw."""
    alert = make_alert("t", title="DM from <b>Eve</b>", message="hi", marked=("DM from " + mark("x"), "hi"))
    title, message = texts_of(alert)
    assert render(title, "markdown") == "DM from \\<b\\>Eve\\</b\\>"


def test_a_health_alert_escapes_what_x_answered():
    """A health alert's detail may quote X or an alert's words: it is escaped, notifier's hint is not."""
    from notifier.run.health import Change, health_alert
    from notifier.rulefile.model import HealthSpec

    alert = health_alert(Change("account_failing", True, "X answered: <!channel> [click](https://phish)", 0.0),
                         HealthSpec(notify=("team",)))
    title, message = texts_of(alert)
    assert alert.message.startswith("X answered: <!channel> [click](https://phish)\n")
    shown = render(message, "slack")
    assert "\\<\\!channel\\>" in shown and "\\[click\\]\\(https://phish\\)" in shown


_TELEGRAM_ESCAPED = re.compile(r"\\([_*`\[])")


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_telegram_escaping_renders_back_to_the_value(value):
    """Telegram (Markdown → Telegram's Markdown, as Apprise sends it): its escapes read back as the value."""
    plugin = apprise.Apprise.instantiate("tgram://123456789:ABCdefGHIjklMNOpqrSTUvwxYZ012345678/12345")
    converted = plugin.dialect_convert(f"Start {escape(value, 'telegram')} end", NotifyFormat.MARKDOWN)
    # Every [, *, _ and ` of the value arrives escaped: no link, bold, italics or code from X.
    assert not re.search(r"(?<!\\)[\[*_`]", converted)
    assert _TELEGRAM_ESCAPED.sub(r"\1", converted) == f"Start {value} end"


LINES = st.lists(st.one_of(ALPHABET, st.just("\n")), min_size=1, max_size=40).map("".join).filter(
    lambda v: all(line and line.strip() == line for line in v.split("\n")) and "  " not in v
)


@settings(max_examples=300, deadline=None)
@given(LINES)
def test_a_message_of_many_lines_starts_no_list_heading_or_quote(value):
    """A value's lines starting with -, +, =, 1., # or > stay text in the HTML Markdown becomes."""
    converted = markdown_to_html(f"Start {escape(value, 'markdown')} end")
    inner = converted.removeprefix("<p>").removesuffix("</p>").replace("<br />\n", "\n")
    assert not _TAG.search(inner), inner
    assert html.unescape(inner) == f"Start {value} end"
