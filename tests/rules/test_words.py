"""The post's words and a DM's sender in default alerts; cutting for lock screens; preview: false."""

from __future__ import annotations

import json

import pytest

from notifier.exceptions import RuleFileError
from notifier.rules import Engine
from notifier.rules.discovery import with_discoveries
from notifier.rules.words import PREVIEW_LIMIT, TITLE_LIMIT, clip, cut, quoted
from notifier.stream.events import DMUpdateEvent, Payload, PostRef
from notifier.stream.topics import Topic

from .helpers import CONV, OTHER, OWN, engagement, ruleset

NOW = 1_780_000_000.0
POST = "1900000000000000001"
LONG_POST = (
    "Launching today: notifier 2.0, with charts in every alert, the words of your posts in the title, "
    "and a tap that opens the post"
)
SECRET = "the launch moves to Friday, keep it quiet until then"


def discovered(folder, rules, *, text=LONG_POST):
    base = ruleset(folder, rules)
    found = with_discoveries(base, {"me": (PostRef(POST, NOW - 60, text=text),)}, (CONV,), NOW)
    return Engine(found, own_user_id=OWN)


def inbox(text=SECRET, sender="alice", name="Alice Liddell"):
    return Payload(dm_update=DMUpdateEvent(CONV, OTHER, message_id="55", text=text, sender=sender,
                                           sender_name=name))


def test_cut_ends_at_a_word_with_an_ellipsis():
    """Text longer than the limit is cut after a whole word, trailing punctuation dropped, ending in …."""
    assert cut("Launching today, finally", 17) == "Launching today…"
    assert cut("short", 10) == "short"
    assert cut("line one\n\nline   two", 40) == "line one line two"
    assert cut("Supercalifragilistic", 8) == "Superca…"
    assert len(cut(LONG_POST, TITLE_LIMIT)) <= TITLE_LIMIT
    assert quoted("Launching today", 40) == "“Launching today”"


@pytest.mark.parametrize(
    ("rule", "title"),
    [
        ("every: {likes: 1000}", "“Launching today” passed 1,000 likes"),
        ("gain: {likes: 100, within: 10m}", "“Launching today” gained 800 likes in 10 minutes"),
        ("when: likes > 500", "Launch: “Launching today”"),
    ],
)
def test_default_titles_name_the_post_by_its_words(tmp_path, rule, title):
    """A post whose text account watching found is named by its first words in the default title."""
    engine = discovered(tmp_path, f"""
        - name: Launch
          tweets: {{from: me}}
          {rule}
    """, text="Launching today")
    topic = Topic.tweet_engagement(POST)
    engine.process(topic, engagement(likes=400), NOW)
    (alert,) = engine.process(topic, engagement(likes=1200), NOW + 60)
    assert alert.title == title


def test_a_long_post_is_cut_to_fit_a_lock_screen(tmp_path):
    """A long post's words are cut at a word with … so the whole title fits TITLE_LIMIT characters."""
    engine = discovered(tmp_path, """
        - name: Launch
          tweets: {from: me}
          every: {likes: 1000}
          initial: fire
    """)
    (alert,) = engine.process(Topic.tweet_engagement(POST), engagement(likes=1200), NOW)
    assert alert.title.startswith("“Launching today: notifier 2.0, with")
    assert alert.title.endswith("…” passed 1,000 likes")
    assert len(alert.title) <= TITLE_LIMIT


def test_the_users_own_title_wins(tmp_path):
    """A rule's own title is rendered as written, however long, even when the post's words are known."""
    engine = discovered(tmp_path, """
        - name: Launch
          tweets: {from: me}
          every: {likes: 1000}
          initial: fire
          title: "Post {tweet_id}: {text}"
    """)
    (alert,) = engine.process(Topic.tweet_engagement(POST), engagement(likes=1200), NOW)
    assert alert.title == f"Post {POST}: {LONG_POST}"


def test_a_dm_alert_names_the_sender_once_and_previews_100_characters(tmp_path):
    """A DM read from the inbox: the title names display name and @handle, the body is the first 100 characters."""
    engine = discovered(tmp_path, """
        - name: DM
          dms: any
          on: message
    """)
    text = "word " * 40
    (alert,) = engine.process(Topic.dm_message(CONV), inbox(text=text), NOW)
    assert alert.title == "DM from Alice Liddell (@alice)"
    first, url = alert.message.split("\n")
    assert first.startswith("word word") and first.endswith("word…")
    assert len(first) <= PREVIEW_LIMIT
    assert url == f"https://x.com/messages/{CONV}"
    assert "@alice" not in alert.message  # the title names the sender; once is enough
    assert alert.fields["text"] == clip(text, PREVIEW_LIMIT)  # the outbox keeps no more than is shown


def test_a_dm_without_a_display_name_names_the_handle(tmp_path):
    """Without a display name the title names the @handle alone."""
    engine = discovered(tmp_path, """
        - name: DM
          dms: any
          on: message
    """)
    (alert,) = engine.process(Topic.dm_message(CONV), inbox(name=None), NOW)
    assert alert.title == "DM from @alice"


def test_preview_false_keeps_the_text_out_of_the_alert(tmp_path):
    """preview: false: the message's text is in no part of the alert (title, message, fields)."""
    engine = discovered(tmp_path, """
        - name: DM
          dms: any
          on: message
          preview: false
    """)
    (alert,) = engine.process(Topic.dm_message(CONV), inbox(), NOW)
    assert alert.title == "DM from Alice Liddell (@alice)"
    assert alert.message == f"@alice wrote in conversation {CONV}.\nhttps://x.com/messages/{CONV}"
    everything = json.dumps([alert.title, alert.message, alert.fields], default=str)
    assert "Friday" not in everything


def test_preview_false_refuses_text_in_a_template(tmp_path):
    """A template with {text} on a preview: false rule is an error at the placeholder, with the fix."""
    with pytest.raises(RuleFileError) as caught:
        ruleset(tmp_path, """
            - name: DM
              dms: any
              on: message
              preview: false
              message: "{sender}: {text}"
        """)
    assert "rules.yaml:12:25: message: {text} shows the message, which preview: false keeps out of every alert" \
        " — remove {text} from the message, or remove preview: false" in str(caught.value)


def test_preview_on_a_tweet_rule_is_an_error(tmp_path):
    """preview on a rule that is not on: message has no effect, and says so with file:line:col."""
    with pytest.raises(RuleFileError, match=r"rules\.yaml:\d+:\d+: preview has no effect on every rules"):
        ruleset(tmp_path, """
            - name: Launch
              tweets: ["1"]
              every: {likes: 1000}
              preview: false
        """)


def test_preview_must_be_a_boolean_or_a_number(tmp_path):
    """preview: maybe is refused, with the forms it takes."""
    with pytest.raises(RuleFileError, match="preview must be true, false or a number of characters"):
        ruleset(tmp_path, """
            - name: DM
              dms: any
              on: message
              preview: maybe
        """)


def test_preview_takes_a_number_of_characters_that_holds_for_text_too(tmp_path):
    """preview: 30 shows the first 30 characters, in the default body and in a rule's own {text}."""
    text = "The launch went well, thank you all for the support and the kind words!"
    engine = discovered(tmp_path, """
        - name: DM
          dms: any
          on: message
          preview: 30
        - name: DM text
          dms: any
          on: message
          preview: 30
          message: "{sender_name} says {text}"
    """)
    default, own = engine.process(Topic.dm_message(CONV), inbox(text=text), NOW)
    assert default.message.split("\n")[0] == "The launch went well, thank…"
    assert own.message == "Alice Liddell says The launch went well, thank…"
    assert own.fields["text"] == "The launch went well, thank…"


def test_the_readme_dm_rule_shows_the_first_100_characters_and_the_sender_once(tmp_path):
    """The README's DM rule: title 'DM from Bob Builder (@bob_builder)', body the first 100 characters."""
    text = "Hi Alice! " + "I loved the launch post and wanted to ask about the charts in it, " * 2 + "thanks."
    engine = discovered(tmp_path, """
        - name: New DM
          dms: any
          on: message
    """)
    (alert,) = engine.process(Topic.dm_message(CONV), inbox(text=text, sender="bob_builder", name="Bob Builder"), NOW)
    assert alert.title == "DM from Bob Builder (@bob_builder)"
    body = alert.message.split("\n")[0]
    assert body.startswith("Hi Alice!") and len(body) <= PREVIEW_LIMIT and body.endswith("…")
    assert "bob_builder" not in alert.message


def test_preview_numbers_outside_xs_limit_are_refused(tmp_path):
    """preview: 0 or more than 10,000 characters is an error that says what preview takes."""
    for value in ("0", "20000", "-5"):
        with pytest.raises(RuleFileError, match="from 1 to 10,000 — write preview: 30"):
            ruleset(tmp_path, f"""
                - name: DM
                  dms: any
                  on: message
                  preview: {value}
            """)


def test_a_rule_title_keeps_the_sender_in_the_default_body(tmp_path):
    """A rule's own title may not name the sender, so the default body does: '@alice: …'."""
    engine = discovered(tmp_path, """
        - name: DM
          dms: any
          on: message
          title: "New message"
    """)
    (alert,) = engine.process(Topic.dm_message(CONV), inbox(text="hello"), NOW)
    assert alert.message == f"@alice: hello\nhttps://x.com/messages/{CONV}"
