"""A worker's earnings as the ledger has them: balances, a series for charts, and the items.

Balances come from the balance item (the projection of her ledger lines); matured shares are
released first, so what the window has freed shows as ``available`` at once. Items and series
come from her completion lines on gsi1 ``WORKER#<id>#EARNINGS`` in the period: ``net`` is her
share, ``gross`` the order's price, ``commission`` the difference. An item is ``pending`` inside
its dispute window; after it, ``available`` or ``withdrawn`` (withdrawals are matched to the
oldest earnings first, so the newest released shares worth ``available + in_withdrawal`` are
still unpaid).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from chalicelib import clock
from chalicelib.models.orders import OrderItem
from chalicelib.models.payments import LedgerEntryItem
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.payments import ledger
from chalicelib.payouts.balance import Balance, balance_of, release_matured
from chalicelib.payouts.rules import payout_rules

__all__ = ["EarningItem", "Earnings", "SeriesPoint", "bucket_of", "earnings", "period"]

Granularity = Literal["day", "week", "month"]


@dataclass(frozen=True)
class SeriesPoint:
    date: str  # first day of the bucket
    amount: int  # the worker's net share, fen
    orders: int


@dataclass(frozen=True)
class EarningItem:
    order_id: str
    service_id: str | None
    service_name: str | None
    date: str
    completed_at: str
    gross: int
    commission: int
    net: int
    status: str  # pending | available | withdrawn


@dataclass(frozen=True)
class Earnings:
    balance: Balance
    period_from: str
    period_to: str
    series: list[SeriesPoint]
    items: list[EarningItem]
    next_cursor: str | None


def period(start: date | None, end: date | None) -> tuple[date, date]:
    """The period asked for; without both ends, the current month (to today)."""
    today = clock.now().date()
    first = start or today.replace(day=1)
    last = end or (today if start is None else first + timedelta(days=31))
    return first, max(first, last)


def bucket_of(day: date, granularity: Granularity) -> date:
    """The first day of ``day``'s bucket: itself, its ISO week's Monday, or its month's first day."""
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def _bounds(first: date, last: date) -> tuple[str, str]:
    start = datetime.combine(first, time.min, clock.SHANGHAI)
    end = datetime.combine(last + timedelta(days=1), time.min, clock.SHANGHAI)
    return clock.iso(start), clock.iso(end)


def _completions(worker_id: str, low: str, high: str, **options: Any) -> Any:
    return LedgerEntryItem.gsi1.query(
        ledger.worker_earnings_key(worker_id),
        LedgerEntryItem.gsi1sk.between(low, high),
        filter_condition=LedgerEntryItem.kind == "completion",
        **options,
    )


def earnings(
    worker_id: str,
    start: date | None = None,
    end: date | None = None,
    granularity: Granularity = "day",
    limit: int = 20,
    cursor: str | None = None,
    locale: str = "zh-CN",
) -> Earnings:
    """Balances, the series of the period and one page of its items (newest first)."""
    release_matured(worker_id)
    balance = balance_of(worker_id)
    first, last = period(start, end)
    low, high = _bounds(first, last)
    in_period = list(_completions(worker_id, low, high))
    buckets: OrderedDict[date, list[int]] = OrderedDict()
    day = bucket_of(first, granularity)
    while day <= last:
        buckets[day] = [0, 0]
        day = bucket_of(
            day + timedelta(days=32 if granularity == "month" else 7 if granularity == "week" else 1),
            granularity,
        )
    for line in in_period:
        bucket = buckets.setdefault(bucket_of(date.fromisoformat(line.at[:10]), granularity), [0, 0])
        bucket[0] += -int(line.amount)
        bucket[1] += 1
    series = [SeriesPoint(day.isoformat(), amount, count) for day, (amount, count) in buckets.items()]

    scope = f"earnings:{worker_id}:{low}:{high}"
    page = _completions(
        worker_id,
        low,
        high,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
    )
    lines = list(page)
    next_cursor = encode_cursor(scope, page.last_evaluated_key)
    items = _items(worker_id, lines, balance, locale)
    return Earnings(balance, first.isoformat(), last.isoformat(), series, items, next_cursor)


def _items(worker_id: str, lines: list[LedgerEntryItem], balance: Balance, locale: str) -> list[EarningItem]:
    if not lines:
        return []
    cutoff = clock.iso(clock.now() - timedelta(days=payout_rules().dispute_window_days))
    newest = lines[0].at
    # released shares newer than this page, newest first, to place the page against the unpaid part
    unpaid = balance.available + balance.in_withdrawal
    if newest < cutoff:
        newer = _completions(worker_id, f"{newest}#~", f"{cutoff}#~")
        unpaid -= sum(-int(line.amount) for line in newer)
    orders = {
        item.order_id: item for item in OrderItem.batch_get([OrderItem.key(line.order_id) for line in lines])
    }
    names = _service_names({order.service_id for order in orders.values()}, locale)
    out = []
    for line in lines:
        net = -int(line.amount)
        order = orders.get(line.order_id)
        gross = int(order.price_amount) if order else net
        if line.at > cutoff:
            status = "pending"
        else:
            status = "available" if unpaid > 0 else "withdrawn"
            unpaid -= net
        service_id = order.service_id if order else None
        out.append(
            EarningItem(
                order_id=line.order_id,
                service_id=service_id,
                service_name=names.get(service_id or ""),
                date=line.at[:10],
                completed_at=line.at,
                gross=gross,
                commission=gross - net,
                net=net,
                status=status,
            )
        )
    return out


def _service_names(service_ids: set[str], locale: str) -> dict[str, str]:
    from chalicelib.catalog.services import get_service

    names: dict[str, str] = {}
    for service_id in service_ids:
        try:
            service = get_service(service_id)
        except Exception:  # a retired or unknown service still shows the earning
            continue
        names[service_id] = service.name.get(locale) or service.name.get("zh-CN") or ""
    return names
