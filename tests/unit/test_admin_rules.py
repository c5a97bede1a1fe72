"""Pure rules of support and administration: ticket moves, settings ranges, audit months, contact search."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from chalicelib import clock
from chalicelib.admin.audit_log import months_between
from chalicelib.admin.directory import contact_kind
from chalicelib.payments.ledger import balanced, dispute_refund_lines
from chalicelib.settings.schema import PlatformSettings, apply_override, validate_overrides
from chalicelib.support import rules


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("open", "in_progress", True),
        ("in_progress", "resolved", True),
        ("resolved", "closed", True),
        ("resolved", "in_progress", True),
        ("open", "closed", True),
        ("closed", "open", False),
        ("closed", "in_progress", False),
        ("resolved", "open", False),
        ("in_progress", "open", False),
        ("open", "open", True),
    ],
)
def test_ticket_moves(current: str, target: str, allowed: bool) -> None:
    assert rules.allowed(current, target) is allowed


def test_messages_until_closed_and_one_rating_after_resolution() -> None:
    assert [rules.can_message(s) for s in rules.STATUSES] == [True, True, True, False]
    assert rules.can_rate("resolved", None) and rules.can_rate("closed", None)
    assert not rules.can_rate("resolved", 4) and not rules.can_rate("in_progress", None)


def test_settings_defaults_are_the_shipped_rules() -> None:
    defaults = PlatformSettings()
    assert defaults.commission(20000) == 4000 and defaults.commission(1) == 0 and defaults.commission(3) == 1
    assert defaults.cancellation_for("cleaning").free_until_hours == 24
    assert defaults.cancellation_for("unknown") == defaults.default_cancellation
    assert [(r.workers, r.minutes) for r in defaults.matching_rounds] == [(3, 20), (10, 20), (30, 30)]


@pytest.mark.parametrize(
    "changes",
    [
        {"commission_basis_points": 5001},
        {"acceptance_timeout_minutes": 4},
        {"reminder_offsets_hours": [1, 2, 3, 4, 5]},
        {"matching_rounds": []},
        {"withdrawal": {"minimum_fen": 1000, "daily_cap_fen": 2000, "fee_fen": 1000}},
        {"cancellation": {"cleaning": {"free_until_hours": 1, "fee_percent": 101, "locked_within_hours": 0}}},
        {"live_in_deposit_basis_points": 10001},
    ],
)
def test_settings_out_of_range(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PlatformSettings.model_validate(changes)


def test_offsets_are_sorted_latest_first_and_overrides_replace_top_level_keys() -> None:
    assert PlatformSettings(reminder_offsets_hours=[2, 48]).reminder_offsets_hours == [48, 2]
    base = PlatformSettings()
    assert apply_override(base, {"commission_basis_points": 1500}).commission_basis_points == 1500
    details = validate_overrides(base, {"北京市": {"commission_basis_points": -1, "vat": 1}})
    assert sorted(d["field"] for d in details) == [
        "city_overrides.北京市.commission_basis_points",
        "city_overrides.北京市.vat",
    ]


def test_months_between_newest_first_across_a_year() -> None:
    start = datetime(2026, 11, 30, tzinfo=clock.SHANGHAI)
    end = datetime(2027, 1, 2, tzinfo=clock.SHANGHAI)
    assert months_between(start, end) == ["2027-01", "2026-12", "2026-11"]
    assert months_between(end, end) == ["2027-01"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("138 1234 5678", ("phone", "+8613812345678")),
        ("+86-138-1234-5678", ("phone", "+8613812345678")),
        ("Wang@Example.com", ("email", "wang@example.com")),
        ("王", None),
        ("1381234", None),
        ("not@an@email", None),
    ],
)
def test_contact_search_only_for_full_phones_and_emails(q: str, expected: tuple[str, str] | None) -> None:
    assert contact_kind(q) == expected


def test_a_dispute_refund_balances() -> None:
    lines = dispute_refund_lines(3000)
    assert balanced(lines) == lines and {line.account for line in lines} == {
        "dispute_refunds",
        "stripe_balance",
    }
