"""Fixed-window rate limits on DynamoDB counters.

One conditional ``ADD`` per hit: the condition refuses the hit once the window is full, so
concurrent callers can never exceed the limit together, and TTL clears old windows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from chalicelib import clock
from chalicelib.errors import RateLimited
from chalicelib.models.accounts import CounterItem

__all__ = ["hit_daily", "hit_window"]


def _hit(pk: str, limit: int, expires_at: int, retry_after: int, code: str) -> None:
    try:
        CounterItem(pk, "RATE").update(
            actions=[CounterItem.hits.add(1), CounterItem.ttl.set(expires_at)],
            condition=CounterItem.hits.does_not_exist() | (CounterItem.hits < limit),
        )
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise RateLimited(code, retry_after=retry_after) from error
        raise


def hit_window(scope: str, key: str, *, limit: int, seconds: int, code: str = "rate_limited") -> None:
    """Count one hit of ``key`` in the current ``seconds``-long window, or raise 429."""
    now = int(clock.now().timestamp())
    window = now // seconds
    ends = (window + 1) * seconds
    _hit(f"RATE#{scope}#{key}#{window}", limit, ends + 60, ends - now, code)


def hit_daily(scope: str, key: str, *, limit: int, code: str = "rate_limited") -> None:
    """Count one hit of ``key`` on today's calendar day (Asia/Shanghai), or raise 429."""
    now = clock.now()
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo)
    _hit(
        f"RATE#{scope}#{key}#{now.date().isoformat()}",
        limit,
        int(midnight.timestamp()) + 3600,
        int((midnight - now).total_seconds()),
        code,
    )
