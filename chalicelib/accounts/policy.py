"""The account security policy in one place, with the numbers the product promises."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.config import settings

__all__ = ["POLICY", "AccountPolicy", "client_code_limit", "password_problem"]


@dataclass(frozen=True)
class AccountPolicy:
    code_length: int = 6
    code_ttl_seconds: int = 300
    code_max_tries: int = 5
    code_resend_seconds: int = 60
    codes_per_target_per_day: int = 10
    codes_per_client_per_hour: int = 30
    login_max_failures: int = 5
    login_failure_window_seconds: int = 900
    login_lock_seconds: int = 900
    bookings_per_customer_per_minute: int = 20
    withdrawals_per_worker_per_hour: int = 10
    password_min_length: int = 8
    password_max_length: int = 128


POLICY = AccountPolicy()


def client_code_limit() -> int:
    """Codes one client address may ask for per hour.

    The local stage is loose (API.md: a demo or test run registers dozens of accounts a minute
    from 127.0.0.1); the per-target limits are the same everywhere.
    """
    return 100_000 if settings().is_local else POLICY.codes_per_client_per_hour


def password_problem(password: str) -> str | None:
    """Why ``password`` falls short of the policy, or None.

    The one rule for sign-up, reset and change through the API and for the accounts the seed and
    the admin CLI create, so no account is born with a password the API would refuse.
    """
    if not POLICY.password_min_length <= len(password) <= POLICY.password_max_length:
        return f"the password needs {POLICY.password_min_length} to {POLICY.password_max_length} characters"
    if not any(char.isalpha() for char in password) or not any(char.isdigit() for char in password):
        return "the password needs at least one letter and one digit"
    return None
