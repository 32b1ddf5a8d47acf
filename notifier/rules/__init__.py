"""Rule files and the rule engine: what to watch, and when to tell.

``load_rules(path)`` reads and checks a rule file (every problem at once);
``Engine(ruleset).process(topic, payload, now)`` turns stream events into
:class:`~notifier.alert.Alert` values, keeping its memory in an
:class:`EngineState` the daemon saves.
"""

from .conditions import Condition, ConditionError, compile_condition
from .engine import Decision, Engine
from .load import load_rules, parse_duration
from .model import Every, Gain, Milestones, On, Rule, RuleSet, TargetSpec, Trigger, When
from .state import EngineState
from .templates import Template, TemplateError, compile_template

__all__ = [
    "Condition",
    "ConditionError",
    "Decision",
    "Engine",
    "EngineState",
    "Every",
    "Gain",
    "Milestones",
    "On",
    "Rule",
    "RuleSet",
    "TargetSpec",
    "Template",
    "TemplateError",
    "Trigger",
    "When",
    "compile_condition",
    "compile_template",
    "load_rules",
    "parse_duration",
]
