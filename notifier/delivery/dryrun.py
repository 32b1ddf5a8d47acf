"""Where a dry run sends: every target name of a rule file, printing to the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .targets import Target, TargetSet

if TYPE_CHECKING:
    from ..rules import RuleSet

__all__ = ["dry_run_targets"]


def dry_run_targets(ruleset: RuleSet) -> TargetSet:
    """Every name a rule can notify, resolving to console:// targets.

    One shared target for every name without a policy: an alert for [team,
    inbox] prints once, and the "alert fired" log line says where it would have
    gone. A target with quiet hours or a budget gets its own, printing as
    ``[phone] title``, so what its policy defers or folds shows where it happens.
    """
    shared = Target(key="dry-run", name="console", url="console://", masked="console://")
    names = set(ruleset.targets) | set(ruleset.tags)
    for rule in ruleset.rules:
        names.update(rule.notify)
    named: dict[str, Target] = {}
    for name in sorted(names):
        spec = ruleset.targets.get(name)
        if spec is not None and spec.policy.active:
            named[name] = Target(
                key=f"dry-run:{name}", name=name, url=f"console://{name}", masked="console://",
                policy=spec.policy,
            )
        else:
            named[name] = shared
    return TargetSet(named)
