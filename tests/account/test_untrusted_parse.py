"""Text from X is cleaned once where it is parsed: entities decoded, controls gone, size bounded."""

from notifier.account import parse_inbox, parse_timeline, parse_user
from notifier.untrusted import MAX_DM, clean, decode_entities
from tests.account.test_inbox import INITIAL_STATE, message
from tests.account.test_timeline import add_entries, page, tweet, tweet_entry

HOSTILE_NAME = "\x1b[31mBob\x1b[0m \u202eevil\u202c\u2066x\u2069\x00\r"


def _inbox(*entries, users=None):
    state = {**INITIAL_STATE["inbox_initial_state"], "entries": list(entries)}
    if users is not None:
        state["users"] = users
    return parse_inbox({"inbox_initial_state": state})


def test_short_and_long_posts_read_the_same():
    """X escapes & < > in full_text but not in note text: both read '&' once parsed."""
    short = tweet("30", full_text="Tom &amp; Jerry &lt;3 &gt; &amp;amp;")
    long = tweet("31", full_text="Short…")
    long["note_tweet"] = {"note_tweet_results": {"result": {"text": "Tom & Jerry <3 > &amp;"}}}
    posts = parse_timeline(page(add_entries(tweet_entry(short), tweet_entry(long)))).posts
    assert [post.text for post in posts] == ["Tom & Jerry <3 > &amp;", "Tom & Jerry <3 > &amp;"]


def test_post_text_loses_controls_and_bidi_overrides_but_keeps_emoji_joiners():
    """ESC, NUL, C1 and bidi overrides go; newline, tab, ZWJ emoji and right-to-left letters stay."""
    result = tweet("32", full_text="a\x1b[2Jb\x00c\x85d\u202ee\ttab\nline 👨\u200d👩\u200d👧 שלום")
    (post,) = parse_timeline(page(add_entries(tweet_entry(result)))).posts
    assert post.text == "a[2Jbcde\ttab\nline 👨\u200d👩\u200d👧 שלום"


def test_display_names_and_handles_are_cleaned():
    """A display name with terminal codes and bidi overrides reaches nothing unchanged."""
    body = {"data": {"user": {"result": {"rest_id": "9", "core": {"screen_name": "bob\x1b", "name": HOSTILE_NAME}}}}}
    user = parse_user(body)
    assert (user.screen_name, user.name) == ("bob", "[31mBob[0m evilx")
    inbox = _inbox(message("1", text="hi"), users={"7": {"id_str": "7", "screen_name": "bob", "name": HOSTILE_NAME}})
    assert inbox.users["7"].name == "[31mBob[0m evilx"


def test_dm_text_is_decoded_cleaned_and_kept_to_xs_limit():
    """A 10 MB message keeps X's 10,000 characters; entities read once; controls go."""
    huge = _inbox(message("1", text="x" * 10_000_000))
    assert len(huge.messages[0].text) == MAX_DM
    (dm,) = _inbox(message("2", text="&lt;script&gt; &amp; \x1b[31mred\u202e")).messages
    assert dm.text == "<script> & [31mred"


def test_clean_and_decode_are_idempotent_on_clean_text():
    """Clean text passes unchanged; decoding happens once, not until nothing is left."""
    text = "Tom & Jerry\n\t👨\u200d👩\u200d👧 مرحبا"
    assert clean(text) == text
    assert decode_entities("&amp;lt;") == "&lt;"
