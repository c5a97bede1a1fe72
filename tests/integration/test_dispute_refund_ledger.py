"""Where an admin refund of a done job takes its money from, by when it happens.

Before completion the prepayment pays it and completion books only what is left; inside the
dispute window the completion is reversed in proportion (the worker's pending share and the
commission give it back); after the window the platform bears it (``dispute_refunds``). Every
case keeps the ledger balanced and the worker's balance item equal to her ledger lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import clock
from chalicelib.models.orders import OrderItem
from chalicelib.orders import lifecycle
from chalicelib.payouts.balance import balance_of
from tests.integration.conftest import Http
from tests.integration.order_steps import set_status
from tests.integration.payment_steps import (
    PRICE,
    Shop,
    assert_ledger_balanced,
    faked_stripe,
    open_shop,
    paid_order,
)
from tests.integration.payout_steps import assert_balances_match_ledger
from tests.integration.scheduling_steps import account
from tests.integration.stripe_fake import StripeFake

COMMISSION = PRICE // 5  # the default 20 %


@pytest.fixture
def stripe_fake(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeFake]:
    yield from faked_stripe(monkeypatch)


@pytest.fixture
def shop(stripe_fake: StripeFake) -> Shop:
    return open_shop()


def _refund(http: Http, order_id: str, amount: int, key: str) -> Any:
    _, admin = account("admin", "管理员")
    return http.call(
        "POST",
        f"/v1/admin/orders/{order_id}/refund",
        {"amount": amount, "reason": "清洁不到位"},
        token=admin,
        **{"Idempotency-Key": key},
    )


def _finished_order(
    http: Http, api: Client, aws: dict[str, str], fake: StripeFake, shop: Shop
) -> tuple[str, str]:
    order_id, _ = paid_order(http, api, aws, fake, shop)
    set_status(order_id, "finished")
    worker_id = str(OrderItem.get(*OrderItem.key(order_id)).worker_id)
    return order_id, worker_id


def test_before_completion_the_prepayment_pays_and_completion_books_the_rest(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake, shop: Shop
) -> None:
    order_id, worker_id = _finished_order(http, api, aws, stripe_fake, shop)
    assert _refund(http, order_id, 5000, "before").status_code == 201
    assert lifecycle.auto_complete(order_id)

    assert_balances_match_ledger()
    left = PRICE - 5000
    assert balance_of(worker_id).pending == left - left // 5
    order = assert_ledger_balanced()[order_id]
    assert order.get("dispute_refunds", 0) == 0 and order["customer_prepayments"] == 0
    assert (order["stripe_balance"], order["platform_commission"]) == (left, -(left // 5))


def test_inside_the_window_the_completion_is_reversed_in_proportion(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake, shop: Shop
) -> None:
    order_id, worker_id = _finished_order(http, api, aws, stripe_fake, shop)
    assert lifecycle.auto_complete(order_id)
    assert balance_of(worker_id).pending == PRICE - COMMISSION

    assert _refund(http, order_id, 5000, "inside").status_code == 201
    assert balance_of(worker_id).pending == PRICE - COMMISSION - 4000  # 80 % of the refund
    order = assert_ledger_balanced()[order_id]
    assert order.get("dispute_refunds", 0) == 0 and order["customer_prepayments"] == 0
    assert (order["stripe_balance"], order["platform_commission"]) == (PRICE - 5000, -(COMMISSION - 1000))
    assert_balances_match_ledger()


def test_after_the_window_the_platform_bears_it_and_the_share_stays(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake, shop: Shop
) -> None:
    order_id, worker_id = _finished_order(http, api, aws, stripe_fake, shop)
    assert lifecycle.auto_complete(order_id)
    clock.freeze(clock.now() + timedelta(days=3))  # past the two-day window, not yet released

    assert _refund(http, order_id, 5000, "after").status_code == 201
    order = assert_ledger_balanced()[order_id]
    assert order["dispute_refunds"] == 5000 and order["platform_commission"] == -COMMISSION
    balance = balance_of(worker_id)
    assert balance.pending + balance.available == PRICE - COMMISSION
    assert_balances_match_ledger()
