"""Everything after the outbox: targets, the durable outbox, the one delivery plan, digests, the Apprise and console senders.

May import the leaves, and `notifier.rules` only for the types of explanations; never stream, account, rulefile or run.
"""

# :func:`build_targets` checks the rule file's Apprise URLs and builds a
# :class:`TargetSet`; :class:`Outbox` keeps every alert on disk before it is
# sent; :class:`Deliverer` sends what the outbox holds, retrying until each
# (alert, target) is sent or ``max_age`` has passed. A target's
# :class:`TargetPolicy` (quiet hours, budget) and an alert's ``urgent`` and
# ``group_wait`` decide when; what had to wait goes out as one digest.
# ``console://`` targets print without Apprise; Apprise is imported only for other URLs.
#
# It owns everything after the outbox: targets, the one delivery plan (quiet
# hours → budget → digest), digests, and the Apprise and ``console://`` senders.
# It may import the leaves and :mod:`notifier.alert`, and ``notifier.rules``
# only for the types of explanations; never the stream.

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import lazy_exports

# Each public name and the module it comes from, imported on first use (PEP 562):
# the rule file's loader reads the target policies and must not start asyncio,
# SQLite and the deliverer with them.
_EXPORTS = {
    "Deliverer": "notifier.delivery.deliverer",
    "DeliveryResult": "notifier.delivery.settle",
    "Outbox": "notifier.delivery.outbox",
    "OutboxRow": "notifier.delivery.outbox_rows",
    **dict.fromkeys(
        ("Budget", "PolicyError", "QuietWindow", "TargetPolicy"), "notifier.delivery.policy"
    ),
    **dict.fromkeys(("SendOutcome", "retry_delay", "send_once"), "notifier.delivery.send"),
    **dict.fromkeys(
        ("Target", "TargetSet", "build_targets", "check_url", "config_tags", "mask_url"), "notifier.delivery.targets"
    ),
}

__all__ = [
    "Budget",
    "Deliverer",
    "DeliveryResult",
    "Outbox",
    "OutboxRow",
    "PolicyError",
    "QuietWindow",
    "SendOutcome",
    "Target",
    "TargetPolicy",
    "TargetSet",
    "build_targets",
    "check_url",
    "config_tags",
    "mask_url",
    "retry_delay",
    "send_once",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__, globals())


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .deliverer import Deliverer
    from .outbox import Outbox
    from .outbox_rows import OutboxRow
    from .policy import Budget, PolicyError, QuietWindow, TargetPolicy
    from .send import SendOutcome, retry_delay, send_once
    from .settle import DeliveryResult
    from .targets import Target, TargetSet, build_targets, check_url, config_tags, mask_url
