"""Conditions as people type them: numbers read as meant, other languages' operators corrected."""

from __future__ import annotations

import ast
import warnings

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from notifier.rules.conditions import ConditionError
from notifier.rules.model import ALIASES

from .helpers import compile_for_test, refused

compile = compile_for_test  # the tests read as the condition compiler's callers do


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("likes >= 1k", "likes >= 1000"),
        ("likes >= 1.5k", "likes >= 1500"),
        ("views > 1m", "views > 1000000"),
        ("views > 2.25M and likes > 10K", "views > 2250000 and likes > 10000"),
        ("likes >= 1,000", "likes >= 1000"),
        ("views >= 2,500,000 and likes < 1,000.5", "views >= 2500000 and likes < 1000.5"),
        ("(likes >= 1,000) or retweets > 5", "likes >= 1000 or retweets > 5"),
        ("not (likes >= 1,000) and (views < 2,000)", "not likes >= 1000 and views < 2000"),
        ("likes > 1_000", "likes > 1000"),
    ],
)
def test_numbers_as_people_write_them_are_read_as_meant(text, canonical):
    """1k, 1.5k, 1m and 1,000 (commas grouping threes, outside brackets) are numbers."""
    condition = compile(text)
    assert condition.canonical == canonical
    assert condition.source == text


@pytest.mark.parametrize(
    ("text", "offset", "what", "fix"),
    [
        ("likes = 1000", 6, "conditions write '==', not '='", "write it as: likes == 1000"),
        ("likes > 1 && retweets > 2", 10, "conditions write 'and', not '&&'",
         "write it as: likes > 1 and retweets > 2"),
        ("likes>1||views>2", 7, "conditions write 'or', not '||'", "write it as: likes>1 or views>2"),
        ("likes > 1 AND retweets > 2 OR views > 9", 10,
         "conditions write 'and', not 'AND'; conditions write 'or', not 'OR'",
         "write it as: likes > 1 and retweets > 2 or views > 9"),
        ("!(likes > 1)", 0, "conditions write 'not', not '!'", "write it as: not (likes > 1)"),
        ("likes => 1k", 6, "conditions write '>=', not '=>'", "write it as: likes >= 1k"),
        ("likes >= 1,00", 9, "'1,00' is not a number as written (commas group digits in threes)",
         "write it as: likes >= 100"),
        ("likes = 1,000 && view_state != 'a=b'", 6,
         "conditions write '==', not '='; conditions write 'and', not '&&'",
         "write it as: likes == 1,000 and view_state != 'a=b'"),
    ],
)
def test_other_languages_operators_get_the_whole_condition_corrected(text, offset, what, fix):
    """=, &&, ||, !, AND/OR and odd commas are named, and the user's whole condition is shown fixed."""
    assert refused(text) == [(offset, what, fix)]


def test_a_comma_with_a_blank_is_not_taken_for_a_number():
    """likes >= 1, 000 is ambiguous: refused with the number written plainly as the fix."""
    [(_, what, fix)] = refused("likes >= 1, 000")
    assert "comma" in what and "likes >= 1000" in fix


def test_commas_inside_brackets_still_separate_values():
    """In a call or a list a comma separates values: no number is made of it."""
    assert "function calls" in refused("max(likes, 1,000) > 2")[0][1]
    assert "lists" in refused("likes == [1,000]")[0][1]


@pytest.mark.parametrize(
    ("text", "offset", "what"),
    [
        ("likes > 1 and", 13, "it ends after 'and'"),
        ("likes > (1", 8, "'(' is never closed"),
        ("likes > 1)", 9, "')' closes nothing"),
        ("view_state == 'abc", 14, "the quote opened here is never closed"),
        ("likes 1000", 6, "'1000' cannot come here"),
        ("likes > 1kk", 8, "'1kk' cannot come here"),
        # Python waits for more after "if"; the language has no such word: it is the fault.
        ("likes > 1 and views > 2if", 22, "'2if' cannot come here"),
        ("likes > 5 if", 10, "'if' cannot come here"),
        ("likes > 5 and", 13, "it ends after 'and'"),
        ("likes >\x00 1", 7, "invisible control character (U+0000)"),
        ("-" * 480 + "1 > 0", 0, "nested too deeply"),
    ],
)
def test_conditions_that_do_not_parse_are_explained_in_our_words(text, offset, what):
    """A condition Python cannot parse gets our message at the right column, never Python's."""
    [(found, problem, _)] = refused(text)
    assert (found, problem.split(": ", 1)[-1]) == (offset, what) or what in problem, problem
    assert found == offset


_PYTHON_WORDS = ("invalid syntax", "Perhaps", "Maybe you meant", "unexpected EOF", "was never closed",
                 "unterminated", "invalid decimal literal", "unmatched", "does not match", "leading zeros",
                 "non-printable", "cannot assign", "EOL", "indent", "null bytes", "invalid character")
_ODD = st.text(
    alphabet=st.sampled_from(list("likesviewstate_0123456789,.kKmM=!&|<>()[]{}'\"+-*/%~ ANDORNOT:\t\\é≥@#$;")),
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_ODD, st.text(max_size=40)))
@example("indent")  # the user's own word, echoed back: not Python speaking
@example("likes > 2if")
def test_no_parser_text_ever_reaches_the_user(text):
    """Any string either compiles or fails with our own messages, never Python's parser wording."""
    try:
        compile(text)
    except ConditionError as exc:
        try:
            with warnings.catch_warnings():  # the test's own parse, for Python's wording: not the product's output
                warnings.simplefilter("ignore", SyntaxWarning)
                ast.parse(text.strip(), mode="eval")
            python = ""
        except (SyntaxError, ValueError) as syntax:
            python = str(getattr(syntax, "msg", syntax))
        for offset, what, fix in exc.problems:
            message = f"{what} — {fix}"
            # A word the user typed may be echoed back ("unknown name 'indent'"); Python's may not.
            assert not any(word in message and word not in text for word in _PYTHON_WORDS), message
            assert not python or python not in message, message
            assert 0 <= offset <= max(len(text), 1)


def test_a_rule_file_condition_mistake_keeps_its_file_line_and_column(tmp_path):
    """In a rule file the corrected condition is reported at file:line:col of the mistake."""
    from notifier.exceptions import RuleFileError
    from notifier.rulefile import load_rules

    from .helpers import TWEET, write_rules

    path = write_rules(tmp_path, f"""
        - name: A
          tweets: ["{TWEET}"]
          when: likes >= 1.5k && retweets = 10
    """)
    with pytest.raises(RuleFileError) as caught:
        load_rules(path, env={})
    assert caught.value.problems == [(
        f"{path}:10:25: when: conditions write 'and', not '&&'; conditions write '==', not '=' — "
        "write it as: likes >= 1.5k and retweets == 10"
    )]


@pytest.mark.parametrize("text", ["{likes", "likes}", "{likes:%Y}", "{rule:,}", "{likes:zz}"])
def test_template_errors_show_no_python_wording(text):
    """A template Python's formatter refuses is explained without the formatter's own message."""
    from notifier.rules.templates import TemplateError, compile_template
    from notifier.rules.texts import placeholders

    with pytest.raises(TemplateError) as caught:
        compile_template(text, placeholders("when"), ALIASES)
    for _, what, fix in caught.value.problems:
        message = f"{what} — {fix}"
        assert not any(word in message for word in ("encountered", "Invalid format", "Unknown format", "format code"))


@pytest.mark.parametrize("text", ["likes > 1 and views > 2if", "likes > 1and views > 2", "likes > 0x1for"])
def test_python_never_speaks_for_itself_while_a_condition_is_read(text):
    """A number run into a word makes Python's parser warn; none of its warnings reaches the user's terminal."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            compile(text)
        except ConditionError:
            pass  # refused in our words (tested above); the point here is the silence
    assert [str(warning.message) for warning in caught] == []
