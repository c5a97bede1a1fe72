"""The ticket's status rules, pure: who may move a ticket from which status to which.

``open → in_progress → resolved → closed``; staff may also put a resolved ticket back in
progress (the customer came back) and close a ticket from any status (spam, duplicate). The
first staff reply moves an ``open`` ticket to ``in_progress``. Customers and workers change no
status themselves; they rate a resolved ticket once.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["STATUSES", "TYPES", "TicketStatus", "TicketType", "allowed", "can_message", "can_rate"]

TicketStatus = Literal["open", "in_progress", "resolved", "closed"]
TicketType = Literal["complaint", "suggestion", "question"]
STATUSES: tuple[str, ...] = ("open", "in_progress", "resolved", "closed")
TYPES: tuple[str, ...] = ("complaint", "suggestion", "question")

_STAFF_MOVES = {
    ("open", "in_progress"),
    ("open", "resolved"),
    ("in_progress", "resolved"),
    ("resolved", "in_progress"),
    ("resolved", "closed"),
    ("open", "closed"),
    ("in_progress", "closed"),
}


def allowed(current: str, target: str) -> bool:
    """May staff move a ticket from ``current`` to ``target``? (Staying put is always allowed.)"""
    return current == target or (current, target) in _STAFF_MOVES


def can_message(status: str) -> bool:
    """Both sides may write until the ticket is closed."""
    return status != "closed"


def can_rate(status: str, rating: int | None) -> bool:
    """The owner rates a resolved (or since closed) ticket, once."""
    return status in ("resolved", "closed") and rating is None
