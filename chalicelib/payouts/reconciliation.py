"""Daily reconciliation: what the ledger says was paid out against what the provider says it sent.

For a day (Shanghai), the ledger side is the ``payout`` transactions of that day's journal (gsi2
``JOURNAL#<date>``: each withdrawal's ``payouts_sent`` line, the fen that left), the provider's
side :func:`~chalicelib.payouts.providers.payout_records`. A withdrawal on one side only, or with
another amount, is a mismatch: money sent that the ledger does not know (a payout whose answer
was lost and that was then failed), or booked money the provider never sent. Any mismatch opens
the ops alert ``payout_mismatch`` for the day (once; ``GET /v1/admin/alerts`` lists alerts).
Started daily at 04:30 Asia/Shanghai for the day before; idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.models.payments import LedgerEntryItem
from chalicelib.observability import logger, metrics
from chalicelib.payouts.providers import payout_records
from chalicelib.workflows.alerts import open_alert

__all__ = ["Reconciliation", "ledger_payouts", "reconcile", "run_scheduled"]

ALERT = "payout_mismatch"


@dataclass(frozen=True)
class Reconciliation:
    day: str
    ledger_total: int
    provider_total: int
    mismatches: list[dict[str, Any]] = field(default_factory=list)


def ledger_payouts(day: str) -> dict[str, int]:
    """Withdrawal id -> fen sent, from the day's journal (one Query, paged)."""
    found: dict[str, int] = {}
    lines = LedgerEntryItem.gsi2.query(
        f"JOURNAL#{day}",
        filter_condition=(LedgerEntryItem.kind == "payout") & (LedgerEntryItem.account == "payouts_sent"),
    )
    for line in lines:
        found[line.order_id] = found.get(line.order_id, 0) - int(line.amount)
    return found


def reconcile(day: str) -> Reconciliation:
    """Compare the two sides for ``day``; open the alert when they differ."""
    booked, sent = ledger_payouts(day), payout_records(day)
    mismatches = [
        {
            "withdrawal_id": withdrawal_id,
            "ledger": booked.get(withdrawal_id),
            "provider": sent.get(withdrawal_id),
        }
        for withdrawal_id in sorted(set(booked) | set(sent))
        if booked.get(withdrawal_id) != sent.get(withdrawal_id)
    ]
    result = Reconciliation(day, sum(booked.values()), sum(sent.values()), mismatches)
    if mismatches:
        metrics.add_metric(name="PayoutMismatches", unit="Count", value=len(mismatches))
        open_alert(
            ALERT,
            day,
            {
                "day": day,
                "ledger_total": result.ledger_total,
                "provider_total": result.provider_total,
                "mismatches": mismatches[:50],
                "count": len(mismatches),
            },
        )
        logger.error("payouts do not reconcile", day=day, mismatches=len(mismatches))
    return result


def run_scheduled(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The schedule's target: reconcile the Shanghai day before the scheduled time."""
    raw = str(event.get("scheduled_time") or "")
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(clock.SHANGHAI)
    except ValueError:
        at = clock.now()
    day = (at.date() - timedelta(days=1)).isoformat()
    result = reconcile(day)
    return {"day": day, "mismatches": len(result.mismatches)}
