"""What one send to one target came to: sent, or failed and why.

A leaf of the delivery layer, so that every sender (Apprise's, console://) can
return it without importing the others.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SendOutcome"]


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """Whether the service accepted the notification; if not, why (secrets masked)."""

    ok: bool
    reason: str = ""
    status: str = "SUCCESS"
