"""Analytics kept from the source events: the daily aggregates, replays, drift repair, the endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import clock
from chalicelib.analytics.store import SHARDS, day_pk, read_days, repair_day
from chalicelib.aws import client
from chalicelib.config import settings
from tests.integration.analytics_steps import Journal, minutes
from tests.integration.conftest import Http
from tests.integration.scheduling_steps import NOW, account

pytestmark = pytest.mark.usefixtures("aws")

DAY = NOW.date().isoformat()


@pytest.fixture
def journal() -> Journal:
    clock.freeze(NOW)
    return Journal()


def _a_day(journal: Journal) -> dict[str, str]:
    """Two customers, two workers; three orders: one completed and reviewed, one cancelled, one pooled."""
    alice, bob = "usr_alice", "usr_bob"
    li, wang = "usr_li", "usr_wang"
    done = journal.order(alice, li)
    journal.event(done, "created", NOW, alice, price_amount=20000, worker_id=li)
    journal.event(done, "paid", minutes(NOW, 5))
    journal.event(done, "accepted", minutes(NOW, 9), li, from_pool=False)
    journal.event(done, "completed", minutes(NOW, 300), alice)
    journal.review(done, alice, li, minutes(NOW, 320), (5, 4, 3))
    journal.ticket("tkt_1", "complaint", minutes(NOW, 330), done)
    journal.ticket("tkt_2", "question", minutes(NOW, 331))
    cancelled = journal.order(bob, None, district="徐汇区", category="nanny")
    journal.event(cancelled, "created", NOW, bob, price_amount=20000)
    journal.event(cancelled, "paid", minutes(NOW, 3))
    journal.event(cancelled, "cancelled", minutes(NOW, 60), bob)
    journal.event(cancelled, "refunded", minutes(NOW, 61), amount=15000, fee=5000)
    pooled = journal.order(alice, wang)
    journal.event(pooled, "created", NOW, alice, price_amount=20000)
    journal.event(pooled, "paid", minutes(NOW, 1))
    journal.event(pooled, "accepted", minutes(NOW, 41), wang, from_pool=True)
    return {"done": done, "cancelled": cancelled, "pooled": pooled}


def test_a_day_of_events_becomes_the_metrics(journal: Journal, http: Http) -> None:
    _a_day(journal)
    journal.deliver()
    _, admin = account("admin")
    got = http.call("GET", f"/v1/admin/analytics?from={DAY}&to={DAY}", token=admin)
    assert got.status_code == 200, got.json
    totals = got.json["totals"]
    assert totals["orders"]["created"] == 3 and totals["orders"]["paid"] == 3
    assert totals["orders"]["completed"] == 1 and totals["orders"]["cancelled"] == 1
    assert totals["gmv"] == 60000
    assert totals["platform_take"] + totals["worker_payouts"] == 20000 and totals["platform_take"] > 0
    assert totals["refunds"] == 15000
    assert totals["active_customers"] == 2 and totals["active_workers"] == 2
    assert totals["average_ratings"] == {"quality": 5.0, "attitude": 4.0, "skill": 3.0}
    assert totals["complaint_rate"] == 1.0 and totals["complaints"] == 1
    assert totals["cancellation_rate"] == round(1 / 3, 4)
    assert totals["pool_fill_rate"] == 0.5  # two pool entries (bob's and the pooled), one filled
    assert totals["median_minutes_to_accept"] == 5  # 4 and 40 minutes: the first bucket past half
    assert totals["worker_utilisation"] == round(120 * 2 / (2 * 8 * 60), 4)
    assert set(got.json["by_category"]) == {"cleaning", "nanny"}
    assert got.json["by_category"]["nanny"]["orders"]["cancelled"] == 1
    assert got.json["by_district"]["徐汇区"]["refunds"] == 15000
    assert got.json["series"][0]["period"] == DAY


def test_replaying_the_events_changes_nothing(journal: Journal) -> None:
    _a_day(journal)
    journal.deliver()
    before = read_days([DAY])[DAY]
    journal.deliver()  # the whole stream again, as after a failed batch
    journal.deliver(journal.items[:3])
    after = read_days([DAY])[DAY]
    assert after.counters == before.counters and after.sketches == before.sketches


def test_writes_spread_over_shards(journal: Journal) -> None:
    for n in range(40):
        order_id = journal.order(f"usr_{n}", None)
        journal.event(order_id, "created", NOW, f"usr_{n}")
    journal.deliver()
    db = client("dynamodb")
    used = [
        shard
        for shard in range(SHARDS)
        if db.query(
            TableName=settings().table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": day_pk(DAY, shard)}},
        )["Items"]
    ]
    assert len(used) >= SHARDS - 1
    assert read_days([DAY])[DAY].counters["orders_created|all"] == 40


def test_the_nightly_repair_undoes_drift(journal: Journal) -> None:
    _a_day(journal)
    journal.deliver()
    good = read_days([DAY])[DAY]
    db = client("dynamodb")
    table = settings().table_name
    shard = next(
        s
        for s in range(SHARDS)
        if db.get_item(TableName=table, Key={"pk": {"S": day_pk(DAY, s)}, "sk": {"S": "CNT#all"}}).get("Item")
    )
    key = {"pk": {"S": day_pk(DAY, shard)}, "sk": {"S": "CNT#all"}}
    db.update_item(  # drift: a lost or doubled write
        TableName=table,
        Key=key,
        UpdateExpression="ADD gmv :x, orders_created :y",
        ExpressionAttributeValues={":x": {"N": "999"}, ":y": {"N": "5"}},
    )
    db.put_item(
        TableName=table, Item={"pk": {"S": day_pk(DAY, 0)}, "sk": {"S": "CNT#c:ghost"}, "gmv": {"N": "7"}}
    )
    assert read_days([DAY])[DAY].counters != good.counters
    assert repair_day(DAY) >= 2
    repaired = read_days([DAY])[DAY]
    assert repaired.counters == good.counters and repaired.sketches == good.sketches
    assert repair_day(DAY) == 0  # nothing left to fix


def test_weeks_union_their_days(journal: Journal, http: Http) -> None:
    for offset in range(3):
        at = NOW + timedelta(days=offset)
        order_id = journal.order("usr_same", None)
        journal.event(order_id, "created", at, "usr_same")
    journal.deliver()
    _, agent = account("support")
    last = (NOW + timedelta(days=2)).date().isoformat()
    got = http.call("GET", f"/v1/admin/analytics?from={DAY}&to={last}&granularity=week", token=agent)
    assert got.status_code == 200, got.json
    assert [point["orders"]["created"] for point in got.json["series"]] == [3]
    assert got.json["series"][0]["active_customers"] == 1  # the same customer on three days
    by_day = http.call("GET", f"/v1/admin/analytics?from={DAY}&to={last}", token=agent).json
    assert [point["active_customers"] for point in by_day["series"]] == [1, 1, 1]


@pytest.mark.parametrize(
    "query",
    ["?from=2027-01-10&to=2027-01-09", "?from=2025-01-01&to=2027-01-09", "?granularity=year", "?from=x"],
)
def test_bad_ranges_are_422(http: Http, query: str) -> None:
    _, admin = account("admin")
    assert http.call("GET", f"/v1/admin/analytics{query}", token=admin).status_code == 422


def test_customers_and_workers_may_not_read_analytics(http: Http) -> None:
    for role in ("customer", "worker"):
        _, token = account(role)
        assert http.call("GET", "/v1/admin/analytics", token=token).status_code == 403
