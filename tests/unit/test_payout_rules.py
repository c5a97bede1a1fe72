"""The pure rules of payouts: Luhn, masking, fee, the dispute window, series buckets, the report."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date, datetime

import pytest

from chalicelib import clock
from chalicelib.payouts.earnings import bucket_of
from chalicelib.payouts.rules import PayoutRules, luhn_valid, mask_account_number, payout_rules, release_at


@pytest.mark.parametrize("number", ["6222021234567890128", "4111111111111111", "378282246310005"])
def test_luhn_accepts_valid_card_numbers(number: str) -> None:
    assert luhn_valid(number)


def test_luhn_refuses_a_changed_digit_letters_and_odd_lengths() -> None:
    assert luhn_valid("6222021234567890128")
    assert not luhn_valid("6222021234567890129")
    assert not luhn_valid("6222021234567890182")  # two digits swapped
    assert not luhn_valid("62220212345678901a8")
    assert not luhn_valid("12345678903")  # 11 digits
    assert not luhn_valid("1" * 20)
    assert not luhn_valid("")


def test_masking_shows_only_the_last_four() -> None:
    assert mask_account_number("6222021234567890128") == "**** 0128"


def test_fee_never_exceeds_the_amount() -> None:
    assert PayoutRules(withdrawal_fee=200).fee(10_000) == 200
    assert PayoutRules(withdrawal_fee=200).fee(150) == 150
    assert PayoutRules().fee(10_000) == 0


def test_defaults_are_frozen_and_read_through_one_function() -> None:
    rules = payout_rules()
    assert (rules.dispute_window_days, rules.withdrawal_minimum, rules.account_change_hold_hours) == (
        2,
        10_000,
        24,
    )
    with pytest.raises(FrozenInstanceError):
        rules.withdrawal_fee = 1  # type: ignore[misc]


def test_the_admin_settings_set_the_window_and_the_withdrawal_limits() -> None:
    from chalicelib.settings.current import pinned
    from chalicelib.settings.schema import PlatformSettings, WithdrawalRules

    changed = PlatformSettings(
        dispute_window_days=5,
        withdrawal=WithdrawalRules(minimum_fen=20_000, daily_cap_fen=80_000, fee_fen=300),
    )
    with pinned(changed):
        rules = payout_rules()
    assert (rules.dispute_window_days, rules.withdrawal_minimum, rules.daily_cap, rules.fee(50_000)) == (
        5,
        20_000,
        80_000,
        300,
    )


def test_a_share_is_released_two_days_after_completion() -> None:
    completed = datetime(2027, 1, 18, 23, 30, tzinfo=clock.SHANGHAI)
    assert release_at(completed) == datetime(2027, 1, 20, 23, 30, tzinfo=clock.SHANGHAI)
    assert release_at(completed, PayoutRules(dispute_window_days=7)).day == 25


def test_series_buckets() -> None:
    wednesday = date(2027, 1, 20)
    assert bucket_of(wednesday, "day") == wednesday
    assert bucket_of(wednesday, "week") == date(2027, 1, 18)  # ISO weeks start on Monday
    assert bucket_of(wednesday, "month") == date(2027, 1, 1)


def test_the_state_machine_uses_the_rules_concurrency_and_attempts() -> None:
    """ASL cannot read them at run time: the file must say what the rules say."""
    import json

    from chalicelib.payouts.run import WORKFLOW
    from chalicelib.workflows.definitions import definition_path

    states = json.loads(definition_path(WORKFLOW).read_text(encoding="utf-8"))["States"]
    rules = payout_rules()
    assert states["PayBatches"]["MaxConcurrency"] == rules.payout_concurrency
    retriers = states["PayBatches"]["Iterator"]["States"]["PayBatch"]["Retry"]
    assert [r["MaxAttempts"] for r in retriers if r["ErrorEquals"] == ["States.ALL"]] == [
        rules.payout_attempts
    ]
