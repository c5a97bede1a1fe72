"""Pricing per unit and the cancellation policy (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chalicelib.clock import SHANGHAI
from chalicelib.errors import ValidationFailed
from chalicelib.orders.policy import POLICIES, Policy, cancel_terms, policy_for, reschedule_allowed
from chalicelib.orders.pricing import quote


def test_hourly_price_follows_the_duration() -> None:
    assert quote(price_unit="per_hour", price_min=5000, service_minutes=120).amount == 10000
    longer = quote(price_unit="per_hour", price_min=5000, service_minutes=120, duration_minutes=210)
    assert (longer.amount, longer.duration_minutes) == (17500, 210)
    # half up to the fen: 3333 fen/h for 90 min = 4999.5
    assert quote(price_unit="per_hour", price_min=3333, service_minutes=90).amount == 5000


@pytest.mark.parametrize("minutes", [100, 60, 750])
def test_hourly_duration_must_be_on_the_grid_and_within_bounds(minutes: int) -> None:
    with pytest.raises(ValidationFailed) as error:
        quote(price_unit="per_hour", price_min=5000, service_minutes=120, duration_minutes=minutes)
    assert error.value.details[0]["field"] == "duration_minutes"


@pytest.mark.parametrize("unit", ["per_visit", "per_day", "per_month", "per_term"])
def test_other_units_cost_price_min_and_last_the_service(unit: str) -> None:
    price = quote(price_unit=unit, price_min=880000, service_minutes=480)
    assert (price.amount, price.currency, price.duration_minutes) == (880000, "CNY", 480)
    assert quote(price_unit=unit, price_min=1, service_minutes=480, duration_minutes=480).amount == 1
    with pytest.raises(ValidationFailed) as error:
        quote(price_unit=unit, price_min=1, service_minutes=480, duration_minutes=240)
    assert error.value.details[0]["code"] == "duration_not_adjustable"


START = datetime(2027, 1, 20, 9, 0, tzinfo=SHANGHAI)
CLEANING = POLICIES["cleaning"]  # the shipped default (policy_for reads the admin settings)


def _terms(hours_before: float, *, paid: bool = True, actor: str = "customer") -> tuple[bool, int, int]:
    terms = cancel_terms(
        CLEANING, start=START, now=START - timedelta(hours=hours_before), price=10000, paid=paid, actor=actor
    )
    return terms.locked, terms.fee, terms.refund


def test_cancel_terms_by_window() -> None:
    assert _terms(30) == (False, 0, 10000)
    assert _terms(24) == (False, 0, 10000)  # "until N hours before" includes N
    assert _terms(23.5) == (False, 2000, 8000)
    assert _terms(2) == (False, 2000, 8000)
    assert _terms(1.9) == (True, 0, 0)
    assert _terms(30, paid=False) == (False, 0, 0)


def test_worker_and_admin_cancellations_refund_everything() -> None:
    assert _terms(1, actor="worker") == (False, 0, 10000)
    assert _terms(1, actor="admin") == (False, 0, 10000)
    worker = cancel_terms(CLEANING, start=START, now=START, price=10000, paid=True, actor="worker")
    assert worker.worker_penalty


def test_policy_snapshot_round_trips_and_reschedule_window() -> None:
    policy = policy_for("maternity_nurse")
    assert Policy.from_snapshot(policy.snapshot()) == policy
    assert policy_for("unknown") == policy_for("cleaning")
    assert reschedule_allowed(CLEANING, start=START, now=START - timedelta(hours=2))
    assert not reschedule_allowed(CLEANING, start=START, now=START - timedelta(hours=1))
