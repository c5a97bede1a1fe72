"""Shared steps of the payout tests: completed orders booked in the ledger, workers, admins, cards.

Completion is the orders area's: here a completed order is written as its item and its ledger
lines (``ledger.record_completion``, what the completion transaction books), at a given time.
:func:`assert_balances_match_ledger` is the projection's invariant: the balance item of every
worker equals what her ledger lines say.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.models.base import transact_write
from chalicelib.models.orders import OrderItem
from chalicelib.models.payments import LedgerEntryItem
from chalicelib.models.payouts import WorkerBalanceItem
from chalicelib.payments import ledger
from tests.integration.conftest import Http
from tests.integration.order_steps import order
from tests.integration.payment_steps import assert_ledger_balanced
from tests.integration.scheduling_steps import NOW, account, service, worker

CARD = "6222021234567890128"  # passes the Luhn check
PRICE = 20000
NET = 16000  # 80 % of PRICE


def completed_order(worker_id: str, *, at: datetime | None = None, price: int = PRICE) -> str:
    """A completed order of ``worker_id`` with its completion booked at ``at`` (default now)."""
    customer_id, _ = account("customer")
    order_id = order(customer_id, worker_id, service(), status="completed")
    OrderItem(*OrderItem.key(order_id)).update(actions=[OrderItem.price_amount.set(price)])
    when = at or clock.now()
    with transact_write() as tx:
        ledger.record_completion(tx, order_id=order_id, worker_id=worker_id, amount=price, at=clock.iso(when))
    return order_id


def token_of(user_id: str, role: str = "worker") -> str:
    """A fresh access token (they last 15 minutes: sign in again after moving the clock)."""
    from chalicelib.accounts.sessions import open_session

    return open_session(user_id, role).access_token


def worker_with_token() -> tuple[str, str]:
    """A verified worker and her access token."""
    worker_id = worker()
    return worker_id, token_of(worker_id)


def admin_token() -> str:
    _, token = account("admin", "运营")
    return token


def add_card(http: Http, token: str, number: str = CARD) -> Any:
    return http.call(
        "PUT",
        "/v1/worker/payout-account",
        {"type": "bank_account", "bank_name": "招商银行", "account_name": "李秀英", "account_number": number},
        token=token,
    )


def earnings(http: Http, token: str, query: str = "") -> Any:
    response = http.call("GET", f"/v1/worker/earnings{query}", token=token)
    assert response.status_code == 200, response.json
    return response.json


def withdraw(http: Http, token: str, amount: Any, **headers: str) -> Any:
    return http.call("POST", "/v1/worker/withdrawals", {"amount": amount}, token=token, **headers)


def available_worker(http: Http, orders: int = 1) -> tuple[str, str]:
    """A worker with ``orders`` completions past the dispute window and a bank card: ready to withdraw."""
    worker_id, token = worker_with_token()
    for _ in range(orders):
        completed_order(worker_id, at=clock.now() - timedelta(days=3))
    assert add_card(http, token).status_code == 200
    return worker_id, token


def assert_balances_match_ledger() -> dict[str, dict[str, int]]:
    """Every transaction sums to zero, and each worker's balance item equals her ledger lines."""
    assert_ledger_balanced()
    expected: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in LedgerEntryItem.scan(
        LedgerEntryItem.sk.startswith("LEDGER#") & LedgerEntryItem.worker_id.exists()
    ):
        status = str(line.earning_status)
        expected[str(line.worker_id)][status] -= int(line.amount)
        if line.kind == "payout" and int(line.amount) > 0:
            expected[str(line.worker_id)]["withdrawn"] += int(line.amount)
    found = {}
    for item in WorkerBalanceItem.scan(WorkerBalanceItem.sk == "BALANCE"):
        worker_id = item.pk.removeprefix("WORKER#")
        found[worker_id] = {
            "pending": int(item.pending or 0),
            "available": int(item.available or 0),
            "in_withdrawal": int(item.in_withdrawal or 0),
            "withdrawn": int(item.withdrawn or 0),
        }
        want = expected.get(worker_id, {})
        assert found[worker_id] == {key: int(want.get(key, 0)) for key in found[worker_id]}, worker_id
    return found


__all__ = [
    "CARD",
    "NET",
    "NOW",
    "PRICE",
    "add_card",
    "admin_token",
    "assert_balances_match_ledger",
    "available_worker",
    "completed_order",
    "earnings",
    "token_of",
    "withdraw",
    "worker_with_token",
]
