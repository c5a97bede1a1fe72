"""Demo earnings for ``make run``: the first demo worker (李阿姨) has two jobs completed an hour ago.

They are written as the order lifecycle leaves a completed, paid order behind: the order item
and its ledger lines (the charge, then the completion's commission and her ``pending`` share),
so ``GET /v1/worker/earnings`` shows them pending, and moving the clock two days makes them
available to withdraw (README "Earnings and payouts"). Idempotent: a worker with earnings
already gets nothing more.
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib import clock
from chalicelib.ids import stable_id
from chalicelib.models.base import transact_write
from chalicelib.models.orders import OrderItem
from chalicelib.models.payments import LedgerEntryItem
from chalicelib.payments import ledger
from local.seed_workers import _user_id

__all__ = ["seed_earnings"]

WORKER_PHONE = "13900000001"
CUSTOMER_PHONE = "13800000001"
JOBS = ((20_000, 26), (36_000, 2))  # (price in fen, hours ago it started)


def seed_earnings(service_id: str) -> str:
    """One line to print: what the demo worker has earned."""
    worker_id, customer_id = _user_id(WORKER_PHONE), _user_id(CUSTOMER_PHONE)
    if worker_id is None or customer_id is None:
        return "  earnings: no demo worker or customer"
    if next(iter(LedgerEntryItem.gsi1.query(ledger.worker_earnings_key(worker_id), limit=1)), None):
        return f"  earnings: {WORKER_PHONE} has earnings already"
    done = clock.now() - timedelta(hours=1)
    for price, hours_ago in JOBS:
        start = clock.now() - timedelta(hours=hours_ago)
        order_id = stable_id("ord", start, f"demo-earning:{worker_id}:{price}")
        OrderItem(
            *OrderItem.key(order_id),
            order_id=order_id,
            customer_id=customer_id,
            worker_id=worker_id,
            service_id=service_id,
            category="cleaning",
            status="completed",
            address={"city": "上海市", "district": "浦东新区", "detail": "世纪大道 100 号 8 楼"},
            price_amount=price,
            start_at=clock.iso(start),
            end_at=clock.iso(start + timedelta(hours=2)),
            duration_minutes=120,
            payment_ref=f"pi_demo_{order_id}",
            created_at=clock.iso(start - timedelta(days=1)),
        ).save()
        with transact_write() as tx:
            ledger.record_charge(
                tx, order_id=order_id, intent_id=f"pi_demo_{order_id}", amount=price, at=clock.iso(start)
            )
            ledger.record_completion(
                tx, order_id=order_id, worker_id=worker_id, amount=price, at=clock.iso(done)
            )
    return f"  earnings: {WORKER_PHONE} has {len(JOBS)} jobs completed an hour ago (pending for 2 days)"
