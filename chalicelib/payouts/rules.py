"""The payout rules (one frozen dataclass, read through :func:`payout_rules`) and the pure checks.

Everything here is pure: the dispute window, the withdrawal limits and fee, the payout run's
concurrency and retries, the Luhn check of a bank card number and how it is masked.
:func:`payout_rules` is the one place the rest of the area reads the rules from: the dispute
window and the withdrawal minimum, daily cap and fee come from the admin settings
(``chalicelib.settings.current``, cached), the run's shape stays in code because the ASL carries
the same numbers (a test keeps them equal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.settings.current import current_settings

__all__ = ["PayoutRules", "luhn_valid", "mask_account_number", "payout_rules", "release_at"]


@dataclass(frozen=True)
class PayoutRules:
    """What earnings, withdrawals and the payout run obey (money in fen)."""

    dispute_window_days: int = 2  # a completed order's share stays ``pending`` this long
    withdrawal_minimum: int = 10_000  # 100 CNY: below it a bank transfer costs more than it is worth
    daily_cap: int = 5_000_000  # 50,000 CNY asked per worker per Shanghai day
    withdrawal_fee: int = 0  # fen kept from each withdrawal (the worker receives amount - fee)
    account_change_hold_hours: int = 24  # no withdrawal within this long after an account change
    payout_batch_size: int = 50  # withdrawals per Map iteration of the payout run
    payout_concurrency: int = 4  # Map iterations at once (the ASL's MaxConcurrency; a test keeps them equal)
    payout_attempts: int = 3  # retries of a batch (the ASL retrier's MaxAttempts) before FailBatch

    def fee(self, amount: int) -> int:
        """The fee of a withdrawal of ``amount`` fen (never more than the amount)."""
        return min(self.withdrawal_fee, amount)


def payout_rules() -> PayoutRules:
    """The rules in force: the admin settings' dispute window and withdrawal limits."""
    settings = current_settings()
    return PayoutRules(
        dispute_window_days=settings.dispute_window_days,
        withdrawal_minimum=settings.withdrawal.minimum_fen,
        daily_cap=settings.withdrawal.daily_cap_fen,
        withdrawal_fee=settings.withdrawal.fee_fen,
    )


def release_at(completed_at: datetime, rules: PayoutRules | None = None) -> datetime:
    """When a share earned at ``completed_at`` stops being ``pending`` and becomes ``available``."""
    return completed_at + timedelta(days=(rules or payout_rules()).dispute_window_days)


def luhn_valid(number: str) -> bool:
    """The Luhn (mod 10) check of a card number of 12 to 19 digits (China UnionPay cards use it)."""
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def mask_account_number(number: str) -> str:
    """``**** 5678``: only the last four digits are ever shown."""
    return f"**** {number[-4:]}"
