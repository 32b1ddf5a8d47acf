"""parse_message's engagement fast path gives exactly what the general reading gives."""

import json
import pickle

import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from notifier.stream.events import Payload, TweetEngagementEvent
from notifier.stream.parse import _decode_line, _parse, parse_message


def same(line):
    # repr tells 1 from 1.0 and True, which == would not.
    return repr(parse_message(line)) == repr(_parse(line))


# Values a count or a view state might arrive as, from the wire's own to garbage:
# digits with spaces, other scripts' digits, too long, negative, integers past
# 64 bits (which the fast decoder refuses), floats, NaN, bools, nesting.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 5, max_value=2**70),
    st.integers(min_value=-(2**70), max_value=-(2**63) + 5),
    st.floats(allow_nan=True),
    st.from_regex(r"\A[ \t]?[0-9]{1,20}[ \t\n]?\Z"),
    st.integers(min_value=10**17 - 5, max_value=10**19 + 5).map(str),
    st.sampled_from(["", " ", "٣", "１２", "1e3", "-3", "0x10", "EnabledWithCount", "\ud800"]),
    st.text(max_size=8),
)
values = st.one_of(scalars, st.lists(scalars, max_size=2), st.dictionaries(st.text(max_size=4), scalars, max_size=2))
view_info = st.one_of(
    values,
    st.fixed_dictionaries({}, optional={"count": values, "state": values, "other": values}),
)
engagement = st.fixed_dictionaries(
    {},
    optional={
        "like_count": values,
        "retweet_count": values,
        "quote_count": values,
        "reply_count": values,
        "view_count_info": view_info,
        "bookmark_count": values,
    },
)
# Other payload keys next to tweet_engagement, which take precedence or not.
others = st.fixed_dictionaries(
    {},
    optional={
        "config": st.one_of(values, st.just({"session_id": "s", "subscription_ttl_millis": 1, "heartbeat_millis": 1})),
        "subscriptions": st.one_of(values, st.just({"errors": []})),
        "dm_update": st.one_of(values, st.just({"conversation_id": "1-2", "user_id": "2"})),
        "dm_typing": values,
        "discovery": st.one_of(values, st.just({"account": "me", "posts": [{"id": "1", "created_at": 1.0}]})),
    },
)
framings = st.sampled_from(["{}", " {}\n", "data: {}", "data:{}\r", "\t{}\x0c", "\ufeff{}", "{}x", ":{}"])


@settings(max_examples=1000, deadline=None)
@given(body=engagement, compact=st.booleans())
@example(body={"like_count": "1000000000000000005"}, compact=True)
@example(body={"view_count_info": {"count": "5", "state": 2**64}}, compact=True)
def test_engagement_values_read_as_the_general_path_reads_them(body, compact):
    """Plain engagement lines with any values in their fields parse as the general path parses them."""
    text = json.dumps(
        {"topic": "/tweet_engagement/1850000000000000000", "payload": {"tweet_engagement": body}},
        separators=(",", ":") if compact else None,
    )
    assert same(text)


@settings(max_examples=1000, deadline=None)
@given(
    topic=st.one_of(st.just("/tweet_engagement/1850000000000000000"), values),
    body=st.one_of(engagement, values),
    extra=others,
    framing=framings,
    compact=st.booleans(),
    as_bytes=st.booleans(),
)
@example(
    topic="/tweet_engagement/1", body={"like_count": 2**64, "reply_count": float("nan")}, extra={},
    framing="{}", compact=False, as_bytes=True,
)
def test_any_engagement_like_line_reads_as_the_general_path_reads_it(topic, body, extra, framing, compact, as_bytes):
    """Engagement-like lines, however framed, next to whichever other keys, parse as the general path parses them."""
    payload = {**extra, "tweet_engagement": body}
    text = json.dumps({"topic": topic, "payload": payload}, separators=(",", ":") if compact else None)
    line = framing.replace("{}", text, 1)
    if as_bytes:
        line = line.encode("utf-8", errors="surrogatepass")
    assert same(line)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.binary()))
@example('{"topic": "/tweet_engagement/1", "payload": {"tweet_engagement": {"like_count": NaN}}}')
@example(b'{"topic": "/tweet_engagement/1", "payload": {"tweet_engagement": {"like_count": "\xff"}}}')
@example('{"topic": "/a", "payload": {"tweet_engagement": {"like_count": "\\ud800"}}}')
def test_any_text_reads_as_the_general_path_reads_it(raw):
    """Arbitrary text and bytes give the same result on both paths."""
    assert same(raw)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=2**62) | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


_FIELDS = ["like_count", "retweet_count", "quote_count", "reply_count", "view_count_info", "bookmark_count"]


def _pairs(struct, loaded):
    """For each key json.loads found that the struct has a field for: (as the struct holds it, as json.loads read it)."""
    held, read = {}, {}
    for name, value in loaded.items():
        if name not in struct.__struct_fields__:
            continue  # a key the fast path does not read
        field = getattr(struct, name)
        if isinstance(field, msgspec.Struct):
            held[name], read[name] = _pairs(field, value)
        else:
            held[name], read[name] = field, value
    return held, read


@settings(max_examples=500, deadline=None)
@example(topic="", fields={"view_count_info": {"": None, "__class__": 1, "count": "5"}})
@given(
    topic=json_values,
    fields=st.dictionaries(
        st.sampled_from(_FIELDS),
        json_values | st.fixed_dictionaries({}, optional={"count": json_values, "state": json_values}),
    ),
)
def test_the_decoder_reads_what_it_accepts_as_json_loads_does(topic, fields):
    """The premise of the fast path: what the typed decoder accepts, it reads as json.loads reads it."""
    text = json.dumps({"topic": topic, "payload": {"tweet_engagement": fields}})
    try:
        line = _decode_line(text)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return
    loaded = json.loads(text)
    assert repr(line.topic) == repr(loaded["topic"])
    held, expected = _pairs(line.payload.tweet_engagement, loaded["payload"]["tweet_engagement"])
    assert repr(held) == repr(expected)


@pytest.mark.parametrize(
    "line",
    [
        '{"topic": "/tweet_engagement/1", "payload": {"tweet_engagement": {"like_count": "1", "like_count": "2"}}}',
        '{"topic": "/a", "topic": "/tweet_engagement/1", "payload": {"tweet_engagement": {"like_count": "1"}}}',
        '{"topic": "/tweet_engagement/1", "payload": {"tweet_engagement": {"like_count": "1"}, "tweet_engagement": 5}}',
        '{"topic": "/tweet_engagement/1", "payload": {"tweet_engagement": 5, "tweet_engagement": {"like_count": "1"}}}',
        '{"topic": "/tweet_engagement/1", "payload": {"tweet_engagement": {"view_count_info": {"count": "1"},'
        ' "view_count_info": null}}}',
        '{"topic": "/tweet_engagement/1", "payload": {"tweet_engagement": {"like_count": "1"}, "config": null}}',
        '{"topic": "/tweet_engagement/1", "payload": {"dm_update": {"conversation_id": "1-2"},'
        ' "tweet_engagement": {"like_count": "1"}}}',
    ],
)
def test_duplicate_and_competing_keys_read_as_the_general_path_reads_them(line):
    """The last of duplicate keys wins on both paths, and the payload keys keep their precedence."""
    assert same(line)
    assert same(line.encode())


def test_fast_path_events_are_real_frozen_events():
    """An event from the fast path is a TweetEngagementEvent like any other: its class, frozen, equal and hashable."""
    _, payload = parse_message('{"topic":"/tweet_engagement/1","payload":{"tweet_engagement":{"like_count":"5"}}}')
    event = payload.tweet_engagement
    assert type(event) is TweetEngagementEvent
    assert event == TweetEngagementEvent(like_count=5) and hash(event) == hash(TweetEngagementEvent(like_count=5))
    assert pickle.loads(pickle.dumps(event)) == event
    with pytest.raises(AttributeError):  # frozen
        event.like_count = 6


def test_fast_path_payloads_have_every_field():
    """A fast-path Payload is a whole Payload: all six fields, discovery None, equal to the constructed one."""
    _, payload = parse_message('{"topic":"/tweet_engagement/1","payload":{"tweet_engagement":{"like_count":"5"}}}')
    assert type(payload) is Payload and len(payload) == len(Payload._fields) == 6
    assert payload.discovery is None
    assert payload == Payload(tweet_engagement=TweetEngagementEvent(like_count=5))
