"""Counts read the same wherever the rule file takes one: 1k, 1.5k, 1,000, 2M; errors show one-line YAML."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from notifier.counts import parse_count
from notifier.delivery.policy import parse_budget
from notifier.exceptions import RuleFileError
from notifier.rulefile import load_rules
from notifier.rules import Every, Gain, Milestones

from .helpers import write_rules


@pytest.mark.parametrize(("text", "value"), [
    ("1000", 1000), ("1_000", 1000), ("1,000", 1000), ("1,000,000", 1_000_000), ("1k", 1000), ("1K", 1000),
    ("1.5k", 1500), ("2M", 2_000_000), ("2m", 2_000_000), ("0.5", Decimal("0.5")), (" 10k ", 10_000), (250, 250),
])
def test_a_count_reads_as_people_write_it(text, value):
    """Thousands and millions by suffix, commas grouping threes, underscores: one value."""
    assert parse_count(text) == value


@pytest.mark.parametrize("text", ["1,00", "12,3456", "k", "1kk", "1 000", "ten", "", True, None, "1.5.2"])
def test_what_is_not_a_count_is_refused(text):
    """A comma that does not group threes, or a word, is no count: no reading of it is safe."""
    assert parse_count(text) is None


def test_every_milestones_and_gain_take_the_counts_a_condition_takes(tmp_path):
    """`every: {likes: 1k}`, milestones in k and M, `gain: 1,000` (block style) load as when: likes > 1k does."""
    path = write_rules(tmp_path, """\
  - name: Every
    tweets: [1]
    every: {likes: 1k}
  - name: Milestones
    tweets: [1]
    milestones: {likes: [500, 1k, 1.5k, 2M]}
  - name: Gain
    tweets: [1]
    gain:
      likes: 1,000
      within: 10m
  - name: When
    tweets: [1]
    when: likes > 1k
""")
    rules = {rule.name: rule.trigger for rule in load_rules(path, env={}).rules}
    assert rules["Every"] == Every("likes", 1000)
    assert rules["Milestones"] == Milestones("likes", (500, 1000, 1500, 2_000_000))
    assert isinstance(rules["Gain"], Gain) and rules["Gain"].amount == 1000


def _problem(tmp_path, rule: str) -> str:
    path = write_rules(tmp_path, rule)
    with pytest.raises(RuleFileError) as caught:
        load_rules(path, env={})
    (problem,) = caught.value.problems
    return problem


@pytest.mark.parametrize(("trigger", "shown", "example"), [
    ("every: {likes: 1.5}", "every: likes: 1.5 is not a whole number above zero", "every: {likes: 1000}"),
    ("every: {views: lots}", "every: views: lots is not a whole number above zero", "every: {views: 1000}"),
    ("milestones: {likes: [100, 0]}", "milestones: likes: 0 is not a whole number above zero",
     "milestones: {likes: [100, 1000, 10000]}"),
    ("gain: {likes: -5, within: 5m}", "gain: likes: -5 is not a number above zero",
     "gain: {likes: 500, within: 5m}"),
])
def test_a_bad_count_names_its_value_and_shows_one_line_yaml_that_loads(tmp_path, trigger, shown, example):
    """The error quotes what was written and a fix in flow style that is itself valid YAML and a valid rule."""
    problem = _problem(tmp_path, f"  - name: A\n    tweets: [1]\n    {trigger}\n")
    assert shown in problem and f"write {example}" in problem and "1k" in problem, problem
    assert isinstance(yaml.safe_load(example), dict)
    fixed = write_rules(tmp_path, f"  - name: A\n    tweets: [1]\n    {example}\n")
    assert load_rules(fixed, env={}).rules


def test_max_posts_and_budgets_take_counts_too(tmp_path):
    """`max_posts: 1k` and `budget: 1k/d` read as 1000."""
    path = write_rules(tmp_path, """\
  - name: Mine
    tweets: {from: me, max_posts: 1k}
    every: {likes: 1k}
""")
    (rule,) = load_rules(path, env={}).rules
    assert rule.follow.max_posts == 1000
    assert parse_budget("1k/d").count == 1000 and parse_budget("1,000/d").count == 1000


@pytest.mark.parametrize(("trigger", "meant"), [
    ("every: {likes: 1,000}", "every: {likes: 1000}"),
    ("milestones: {likes: [1,000, 10,000, 1,000,000]}", "milestones: {likes: [1000, 10000, 1000000]}"),
    ("gain: {likes: 1,000, within: 10m}", "gain: {likes: 1000, within: 10m}"),
])
def test_a_grouping_comma_inside_flow_yaml_is_named_and_the_line_shown_fixed(tmp_path, trigger, meant):
    """YAML splits {likes: 1,000} at the comma; the error says so and shows the user's line with 1000, which loads."""
    problem = _problem(tmp_path, f"  - name: A\n    tweets: [1]\n    {trigger}\n")
    assert "a comma inside {…} or […] separates entries" in problem and f"write {meant} (or 1k)" in problem, problem
    fixed = write_rules(tmp_path, f"  - name: A\n    tweets: [1]\n    {meant}\n")
    assert load_rules(fixed, env={}).rules


def test_a_list_written_without_spaces_is_still_a_list(tmp_path):
    """[100,200] is two milestones in YAML, and stays two: only a split that leaves 000 is read as a 1,000."""
    path = write_rules(tmp_path, "  - name: A\n    tweets: [1]\n    milestones: {likes: [100,200]}\n")
    (rule,) = load_rules(path, env={}).rules
    assert rule.trigger == Milestones("likes", (100, 200))
