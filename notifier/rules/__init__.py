"""The pure rule engine: rule model, conditions, templates, triggers, engine state, catch-up, explanations, `--expect`.

May import the leaves, `notifier.alert` and `stream.events`/`stream.topics`; never delivery, rulefile or run.
"""

# :func:`notifier.rulefile.load_rules` reads a rule file into the
# :class:`RuleSet` this package runs (it imports nothing from delivery);
# ``Engine(ruleset).process(topic, payload, now)`` turns stream events into
# :class:`~notifier.alert.Alert` values, keeping its memory in an
# :class:`EngineState` the daemon saves.
#
# It owns deciding: the rule model, conditions, templates and texts, one module
# per trigger kind, the engine's state, catch-up, explanations and ``--expect``
# files. It is pure (no sockets, files or clocks) and may import only the
# leaves, :mod:`notifier.alert` and ``notifier.stream.events``/``topics``: never
# delivery, and never the rule-file layer that feeds it.

from .conditions import Condition, ConditionError, compile_condition
from .decision import Decision
from .engine import Engine
from .engine_state import EngineState
from .model import Every, Follow, Gain, Milestones, On, Rule, RuleSet, Trigger, When
from .templates import Template, TemplateError, compile_template

__all__ = [
    "Condition",
    "ConditionError",
    "Decision",
    "Engine",
    "EngineState",
    "Every",
    "Follow",
    "Gain",
    "Milestones",
    "On",
    "Rule",
    "RuleSet",
    "Template",
    "TemplateError",
    "Trigger",
    "When",
    "compile_condition",
    "compile_template",
]
