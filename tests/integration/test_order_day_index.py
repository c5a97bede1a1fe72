"""The sharded orders-by-start-day index: every shard filled, read back merged in start order.

The admin listing pages through a day's shards with a sort-key frontier; these tests put enough
orders on two days that every shard holds several, then page with small limits, both directions,
with and without a filter that drops most of what a Query reads, and compare with the truth.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.ids import new_id
from chalicelib.models.orders import OrderItem
from chalicelib.orders import admin_queries
from chalicelib.orders.admin_queries import OrderQuery, list_orders
from chalicelib.orders.day_index import SHARDS, day_key, orders_starting_on, start_sort_key

DAYS = (date(2027, 1, 20), date(2027, 1, 22))  # the day between stays empty


def _file(day: date, minute: int, status: str) -> tuple[str, str]:
    order_id = new_id("ord")
    start = datetime(day.year, day.month, day.day, 8, tzinfo=clock.SHANGHAI) + timedelta(minutes=minute)
    start_iso = clock.iso(start)
    OrderItem(
        *OrderItem.key(order_id),
        order_id=order_id,
        customer_id="usr_c",
        service_id="svc_1",
        category="cleaning",
        status=status,
        address={"city": "上海市", "district": "浦东新区"},
        price_amount=20000,
        start_at=start_iso,
        end_at=clock.iso(start + timedelta(hours=2)),
        duration_minutes=120,
        created_at=start_iso,
        gsi3pk=day_key(day.isoformat(), order_id),
        gsi3sk=start_sort_key(start_iso, order_id),
    ).save()
    return start_sort_key(start_iso, order_id), order_id


@pytest.fixture
def filed(aws: dict[str, str]) -> list[tuple[str, str, str]]:
    """(sort key, order id, status) of 60 orders over two days, a fifth of them completed."""
    clock.freeze(datetime(2027, 1, 19, 9, tzinfo=clock.SHANGHAI))
    chance = random.Random(7)
    orders = []
    for day in DAYS:
        for minute in chance.sample(range(600), 30):
            status = "completed" if chance.random() < 0.2 else "paid"
            orders.append((*_file(day, minute, status), status))
    return sorted(orders)


def _pages(query: OrderQuery, limit: int) -> tuple[list[str], int]:
    seen: list[str] = []
    cursor, pages = None, 0
    while True:
        views, cursor = list_orders(query, limit=limit, cursor=cursor)
        seen += [view.order_id for view in views]
        pages += 1
        assert pages < 200, "the listing does not end"
        if cursor is None:
            return seen, pages


def test_every_shard_holds_orders_of_a_day(filed: list[tuple[str, str, str]]) -> None:
    shards = {day_key(DAYS[0].isoformat(), order_id) for _, order_id, _ in filed}
    assert len(shards) == SHARDS


@pytest.mark.parametrize("limit", [1, 7, 50])
@pytest.mark.parametrize("sort", ["start_at", "-start_at"])
def test_pages_merge_the_shards_in_start_order(
    filed: list[tuple[str, str, str]], limit: int, sort: Any
) -> None:
    query = OrderQuery(date_from=DAYS[0], date_to=DAYS[1], sort=sort)
    expected = [order_id for _, order_id, _ in filed]
    seen, _ = _pages(query, limit)
    assert seen == (expected if sort == "start_at" else expected[::-1])


def test_a_sparse_filter_still_finds_each_order_once(
    filed: list[tuple[str, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin_queries, "FILTERED_READ", 3)  # shards stop early: the frontier is bounded
    query = OrderQuery(status="completed", date_from=DAYS[0], date_to=DAYS[1], sort="start_at")
    expected = [order_id for _, order_id, status in filed if status == "completed"]
    seen, pages = _pages(query, 2)
    assert seen == expected
    assert pages >= len(expected) // 2


def test_the_export_stream_reads_a_day_in_start_order(filed: list[tuple[str, str, str]]) -> None:
    first_day = [order_id for key, order_id, _ in filed if key.startswith(DAYS[0].isoformat())]
    assert [order.order_id for order in orders_starting_on(DAYS[0].isoformat(), page_size=4)] == first_day


def test_reindexing_files_unsharded_orders_under_their_shard(
    filed: list[tuple[str, str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    from chalicelib.admin_cli import main

    _, order_id, _ = filed[0]
    OrderItem(*OrderItem.key(order_id)).update(actions=[OrderItem.gsi3pk.set(f"ORDERS#{DAYS[0]}")])
    assert order_id not in _pages(OrderQuery(date_from=DAYS[0], date_to=DAYS[0]), 50)[0]
    assert main(["reindex-order-days"]) == 0
    assert main(["reindex-order-days"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "moved 1 orders to their day index shard",
        "moved 0 orders to their day index shard",
    ]
    assert order_id in _pages(OrderQuery(date_from=DAYS[0], date_to=DAYS[0]), 50)[0]
