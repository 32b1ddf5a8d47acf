"""The rule file: YAML, env expansion, targets and policies, account, rules; every error with file:line:col and the fix.

May import `notifier.rules`, `delivery.policy`/`delivery.targets`, `stream.topics` and the leaves; never run.
"""

# ``load_rules(path)`` reads and checks a rule file (every problem at once) into
# a :class:`RuleFile`: the :class:`~notifier.rules.model.RuleSet` the engine
# runs, plus the targets, target policies and account that delivery and the
# stream client use.
#
# It may import the engine (:mod:`notifier.rules`), ``notifier.delivery.policy``
# and ``targets`` (to check targets and policies where they are written),
# ``notifier.stream.topics`` and the leaves; nothing imports it but the
# commands, the daemon's parts and the package's top level.

from ..durations import parse_duration
from .load import load_rules
from .model import RuleFile, TargetSpec
from .rules import TYPING_COOLDOWN

__all__ = ["TYPING_COOLDOWN", "RuleFile", "TargetSpec", "load_rules", "parse_duration"]
