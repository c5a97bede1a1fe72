"""Sign-in lockout: five failures within 15 minutes lock the identifier for 15 minutes.

The guard is keyed by the identifier's blind index, not by the account, so an identifier with
no account locks exactly like one with an account and the answers give nothing away.
"""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from chalicelib import clock
from chalicelib.accounts.policy import POLICY
from chalicelib.errors import RateLimited
from chalicelib.models.accounts import LoginGuardItem

__all__ = ["clear_failures", "ensure_not_locked", "record_failure"]


def ensure_not_locked(blind: str) -> None:
    """429 ``account_locked`` with Retry-After while the identifier is locked."""
    now = int(clock.now().timestamp())
    try:
        guard = LoginGuardItem.get(*LoginGuardItem.key(blind), consistent_read=True)
    except LoginGuardItem.DoesNotExist:
        return
    if guard.locked_until > now:
        raise RateLimited("account_locked", retry_after=int(guard.locked_until - now))


def record_failure(blind: str) -> None:
    """Count a failure; the one that reaches the limit sets the lock."""
    now = int(clock.now().timestamp())
    expires = now + POLICY.login_failure_window_seconds + POLICY.login_lock_seconds
    item = LoginGuardItem(*LoginGuardItem.key(blind))
    try:
        # The first failure, or the first after a quiet window, starts counting afresh.
        item.update(
            actions=[
                LoginGuardItem.failures.set(1),
                LoginGuardItem.window_started.set(now),
                LoginGuardItem.locked_until.set(0),
                LoginGuardItem.ttl.set(expires),
            ],
            condition=LoginGuardItem.pk.does_not_exist()
            | (
                (LoginGuardItem.window_started < now - POLICY.login_failure_window_seconds)
                & (LoginGuardItem.locked_until <= now)
            ),
        )
        return
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
    item.update(actions=[LoginGuardItem.failures.add(1), LoginGuardItem.ttl.set(expires)])
    if item.failures >= POLICY.login_max_failures and item.locked_until <= now:
        item.update(actions=[LoginGuardItem.locked_until.set(now + POLICY.login_lock_seconds)])


def clear_failures(blind: str) -> None:
    LoginGuardItem(*LoginGuardItem.key(blind)).delete()
