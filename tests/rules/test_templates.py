"""Templates: checked placeholders, format specs, and text that never fails to render."""

from __future__ import annotations

import pytest

from notifier.durations import format_duration
from notifier.rules.templates import TemplateError, compile_template, event_time

PLACEHOLDERS = {"likes": "int", "rule": "text", "time": "time", "gain": "int"}


def test_render_with_format_specs_and_literal_braces():
    """Format specs apply; doubled braces are literal."""
    template = compile_template("{rule}: {likes:,} likes {{x}} {likes:>8}", PLACEHOLDERS)
    assert template.render({"rule": "R", "likes": 1234567}) == "R: 1,234,567 likes {x}  1234567"
    assert template.names == {"rule", "likes"}


def test_unknown_values_render_as_question_mark():
    """A placeholder whose value is not known renders '?', whatever its spec."""
    assert compile_template("{likes:,} likes", PLACEHOLDERS).render({}) == "? likes"


def test_time_reads_well_and_takes_strftime_specs():
    """{time} is UTC and short; {time:%H:%M} works."""
    values = {"time": event_time(1_700_000_000)}
    assert compile_template("{time}", PLACEHOLDERS).render(values) == "2023-11-14 22:13 UTC"
    assert compile_template("{time:%H:%M}", PLACEHOLDERS).render(values) == "22:13"


def test_conversions_are_allowed():
    """!r and !s conversions work."""
    assert compile_template("{rule!r}", PLACEHOLDERS).render({"rule": "R"}) == "'R'"


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("{nope}", "unknown placeholder {nope}"),
        ("{like}", "unknown placeholder {like}"),
        ("{likes.real}", "uses attribute or index access"),
        ("{likes[0]}", "uses attribute or index access"),
        ("{}", "has no name"),
        ("{0}", "has no name"),
        ("{likes:{gain}}", "contains a placeholder"),
        ("{rule:,}", "does not suit {rule}"),
        ("{likes:%Y}", "does not suit {likes}"),
        ("{likes", "unbalanced braces"),
        ("likes}", "unbalanced braces"),
    ],
)
def test_refused_templates(text, what):
    """Unknown placeholders, attribute/index access and unfit specs are load errors."""
    with pytest.raises(TemplateError) as caught:
        compile_template(text, PLACEHOLDERS)
    assert what in caught.value.problems[0][1]


def test_suggestion_and_offset():
    """A misspelt placeholder gets a suggestion and the offset of its brace."""
    with pytest.raises(TemplateError) as caught:
        compile_template("Now {like} likes", PLACEHOLDERS)
    offset, _, fix = caught.value.problems[0]
    assert offset == 4 and fix == "did you mean {likes}?"


def test_aliases():
    """An alias resolves to its placeholder."""
    template = compile_template("{like_count:,}", PLACEHOLDERS, {"like_count": "likes"})
    assert template.render({"likes": 2000}) == "2,000"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(600, "10 minutes"), (5400, "1 hour 30 minutes"), (1, "1 second"), (86400, "1 day"), (90, "1 minute 30 seconds")],
)
def test_durations_read_in_words(seconds, text):
    """Durations read as words."""
    assert format_duration(seconds, words=True) == text
