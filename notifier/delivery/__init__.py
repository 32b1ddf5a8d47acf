"""Delivery of alerts through Apprise, durable and concurrent.

:func:`build_targets` checks the rule file's Apprise URLs and builds a
:class:`TargetSet`; :class:`Outbox` keeps every alert on disk before it is
sent; :class:`Deliverer` sends what the outbox holds, retrying until each
(alert, target) is sent or ``max_age`` has passed. A target's
:class:`TargetPolicy` (quiet hours, budget) and a rule's :class:`RulePolicy`
(urgent, group_wait) decide when; what had to wait goes out as one digest.
``console://`` targets print without Apprise; Apprise is imported only for other URLs.
"""

from .deliverer import Deliverer, DeliveryResult
from .outbox import Outbox, OutboxRow
from .policy import Budget, Hold, PolicyError, QuietWindow, RulePolicy, TargetPolicy
from .send import SendOutcome, retry_delay, send_once
from .targets import Target, TargetSet, build_targets, check_url, config_tags, mask_url

__all__ = [
    "Budget",
    "Deliverer",
    "DeliveryResult",
    "Hold",
    "Outbox",
    "OutboxRow",
    "PolicyError",
    "QuietWindow",
    "RulePolicy",
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
