"""Fixed-window rate limits on DynamoDB counters.

One conditional ``ADD`` per hit: the condition refuses the hit once the window is full, so
concurrent callers can never exceed the limit together, and TTL clears old windows. A hit can
also join a transaction (:func:`daily_hit_in`), so it counts only if the action it limits
happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.transactions import TransactWrite

from chalicelib import clock
from chalicelib.errors import RateLimited
from chalicelib.models.accounts import CounterItem
from chalicelib.models.base import MainItem, connection

__all__ = ["DailyWindow", "daily_hit_in", "daily_window", "hit_daily", "hit_window"]


@dataclass(frozen=True)
class DailyWindow:
    """Today's counter of one key: its item key, expiry, and the seconds until it resets."""

    pk: str
    expires_at: int
    retry_after: int


def _hit(pk: str, limit: int, expires_at: int, retry_after: int, code: str) -> None:
    """The conditional ``ADD``, written out: it runs on every booking and sign-in, and the
    expression never changes, so pynamodb's per-call expression building is skipped."""
    from botocore.exceptions import ClientError

    try:
        connection().client.update_item(
            TableName=MainItem.Meta.table_name,
            Key={"pk": {"S": pk}, "sk": {"S": "RATE"}},
            UpdateExpression="ADD #hits :one SET #ttl = :ttl",
            ConditionExpression="attribute_not_exists(#hits) OR #hits < :limit",
            ExpressionAttributeNames={"#hits": "hits", "#ttl": "ttl"},
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":ttl": {"N": str(expires_at)},
                ":limit": {"N": str(limit)},
            },
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise RateLimited(code, retry_after=retry_after) from error
        raise


def hit_window(scope: str, key: str, *, limit: int, seconds: int, code: str = "rate_limited") -> None:
    """Count one hit of ``key`` in the current ``seconds``-long window, or raise 429."""
    now = int(clock.now().timestamp())
    window = now // seconds
    ends = (window + 1) * seconds
    _hit(f"RATE#{scope}#{key}#{window}", limit, ends + 60, ends - now, code)


def daily_window(scope: str, key: str) -> DailyWindow:
    """Today's (Asia/Shanghai calendar day) counter of ``key``."""
    now = clock.now()
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo)
    return DailyWindow(
        pk=f"RATE#{scope}#{key}#{now.date().isoformat()}",
        expires_at=int(midnight.timestamp()) + 3600,
        retry_after=int((midnight - now).total_seconds()),
    )


def hit_daily(scope: str, key: str, *, limit: int, code: str = "rate_limited") -> None:
    """Count one hit of ``key`` today, or raise 429."""
    window = daily_window(scope, key)
    _hit(window.pk, limit, window.expires_at, window.retry_after, code)


def daily_hit_in(transaction: TransactWrite, window: DailyWindow, *, limit: int) -> None:
    """Add today's hit to ``transaction``; the transaction fails if the day's limit is reached."""
    transaction.update(
        CounterItem(window.pk, "RATE"),
        actions=[CounterItem.hits.add(1), CounterItem.ttl.set(window.expires_at)],
        condition=CounterItem.hits.does_not_exist() | (CounterItem.hits < limit),
    )
