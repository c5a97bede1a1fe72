"""Committing an order transaction when other writers touch the same items at the same moment.

DynamoDB cancels a transaction that meets another transaction in flight on one of its items
(reason ``TransactionConflict``) instead of queueing it, and botocore does not retry that. Ten
customers reviewing ten jobs of one worker at once all update her profile, so most of them meet
one: the whole transaction is simply tried again after a short random pause. A condition that
failed is an answer, never retried.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.models.base import cancellation_reasons as reasons
from chalicelib.models.base import connection, transact_write
from chalicelib.observability import metrics

__all__ = ["ATTEMPTS", "Cancelled", "commit", "commit_items", "reasons"]

ATTEMPTS = 8
_BASE_PAUSE_SECONDS = 0.01


def _conflict_only(codes: list[str | None]) -> bool:
    present = {code for code in codes if code and code != "None"}
    return bool(present) and present <= {"TransactionConflict"}


def _pause_after_conflict(attempt: int) -> None:
    metrics.add_metric(name="TransactionConflictRetries", unit="Count", value=1)
    time.sleep(random.uniform(0, _BASE_PAUSE_SECONDS * 2**attempt))


def commit(build: Callable[[TransactWrite], None], *, attempts: int = ATTEMPTS) -> int:
    """Run ``build(tx)`` in a fresh transaction until it commits; returns the attempt that did.

    Raises the last :class:`TransactWriteError` when a condition fails, or when conflicts
    persist after ``attempts`` tries (full-jitter exponential pauses, about 2.5 s in all).
    """
    for attempt in range(1, attempts + 1):
        try:
            with transact_write() as transaction:
                build(transaction)
            return attempt
        except TransactWriteError as error:
            if attempt == attempts or not _conflict_only(reasons(error)):
                raise
            _pause_after_conflict(attempt)
    raise AssertionError("unreachable")


class Cancelled(Exception):
    """A transaction of :func:`commit_items` was cancelled: ``codes[i]`` is the reason of entry
    ``i`` (``ConditionalCheckFailed``, ...), None for an entry that was not the cause."""

    def __init__(self, codes: list[str | None]) -> None:
        super().__init__(", ".join(str(code) for code in codes))
        self.codes = codes


def commit_items(entries: list[dict[str, Any]], *, attempts: int = ATTEMPTS) -> int:
    """:func:`commit` for entries already in wire form (``chalicelib.models.wire``), sent in
    their order, so :class:`Cancelled` reasons line up with ``entries``."""
    client = connection().client
    for attempt in range(1, attempts + 1):
        try:
            client.transact_write_items(TransactItems=entries)
            return attempt
        except client.exceptions.TransactionCanceledException as error:
            codes = [
                None if reason.get("Code") in (None, "None") else reason["Code"]
                for reason in error.response.get("CancellationReasons", [])
            ]
            if attempt == attempts or not _conflict_only(codes):
                raise Cancelled(codes) from error
            _pause_after_conflict(attempt)
    raise AssertionError("unreachable")
