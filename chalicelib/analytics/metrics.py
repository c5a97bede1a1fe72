"""Every analytics metric, defined once: what each source event adds, and how figures derive.

A *fact* is one source event, normalised (an order timeline event, a review, a support ticket, a
registration) with what the metrics need from it. :func:`contributions` says which counters it
adds to and which distinct-actor sketches it enters, under three dimensions: the whole platform
(``all``), its service category (``c:<code>``) and its district (``d:<district>``). The daily
aggregate items hold those sums (``chalicelib.analytics.store``); :func:`figures` turns the sums
of a period into the published metrics. ``docs/analytics.md`` describes each in words; a unit
test keeps the two lists equal.

A fact counts on its event's Asia/Shanghai day. Money is integer fen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib import clock
from chalicelib.analytics import sketch
from chalicelib.basemodel import Model

__all__ = [
    "ACCEPT_BUCKETS",
    "COUNTERS",
    "DERIVED",
    "SKETCHES",
    "Contribution",
    "Fact",
    "contributions",
    "day_of",
    "figures",
]

ALL = "all"

COUNTERS: dict[str, str] = {
    "registrations_customer": "customers who registered (a new customer profile)",
    "registrations_worker": "workers who registered (a new worker profile)",
    "orders_created": "orders booked (timeline event `created`)",
    "orders_paid": "orders paid (`paid`)",
    "orders_accepted": "orders a worker accepted (`accepted`)",
    "orders_completed": "orders completed (`completed`, by the customer or auto-complete)",
    "orders_cancelled": "orders cancelled by a party or the system (`cancelled`)",
    "orders_expired": "unpaid orders whose payment window lapsed (`expired`)",
    "orders_refunded": "cancelled orders whose refund was paid (`refunded`)",
    "orders_disputed": "finished jobs the customer disputed (`disputed`)",
    "gmv": "gross merchandise value: the price (fen) of each order when it is paid",
    "platform_take": "the platform's commission (fen) booked when an order completes",
    "worker_payouts": "the workers' share (fen) booked when an order completes: price - commission",
    "refunds": "money (fen) returned to customers (`refunded` amounts)",
    "reviews": "reviews written",
    "rating_quality": "sum of the quality scores (1-5) of the reviews",
    "rating_attitude": "sum of the attitude scores",
    "rating_skill": "sum of the skill scores",
    "complaints": "support tickets of type `complaint` opened",
    "pool_entered": "paid orders that went to the pool (booked without a worker, or declined)",
    "pool_filled": "pool orders a worker took (`accepted` with `from_pool`)",
    "accept_count": "acceptances timed from payment (`accepted` of a paid order)",
    "booked_minutes": "minutes of work accepted (the accepted orders' durations)",
}
"""Summed counters, each kept per dimension. Acceptance times are also kept as a histogram."""

ACCEPT_BUCKETS: tuple[int, ...] = (1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 1440, 10**6)
"""Upper bounds (minutes) of the time-to-accept histogram counters ``accept_le_<n>``."""

SKETCHES: dict[str, str] = {
    "active_customers": "distinct customers with any order event in the period",
    "active_workers": "distinct workers who accepted, worked on or completed a job in the period",
}

DERIVED: dict[str, str] = {
    "average_ratings": "rating_<dimension> / reviews, per dimension (quality, attitude, skill)",
    "complaint_rate": "complaints / orders_completed",
    "cancellation_rate": "orders_cancelled / orders_created",
    "pool_fill_rate": "pool_filled / pool_entered",
    "median_minutes_to_accept": "the median of the time-to-accept histogram (upper bound of its bucket)",
    "worker_utilisation": "booked hours / available hours, available = active_workers x the "
    "standard working day (8 h) x days of the period",
}

WORKING_DAY_MINUTES = 8 * 60


class Fact(Model):
    """One source event as the metrics see it (also the journal entry the nightly repair re-reads)."""

    event_id: str
    kind: str  # order.<timeline event> | review | ticket | registration
    at: datetime
    category: str | None = None
    district: str | None = None
    customer_id: str | None = None
    worker_id: str | None = None
    amount: int = 0  # fen: the price (paid), the refund (refunded), the price (completed)
    take: int = 0  # fen: the commission at completion
    minutes: int | None = None  # accepted: minutes since payment
    duration_minutes: int = 0
    from_pool: bool = False
    pooled: bool = False  # paid: booked without a chosen worker
    ratings: dict[str, int] | None = None
    role: str | None = None
    ticket_type: str | None = None


@dataclass
class Contribution:
    """What one fact adds: counter deltas and sketch members, keyed ``<name>|<dimension>``."""

    counters: dict[str, int] = field(default_factory=dict)
    sketches: dict[str, set[int]] = field(default_factory=dict)

    def add(self, name: str, amount: int, dims: Iterable[str]) -> None:
        if amount:
            for dim in dims:
                key = f"{name}|{dim}"
                self.counters[key] = self.counters.get(key, 0) + amount

    def see(self, name: str, actor_id: str | None, dims: Iterable[str]) -> None:
        if actor_id:
            for dim in dims:
                self.sketches.setdefault(f"{name}|{dim}", set()).add(sketch.observation(actor_id))


def day_of(at: datetime) -> str:
    """The Asia/Shanghai day (``YYYY-MM-DD``) an event at ``at`` counts on."""
    return at.astimezone(clock.SHANGHAI).date().isoformat()


def _dims(fact: Fact) -> list[str]:
    dims = [ALL]
    if fact.category:
        dims.append(f"c:{fact.category}")
    if fact.district:
        dims.append(f"d:{fact.district}")
    return dims


_ORDER_COUNTERS = {
    "created": "orders_created",
    "paid": "orders_paid",
    "accepted": "orders_accepted",
    "completed": "orders_completed",
    "cancelled": "orders_cancelled",
    "expired": "orders_expired",
    "refunded": "orders_refunded",
    "disputed": "orders_disputed",
}
_WORKER_EVENTS = {"accepted", "departed", "arrived", "started", "finished", "completed"}


def contributions(fact: Fact) -> Contribution:
    """The counters and sketches ``fact`` adds to (the only place that says so)."""
    out = Contribution()
    dims = _dims(fact)
    if fact.kind == "registration":
        if fact.role in ("customer", "worker"):
            out.add(f"registrations_{fact.role}", 1, [ALL])
        return out
    if fact.kind == "review" and fact.ratings:
        out.add("reviews", 1, dims)
        for dimension in ("quality", "attitude", "skill"):
            out.add(f"rating_{dimension}", int(fact.ratings.get(dimension, 0)), dims)
        return out
    if fact.kind == "ticket":
        if fact.ticket_type == "complaint":
            out.add("complaints", 1, dims)
        return out
    event = fact.kind.removeprefix("order.")
    if event in _ORDER_COUNTERS:
        out.add(_ORDER_COUNTERS[event], 1, dims)
    out.see("active_customers", fact.customer_id, dims)
    if event in _WORKER_EVENTS:
        out.see("active_workers", fact.worker_id, dims)
    if event == "paid":
        out.add("gmv", fact.amount, dims)
        if fact.pooled:
            out.add("pool_entered", 1, dims)
    elif event == "declined":
        out.add("pool_entered", 1, dims)
    elif event == "accepted":
        out.add("booked_minutes", fact.duration_minutes, dims)
        if fact.from_pool:
            out.add("pool_filled", 1, dims)
        if fact.minutes is not None:
            out.add("accept_count", 1, dims)
            bound = next(b for b in ACCEPT_BUCKETS if fact.minutes <= b)
            out.add(f"accept_le_{bound}", 1, dims)
    elif event == "completed":
        out.add("platform_take", fact.take, dims)
        out.add("worker_payouts", fact.amount - fact.take, dims)
    elif event == "refunded":
        out.add("refunds", fact.amount, dims)
    return out


def _ratio(top: int, bottom: int) -> float | None:
    return round(top / bottom, 4) if bottom else None


def _median_minutes(counters: Mapping[str, int], dim: str) -> int | None:
    total = counters.get(f"accept_count|{dim}", 0)
    if not total:
        return None
    seen = 0
    for bound in ACCEPT_BUCKETS:
        seen += counters.get(f"accept_le_{bound}|{dim}", 0)
        if seen * 2 >= total:
            return bound
    return None


def figures(
    counters: Mapping[str, int], sketches: Mapping[str, set[int]], dim: str, days: int
) -> dict[str, Any]:
    """The published metrics of one dimension over a period of ``days`` days, from its sums."""

    def c(name: str) -> int:
        return int(counters.get(f"{name}|{dim}", 0))

    def distinct(name: str) -> int:
        return sketch.estimate(sketches.get(f"{name}|{dim}", set()))

    reviews = c("reviews")
    active_workers = distinct("active_workers")
    available = active_workers * WORKING_DAY_MINUTES * days
    return {
        "active_customers": distinct("active_customers"),
        "active_workers": active_workers,
        "registrations": {"customer": c("registrations_customer"), "worker": c("registrations_worker")},
        "orders": {
            status: c(f"orders_{status}")
            for status in (
                "created",
                "paid",
                "accepted",
                "completed",
                "cancelled",
                "expired",
                "refunded",
                "disputed",
            )
        },
        "gmv": c("gmv"),
        "platform_take": c("platform_take"),
        "refunds": c("refunds"),
        "worker_payouts": c("worker_payouts"),
        "average_ratings": {
            dimension: (round(c(f"rating_{dimension}") / reviews, 2) if reviews else None)
            for dimension in ("quality", "attitude", "skill")
        },
        "reviews": reviews,
        "complaints": c("complaints"),
        "complaint_rate": _ratio(c("complaints"), c("orders_completed")),
        "cancellation_rate": _ratio(c("orders_cancelled"), c("orders_created")),
        "pool_fill_rate": _ratio(c("pool_filled"), c("pool_entered")),
        "median_minutes_to_accept": _median_minutes(counters, dim),
        "worker_utilisation": _ratio(c("booked_minutes"), available),
        "currency": "CNY",
    }
