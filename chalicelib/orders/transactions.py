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

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.models.base import cancellation_reasons as reasons
from chalicelib.models.base import transact_write
from chalicelib.observability import metrics

__all__ = ["ATTEMPTS", "commit", "reasons"]

ATTEMPTS = 8
_BASE_PAUSE_SECONDS = 0.01


def _conflict_only(codes: list[str | None]) -> bool:
    present = {code for code in codes if code and code != "None"}
    return bool(present) and present <= {"TransactionConflict"}


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
            metrics.add_metric(name="TransactionConflictRetries", unit="Count", value=1)
            time.sleep(random.uniform(0, _BASE_PAUSE_SECONDS * 2**attempt))
    raise AssertionError("unreachable")
