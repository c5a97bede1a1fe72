"""The nightly run writes the day's orders to the lake: gzip JSON lines with the Glue table's columns."""

from __future__ import annotations

import gzip
import json
from datetime import date, timedelta
from typing import Any

import boto3
import pytest

from chalicelib import clock
from chalicelib.analytics.lake import GLUE_COLUMNS, ORDERS_PREFIX, partition_key
from chalicelib.analytics.nightly import run_nightly
from chalicelib.config import settings
from chalicelib.models.orders import OrderItem
from chalicelib.orders.day_index import day_key
from tests.integration.analytics_steps import Journal
from tests.integration.scheduling_steps import NOW

pytestmark = pytest.mark.usefixtures("aws")

DAY = NOW.date().isoformat()
PHONE = "13800001111"


def _order_today(journal: Journal, customer_id: str, price: int) -> str:
    """An order starting today, with a phone and a street in its address, filed in the day index."""
    order_id = journal.order(customer_id, "usr_li")
    OrderItem(*OrderItem.key(order_id)).update(
        actions=[
            OrderItem.price_amount.set(price),
            OrderItem.start_at.set(f"{DAY}T10:00:00+08:00"),
            OrderItem.address.set(
                {
                    "city": "上海市",
                    "district": "浦东新区",
                    "detail": "世纪大道 100 号",
                    "contact_phone": PHONE,
                }
            ),
            OrderItem.gsi3pk.set(day_key(DAY, order_id)),
            OrderItem.gsi3sk.set(f"{clock.iso()}#{order_id}"),
        ]
    )
    return order_id


def _partition() -> tuple[list[dict[str, Any]], str]:
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=settings().buckets["lake"], Prefix=ORDERS_PREFIX)
    assert [entry["Key"] for entry in listed["Contents"]] == [partition_key(DAY)]  # one file, always
    body = s3.get_object(Bucket=settings().buckets["lake"], Key=partition_key(DAY))["Body"].read()
    text = gzip.decompress(body).decode()
    return [json.loads(line) for line in text.splitlines()], text


def test_the_nightly_run_writes_the_days_orders_masked_and_a_rerun_overwrites_them() -> None:
    clock.freeze(NOW)
    journal = Journal()
    first = {_order_today(journal, "usr_alice", 20000), _order_today(journal, "usr_bob", 15000)}
    clock.freeze(NOW + timedelta(days=1))

    assert run_nightly(date.fromisoformat(DAY))["lake_rows"] == 2
    rows, text = _partition()
    assert partition_key(DAY) == f"orders/dt={DAY}/orders.json.gz"
    assert [list(row) for row in rows] == [[name for name, _, _ in GLUE_COLUMNS]] * 2
    assert {row["order_id"] for row in rows} == first
    assert {row["price_fen"] for row in rows} == {20000, 15000}
    assert {row["start_on"] for row in rows} == {DAY} and {row["district"] for row in rows} == {"浦东新区"}
    assert PHONE not in text and "世纪大道" not in text

    clock.freeze(NOW)
    later = _order_today(journal, "usr_carol", 9900)  # a late write: the rerun picks it up
    clock.freeze(NOW + timedelta(days=1))
    assert run_nightly(date.fromisoformat(DAY))["lake_rows"] == 3
    rows, _ = _partition()
    assert {row["order_id"] for row in rows} == first | {later}
