"""Term arithmetic of live-in work (chalicelib.orders.terms): days, months, rest days, pro rata."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.orders.live_in_rules import LiveInRules, live_in_rules
from chalicelib.orders.terms import (
    Span,
    add_months,
    month_term_days,
    pro_rata_refund,
    rest_days,
    served_amount,
)


def test_span_days_and_bounds() -> None:
    term = Span(date(2027, 1, 28), 26)
    assert term.last == date(2027, 2, 22)
    assert term.end == date(2027, 2, 23)
    dates = term.dates()
    assert (len(dates), dates[0], dates[-1]) == (26, "2027-01-28", "2027-02-22")
    assert term.contains(date(2027, 2, 22)) and not term.contains(date(2027, 2, 23))
    assert Span.between(date(2027, 1, 1), date(2027, 1, 1)).days == 1
    assert Span.between(date(2027, 1, 2), date(2027, 1, 1)).days == 0


@pytest.mark.parametrize(
    ("first", "months", "end", "days"),
    [
        (date(2027, 1, 10), 1, date(2027, 2, 10), 31),
        (date(2027, 2, 10), 1, date(2027, 3, 10), 28),
        (date(2028, 2, 10), 1, date(2028, 3, 10), 29),  # leap year
        (date(2027, 1, 31), 1, date(2027, 2, 28), 28),  # clamped to the month's end
        (date(2027, 11, 15), 2, date(2028, 1, 15), 61),  # across the year
    ],
)
def test_months(first: date, months: int, end: date, days: int) -> None:
    assert add_months(first, months) == end
    assert month_term_days(first, months) == days


def test_rest_days_only_for_monthly_live_in() -> None:
    rules = LiveInRules(rest_days_per_month=4)
    assert rest_days(30, "per_month", rules) == 4
    assert rest_days(31, "per_month", rules) == 4
    assert rest_days(28, "per_month", rules) == 3
    assert rest_days(61, "per_month", rules) == 8
    assert rest_days(26, "per_term", rules) == 0


def test_pro_rata_is_exact_in_fen_and_never_gives_back_more_than_paid() -> None:
    assert served_amount(1_300_000, 26, 13) == 650_000
    assert pro_rata_refund(1_300_000, 26, 13) == 650_000
    assert served_amount(1_000_000, 26, 1) == 38_462  # 38,461.5 rounded half up: the worker's day
    assert pro_rata_refund(1_000_000, 26, 1) == 961_538
    for price in (1, 99, 980_000, 1_380_001):
        for served in range(27):
            refund = pro_rata_refund(price, 26, served)
            assert 0 <= refund <= price
            assert refund + served_amount(price, 26, served) == price  # split exactly, no fen lost
    assert pro_rata_refund(500, 26, 0) == 500 and pro_rata_refund(500, 26, 26) == 0
    assert served_amount(500, 26, 40) == 500  # clamped


def test_rules_fit_one_transaction() -> None:
    rules = live_in_rules()
    # every held day is one item; order, event, unpaid slot and idempotency record take four,
    # and paying adds the payment, two ledger lines: at most 100 items
    assert rules.max_held_days + 6 <= 100
    assert 2 * rules.max_window_days + 26 <= rules.max_held_days
    assert rules.max_extension_days <= rules.max_held_days
