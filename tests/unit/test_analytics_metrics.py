"""The metric definitions: what a fact adds, how sums become figures, the sketch, and the docs."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from chalicelib import clock
from chalicelib.analytics import sketch
from chalicelib.analytics.metrics import COUNTERS, DERIVED, SKETCHES, Fact, contributions, day_of, figures

AT = datetime(2027, 1, 18, 23, 30, tzinfo=clock.SHANGHAI)


def test_a_late_evening_event_counts_on_its_shanghai_day() -> None:
    assert day_of(AT) == "2027-01-18"
    assert day_of(datetime.fromisoformat("2027-01-18T16:30:00+00:00")) == "2027-01-19"


def test_a_completion_books_take_and_payout_in_every_dimension() -> None:
    fact = Fact(
        event_id="e1",
        kind="order.completed",
        at=AT,
        category="nanny",
        district="徐汇区",
        customer_id="c1",
        worker_id="w1",
        amount=30000,
        take=6000,
    )
    added = contributions(fact)
    for dim in ("all", "c:nanny", "d:徐汇区"):
        assert added.counters[f"platform_take|{dim}"] == 6000
        assert added.counters[f"worker_payouts|{dim}"] == 24000
        assert added.counters[f"orders_completed|{dim}"] == 1
    assert set(added.sketches) == {
        f"{name}|{dim}" for name in SKETCHES for dim in ("all", "c:nanny", "d:徐汇区")
    }


def test_registrations_count_by_role_and_staff_do_not() -> None:
    assert contributions(Fact(event_id="r", kind="registration", at=AT, role="worker")).counters == {
        "registrations_worker|all": 1
    }
    assert contributions(Fact(event_id="r", kind="registration", at=AT, role="admin")).counters == {}


def test_rates_are_none_without_a_denominator() -> None:
    shown = figures({}, {}, "all", 1)
    assert shown["complaint_rate"] is None and shown["cancellation_rate"] is None
    assert shown["median_minutes_to_accept"] is None and shown["worker_utilisation"] is None
    assert shown["gmv"] == 0 and shown["currency"] == "CNY"


def test_the_sketch_is_close_and_bounded() -> None:
    members = {sketch.observation(f"usr_{n}") for n in range(20000)}
    assert abs(sketch.estimate(members) - 20000) / 20000 < 0.1
    assert len(members) < sketch.REGISTERS * 64
    small = {sketch.observation(f"usr_{n}") for n in range(37)}
    assert sketch.estimate(small) == 37
    assert sketch.estimate(small | small) == 37  # adding again changes nothing


def test_every_metric_is_documented() -> None:
    text = Path(__file__).resolve().parents[2].joinpath("docs", "analytics.md").read_text()
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.M))
    assert documented == set(COUNTERS) | set(SKETCHES) | set(DERIVED)
