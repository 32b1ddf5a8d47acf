"""The engine on what account watching finds: inbox DMs on /dm_message/ topics, followed posts, new placeholders."""

from __future__ import annotations

from notifier.rules import Engine
from notifier.rules.discovery import with_discoveries
from notifier.stream.events import DMUpdateEvent, Payload, PostRef
from notifier.stream.topics import Topic

from .helpers import CONV, OTHER, OWN, dm, engagement, ruleset

NOW = 1_780_000_000.0
POST = "1900000000000000001"


def inbox(text="are you free tomorrow?", sender="alice", name="Alice", user_id=OTHER, message_id="55"):
    return Payload(dm_update=DMUpdateEvent(CONV, user_id, message_id=message_id, text=text, sender=sender,
                                           sender_name=name))


def discovered(folder, rules, *, posts=(), conversations=(CONV,)):
    base = ruleset(folder, rules)
    return Engine(with_discoveries(base, {"me": tuple(posts)}, conversations, NOW), own_user_id=OWN)


DM_ANY = """
    - name: Any new DM
      dms: any
      on: message
"""


def test_an_inbox_message_fires_once_with_sender_and_text(tmp_path):
    """A dms: any rule fires once per message event on /dm_message/<id>; the default reads "DM from Alice (@alice)"."""
    engine = discovered(tmp_path, DM_ANY)
    (alert,) = engine.process(Topic.dm_message(CONV), inbox(), NOW)
    assert alert.title == "DM from Alice (@alice)"
    assert alert.message == f"are you free tomorrow?\nhttps://x.com/messages/{CONV}"
    assert alert.topic == Topic.dm_message(CONV) and alert.key == CONV
    assert alert.fields["sender"] == "@alice" and alert.fields["text"] == "are you free tomorrow?"
    assert alert.fields["sender_name"] == "Alice"
    assert len(engine.process(Topic.dm_message(CONV), inbox(message_id="56"), NOW + 1)) == 1


def test_dms_any_does_not_answer_the_streams_topic(tmp_path):
    """The stream's /dm_update/ event is the doorbell, not the message: dms: any fires only on /dm_message/."""
    engine = discovered(tmp_path, DM_ANY)
    assert engine.process(Topic.dm_update(CONV), dm(), NOW) == []
    assert engine.process(Topic.dm_message("9-9"), inbox(), NOW) == []  # not discovered yet


def test_own_messages_from_the_inbox_never_alert(tmp_path):
    """The account's own messages, which the inbox includes, are ignored as on the stream."""
    engine = discovered(tmp_path, DM_ANY)
    assert engine.process(Topic.dm_message(CONV), inbox(user_id=OWN, sender="me_myself"), NOW) == []


def test_a_known_sender_without_text(tmp_path):
    """A sender known but a text not (an attachment only): the default says who wrote where."""
    engine = discovered(tmp_path, DM_ANY)
    (alert,) = engine.process(Topic.dm_message(CONV), inbox(text=None), NOW)
    assert alert.message == f"@alice wrote in conversation {CONV}.\nhttps://x.com/messages/{CONV}"
    assert "text" not in alert.fields


def test_stream_dm_alerts_are_unchanged(tmp_path):
    """A stream DM (no sender, no text) gives the old default text, and its fields gain nothing."""
    engine = Engine(ruleset(tmp_path, f"""
        - name: DM
          dms: ["{CONV}"]
          on: message
    """), own_user_id=OWN)
    (alert,) = engine.process(Topic.dm_update(CONV), dm(), NOW)
    assert alert.message == f"User {OTHER} wrote in conversation {CONV}.\nhttps://x.com/messages/{CONV}"
    assert set(alert.fields) == {"rule", "conversation_id", "user_id", "url", "time"}


def test_dm_templates_use_sender_name_and_text(tmp_path):
    """{sender}, {sender_name} and {text} render in a rule's own templates; unknown, they are empty."""
    engine = discovered(tmp_path, """
        - name: DM
          dms: any
          on: message
          title: "{sender_name} ({sender})"
          message: "{text}|"
    """)
    (alert,) = engine.process(Topic.dm_message(CONV), inbox(), NOW)
    assert (alert.title, alert.message) == ("Alice (@alice)", "are you free tomorrow?|")
    (alert,) = engine.process(Topic.dm_message(CONV), Payload(dm_update=DMUpdateEvent(CONV, OTHER)), NOW)
    assert (alert.title, alert.message) == (" ()", "|")


def test_a_followed_posts_text_in_its_alert(tmp_path):
    """{text} of a post alert is the discovered post's text; the default title names the post by it."""
    rules = """
        - name: Mine
          tweets: {from: me}
          every: {likes: 1000}
          initial: fire
          message: "Your post “{text}” passed {milestone:,} likes"
        - name: Plain
          tweets: {from: me}
          every: {likes: 1000}
          initial: fire
    """
    engine = discovered(tmp_path, rules, posts=[PostRef(POST, NOW - 60, text="Launching today…")])
    mine, plain = engine.process(Topic.tweet_engagement(POST), engagement(likes=1200), NOW)
    assert mine.message == "Your post “Launching today…” passed 1,000 likes"
    assert plain.title == "“Launching today…” passed 1,000 likes"
    assert mine.title == plain.title
    assert "text" not in mine.fields


def test_a_followed_post_follows_the_start_up_rule(tmp_path):
    """A discovered post's first observation sets state (already past a threshold: quiet); the next milestone fires."""
    engine = discovered(tmp_path, """
        - name: Mine
          tweets: {from: me}
          every: {likes: 1000}
    """, posts=[PostRef(POST, NOW - 60)])
    topic = Topic.tweet_engagement(POST)
    assert engine.process(topic, engagement(likes=1500), NOW) == []
    (alert,) = engine.process(topic, engagement(likes=2100), NOW + 60)
    assert alert.title == "Tweet passed 2,000 likes"


def test_templates_check_the_new_placeholders(tmp_path):
    """notifier check's template validation knows {text} for posts and {sender}... for DMs, and not elsewhere."""
    import pytest

    from notifier.exceptions import RuleFileError

    ruleset(tmp_path, """
        - name: A
          tweets: {from: me}
          when: likes > 5
          title: "{text}"
        - name: B
          dms: any
          on: message
          title: "{sender} {sender_name} {text}"
    """)
    with pytest.raises(RuleFileError, match="unknown placeholder {sender}"):
        ruleset(tmp_path, """
            - name: A
              tweets: {from: me}
              when: likes > 5
              title: "{sender}"
        """)
