"""Conditions: a whitelisted, typed expression language compiled without evaluating user text."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.rules.conditions import MAX_LENGTH, compile_condition

from .helpers import CONDITION_NAMES, compile_for_test, refused

compile = compile_for_test  # the tests read as the condition compiler's callers do


@pytest.mark.parametrize(
    ("text", "snapshot", "expected"),
    [
        ("likes > 1000", {"likes": 1001}, True),
        ("likes >= 1000", {"likes": 999}, False),
        ("1000 < likes < 5000", {"likes": 4999}, True),
        ("1000 < likes < 5000", {"likes": 5000}, False),
        ("likes + retweets - 1 >= 10", {"likes": 5, "retweets": 6}, True),
        ("not (likes > 5 or views > 5)", {"likes": 1, "views": 1}, True),
        ("-likes < -10", {"likes": 11}, True),
        ("views > 1.5e3", {"views": 1501}, True),
        ("likes > 1_000", {"likes": 1001}, True),
        ("view_state == 'EnabledWithCount' and views != 0", {"view_state": "EnabledWithCount", "views": 3}, True),
        ("like_count > 1 and retweet_count > 1", {"likes": 2, "retweets": 2}, True),
    ],
)
def test_whitelisted_conditions_evaluate_like_python(text, snapshot, expected):
    """Names, numbers, text, chained comparisons, and/or/not, + and - work as in Python."""
    assert compile(text)(snapshot) is expected


@pytest.mark.parametrize(
    ("text", "snapshot", "expected"),
    [
        ("likes > 1", {}, None),
        ("likes > 1 and views > 1", {"likes": 0}, False),
        ("likes > 1 and views > 1", {"likes": 5}, None),
        ("likes > 1 or views > 1", {"likes": 5}, True),
        ("likes > 1 or views > 1", {"likes": 0}, None),
        ("not likes > 1", {}, None),
        ("likes + views > 1", {"likes": 5}, None),
        ("1 < likes < views", {"likes": 0}, False),
        ("1 < likes < views", {"likes": 5}, None),
    ],
)
def test_unknown_values_give_three_valued_answers(text, snapshot, expected):
    """A value not known yet makes the answer unknown (None) unless the rest decides it."""
    assert compile(text)(snapshot) is expected


@pytest.mark.parametrize(
    ("text", "offset", "what"),
    [
        ("likes.real > 1", 0, "attribute access"),
        ("abs(likes) > 1", 0, "function calls"),
        ("likes[0] > 1", 0, "indexing"),
        ("likes ** 2 > 1", 6, "'**'"),
        ("likes * 2 > 1", 6, "'*'"),
        ("likes / 2 > 1", 6, "'/'"),
        ("likes > 1 and [x for x in likes]", 14, "comprehensions"),
        ("(lambda: 1)() > 0", 0, "function calls"),
        ("likes if views else retweets", 0, "'x if c else y'"),
        ("(x := 1) > 0", 1, "':='"),
        ("likes in (1, 2)", 6, "'in'"),
        ("likes is 1", 6, "'is'"),
        ("likes > True", 8, "'True'"),
        ("likes > None", 8, "'None'"),
        ("likes > 'many'", 8, "compares a number with a text value"),
        ("view_state > 'A'", 0, "text can only be compared with == or !="),
        ("view_state + 1 > 2", 0, "'+' needs numbers"),
        ("not likes", 0, "'not' needs true/false"),
        ("likes", 0, "is a number, not true or false"),
        ("likes and views > 1", 0, "'and' joins true/false parts"),
        ("liks > 1", 0, "unknown name 'liks'"),
        ("likes > 1 and", 13, "not a valid condition"),
        ("f'{likes}' == 'x'", 0, "f-strings"),
        ("~likes > 1", 0, "'~'"),
        ("b'x' == view_state", 0, "bytes literals"),
    ],
)
def test_refused_constructs_name_their_column(text, offset, what):
    """Everything outside the whitelist is refused at load, pointing at the offending node."""
    problems = refused(text)
    assert problems[0][0] == offset, problems
    assert what in problems[0][1], problems


def test_misspelt_names_get_a_suggestion():
    """An unknown name close to a known one suggests it; a distant one lists the names."""
    assert refused("retweet > 1")[0][2] == "did you mean 'retweets'?"
    assert refused("like_cnt > 1")[0][2] == "did you mean 'like_count'?"
    assert refused("zzz > 1")[0][2].startswith("use one of: likes,")


def test_every_problem_in_a_condition_is_listed():
    """Two mistakes in one condition are both reported."""
    problems = refused("liks > 1 and views > 'x'")
    assert [offset for offset, _, _ in problems] == [0, 21]


def test_columns_count_characters_not_bytes():
    """After non-ASCII text the column is still a character index."""
    problems = refused("view_state == 'ééé' and likez > 1")
    assert problems[0][0] == "view_state == 'ééé' and ".__len__()


def test_length_limit():
    """Conditions longer than 500 characters are refused."""
    text = "likes > 1" + " " * (MAX_LENGTH - 9)
    compile(text)
    problems = refused(text + "0")
    assert "over the limit of 500" in problems[0][1]


def test_user_text_is_never_evaluated():
    """Code-like text is refused or stays data; the compiled function has no builtins."""
    assert "function calls" in refused("__import__('os').system('true')")[0][1]
    condition = compile("view_state == \"__import__('os')\"")
    assert condition({"view_state": "__import__('os')"}) is True
    assert condition.fast.__globals__["__builtins__"] == {}


def test_canonical_form_ignores_aliases_and_spacing():
    """Two spellings of one condition are equal (this is what keeps state across reloads)."""
    assert compile("like_count>1000") == compile("likes  >  1000")
    assert compile("likes > 1000").canonical == "likes > 1000"
    assert compile("likes > 1000") != compile("likes > 1001")
    assert compile("  likes >\n 1000").source == "likes > 1000"


def test_extra_names_can_be_allowed():
    """Callers may add names (gain rules' rearm_when reads gain)."""
    condition = compile_condition("gain < 100", {**CONDITION_NAMES, "gain": "number"})
    assert condition({"gain": 50.5}) is True


EXPRESSIONS = [
    "likes > 10 and views > 100",
    "likes > 10 or views > 100 or not retweets < 3",
    "1 < likes + retweets - views < 50",
    "not (likes == views) and (retweets >= 2 or likes != 3)",
]


@settings(max_examples=200, deadline=None)
@given(
    expression=st.sampled_from(EXPRESSIONS),
    values=st.fixed_dictionaries({}, optional={name: st.integers(-5, 200) for name in ("likes", "views", "retweets")}),
)
def test_three_valued_answers_are_sound(expression, values):
    """A known answer with unknown names holds for every value those names could take."""
    condition = compile(expression)
    answer = condition(values)
    missing = [name for name in ("likes", "views", "retweets") if name not in values]
    for filler in itertools.product((-5, 0, 3, 7, 60, 200), repeat=len(missing)):
        complete = {**values, **dict(zip(missing, filler))}
        full = condition.fast(complete)
        assert full is condition.kleene(complete)
        if answer is not None:
            assert full is answer
