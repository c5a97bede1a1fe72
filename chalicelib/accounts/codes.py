"""Verification codes: 6 digits, 5 minutes, 5 tries, stored only as a keyed hash.

Sending is limited per target (one a minute, ten a day) and per client address (per hour).
Using a code is a conditional write on the code item, so a code works once even when two
requests race with it; registration folds that write into its own transaction.
"""

from __future__ import annotations

import secrets
from typing import Literal

from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import clock
from chalicelib.accounts.policy import POLICY, client_code_limit
from chalicelib.accounts.targets import Target
from chalicelib.crypto import digest, same
from chalicelib.errors import AppError, RateLimited
from chalicelib.models.accounts import CodeItem, IdentityItem
from chalicelib.models.base import cancellation_reasons, transact_write
from chalicelib.notifications.outgoing import queue_message
from chalicelib.ratelimit import daily_hit_in, daily_window, hit_window

__all__ = ["Purpose", "check_code", "consume_code", "consume_in", "issue_code"]

Purpose = Literal["register", "login", "reset_password"]


def _conditional_failure(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def _new_code() -> str:
    return f"{secrets.randbelow(10**POLICY.code_length):0{POLICY.code_length}d}"


def issue_code(target: Target, purpose: Purpose, *, client_ip: str, locale: str, correlation_id: str) -> int:
    """Send a code to ``target``; returns its lifetime in seconds.

    The answer is the same whether or not an account exists (no enumeration): a registration
    code for a taken identifier sends a "you already have an account" note instead, and a
    sign-in or reset code for an unknown identifier sends nothing.
    """
    hit_window("code-client", client_ip, limit=client_code_limit(), seconds=3600)
    now = int(clock.now().timestamp())
    pk, sk = CodeItem.key(purpose, target.channel, target.blind)
    try:
        current = CodeItem.get(pk, sk, consistent_read=True)
        wait = int(current.sent_at) + POLICY.code_resend_seconds - now
        if wait > 0:
            raise RateLimited("code_resend_too_soon", retry_after=wait)
    except CodeItem.DoesNotExist:
        pass
    exists = _identity_exists(target)
    code = _new_code()
    daily = daily_window("code-target", target.blind)
    item = CodeItem(
        pk,
        sk,
        code_hash=digest(code),
        expires_at=now + POLICY.code_ttl_seconds,
        sent_at=now,
        tries=0,
        ttl=now + POLICY.code_ttl_seconds + 3600,
    )
    # The day's count and the new code are one transaction: a request refused for coming too
    # soon uses up none of the target's daily budget.
    try:
        with transact_write() as transaction:
            daily_hit_in(transaction, daily, limit=POLICY.codes_per_target_per_day)
            transaction.save(
                item,
                condition=CodeItem.pk.does_not_exist()
                | (CodeItem.sent_at <= now - POLICY.code_resend_seconds),
            )
    except TransactWriteError as error:
        # Reasons come in pynamodb's order: the code put first, then the counter update.
        reasons = cancellation_reasons(error)
        if reasons and reasons[0] in ("ConditionalCheckFailed", "TransactionConflict"):
            raise RateLimited("code_resend_too_soon", retry_after=POLICY.code_resend_seconds) from error
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            raise RateLimited("code_daily_limit", retry_after=daily.retry_after) from error
        raise

    if purpose == "register" and exists:
        queue_message(
            target.channel, target.value, "already_registered", locale, correlation_id=correlation_id
        )
    elif purpose == "register" or exists:
        queue_message(
            target.channel,
            target.value,
            "verification_code",
            locale,
            correlation_id=correlation_id,
            code=code,
            minutes=POLICY.code_ttl_seconds // 60,
        )
    return POLICY.code_ttl_seconds


def _identity_exists(target: Target) -> bool:
    try:
        IdentityItem.get(*IdentityItem.key(target.kind, target.blind), attributes_to_get=["pk"])
    except IdentityItem.DoesNotExist:
        return False
    return True


def check_code(target: Target, purpose: Purpose, code: str, *, error: AppError) -> str:
    """Check ``code`` without using it up; returns its stored hash for :func:`consume_in`.

    A wrong guess spends one of the code's tries; after the last one the code is void.
    Raises ``error`` (the caller decides 401 or 422) for wrong, expired or void codes.
    """
    now = int(clock.now().timestamp())
    pk, sk = CodeItem.key(purpose, target.channel, target.blind)
    try:
        item = CodeItem.get(pk, sk, consistent_read=True)
    except CodeItem.DoesNotExist:
        raise error from None
    if item.expires_at <= now or item.tries >= POLICY.code_max_tries:
        raise error
    if not (len(code) == POLICY.code_length and code.isdigit() and same(item.code_hash, digest(code))):
        try:
            item.update(
                actions=[CodeItem.tries.add(1)],
                condition=(CodeItem.code_hash == item.code_hash) & (CodeItem.tries < POLICY.code_max_tries),
            )
        except UpdateError as update_error:
            if not _conditional_failure(update_error):
                raise
        raise error
    return item.code_hash


def consume_in(transaction: TransactWrite, target: Target, purpose: Purpose, code_hash: str) -> None:
    """Add "use this code up" to ``transaction``: it fails if the code changed or was used."""
    now = int(clock.now().timestamp())
    transaction.delete(
        CodeItem(*CodeItem.key(purpose, target.channel, target.blind)),
        condition=(CodeItem.code_hash == code_hash)
        & (CodeItem.tries < POLICY.code_max_tries)
        & (CodeItem.expires_at > now),
    )


def consume_code(target: Target, purpose: Purpose, code: str, *, error: AppError) -> None:
    """Check and use up ``code`` in one go (sign-in and reset)."""
    code_hash = check_code(target, purpose, code, error=error)
    now = int(clock.now().timestamp())
    try:
        CodeItem(*CodeItem.key(purpose, target.channel, target.blind)).delete(
            condition=(CodeItem.code_hash == code_hash)
            & (CodeItem.tries < POLICY.code_max_tries)
            & (CodeItem.expires_at > now)
        )
    except DeleteError as delete_error:
        if _conditional_failure(delete_error):
            raise error from delete_error
        raise
