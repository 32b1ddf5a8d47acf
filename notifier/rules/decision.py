"""A rule's verdict on one event, as the engine records it for ``explain``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Decision"]


@dataclass(frozen=True, slots=True)
class Decision:
    """Why a rule did or did not fire for one event (``explain``).

    ``outcome`` is one of ``fired``, ``no_match``, ``unknown`` (a value is not
    known yet), ``initial`` (first observation: state set, nothing announced),
    ``waiting`` (still true since it last fired; waits to re-arm), ``rearmed``,
    ``cooldown`` (matched, held back by the cooldown), ``once`` (fired once
    already), ``announced`` (no milestone above the ones announced) or ``own``
    (a DM event from the account itself). ``matched`` says whether the trigger's
    condition held (None when unknown).
    """

    rule: str
    topic: str
    key: str
    outcome: str
    matched: bool | None
    detail: str
    values: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.rule} [{self.key}]: {self.outcome} — {self.detail}"
