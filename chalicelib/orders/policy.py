"""Cancellation and reschedule windows as data: one policy per category, snapshotted on each order.

A policy says: free to cancel until ``free_until_hours`` before the start; after that a fee of
``fee_percent`` of the price; within ``locked_within_hours`` the customer can neither cancel nor
reschedule (support can). The policy in force at booking is stored on the order and shown on
``GET /v1/orders/{id}``, so a later change of settings never changes what a customer agreed to.

Who cancels matters: the customer pays the fee; a cancellation by the worker or an admin refunds
everything (a worker's cancellation is recorded as ``worker_penalty`` for the penalty rules).
Nothing is refunded for an order that was never paid.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "DEFAULT_POLICY",
    "POLICIES",
    "CancelTerms",
    "Policy",
    "cancel_terms",
    "policy_for",
    "reschedule_allowed",
]


@dataclass(frozen=True)
class Policy:
    free_until_hours: int
    fee_percent: int
    locked_within_hours: int

    def snapshot(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> Policy:
        return cls(int(data["free_until_hours"]), int(data["fee_percent"]), int(data["locked_within_hours"]))


DEFAULT_POLICY = Policy(free_until_hours=24, fee_percent=20, locked_within_hours=2)

POLICIES: dict[str, Policy] = {
    # short visits: a day's notice is enough to fill the slot again
    "cleaning": Policy(free_until_hours=24, fee_percent=20, locked_within_hours=2),
    "home_repair": Policy(free_until_hours=12, fee_percent=20, locked_within_hours=2),
    # live-in and long-term care: the worker turns other families down for it
    "nanny": Policy(free_until_hours=72, fee_percent=10, locked_within_hours=24),
    "maternity_nurse": Policy(free_until_hours=168, fee_percent=10, locked_within_hours=48),
    "infant_care": Policy(free_until_hours=72, fee_percent=10, locked_within_hours=24),
    "elder_care": Policy(free_until_hours=48, fee_percent=10, locked_within_hours=12),
}


def policy_for(category: str, city: str | None = None) -> Policy:
    """The policy in force for a category (admin settings, with the city's override if any).

    :data:`POLICIES` and :data:`DEFAULT_POLICY` are the shipped defaults of those settings.
    """
    from chalicelib.settings.current import current_settings

    terms = current_settings(city).cancellation_for(category)
    return Policy(terms.free_until_hours, terms.fee_percent, terms.locked_within_hours)


@dataclass(frozen=True)
class CancelTerms:
    """What a cancellation costs: ``locked`` means it may not happen (for this actor)."""

    locked: bool
    fee: int  # fen kept
    refund: int  # fen owed back
    worker_penalty: bool


def cancel_terms(
    policy: Policy, *, start: datetime, now: datetime, price: int, paid: bool, actor: str
) -> CancelTerms:
    """Apply ``policy`` to a cancellation by ``actor`` at ``now`` of a job starting at ``start``."""
    before = start - now
    if actor != "customer":
        return CancelTerms(False, 0, price if paid else 0, worker_penalty=actor == "worker")
    if before < timedelta(hours=policy.locked_within_hours):
        return CancelTerms(True, 0, 0, False)
    if not paid:
        return CancelTerms(False, 0, 0, False)
    fee = 0 if before >= timedelta(hours=policy.free_until_hours) else price * policy.fee_percent // 100
    return CancelTerms(False, fee, price - fee, False)


def reschedule_allowed(policy: Policy, *, start: datetime, now: datetime) -> bool:
    """A customer may move a job until the locked window before its (current) start."""
    return start - now >= timedelta(hours=policy.locked_within_hours)
