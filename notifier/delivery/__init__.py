"""Delivery of alerts through Apprise, durable and concurrent.

:func:`build_targets` checks the rule file's Apprise URLs and builds a
:class:`TargetSet`; :class:`Outbox` keeps every alert on disk before it is
sent; :class:`Deliverer` sends what the outbox holds, retrying until each
(alert, target) is sent or ``max_age`` has passed. Importing this package
registers the ``console://`` Apprise schema.
"""

from .deliverer import Deliverer, DeliveryResult
from .outbox import Outbox, OutboxRow
from .send import SendOutcome, retry_delay, send_once
from .targets import Target, TargetSet, build_targets, check_url, config_tags, mask_url

__all__ = [
    "Deliverer",
    "DeliveryResult",
    "Outbox",
    "OutboxRow",
    "SendOutcome",
    "Target",
    "TargetSet",
    "build_targets",
    "check_url",
    "config_tags",
    "mask_url",
    "retry_delay",
    "send_once",
]
