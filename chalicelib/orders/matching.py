"""Active matching: push a paid pool order to the best-ranked free workers, wider each round.

The pool (``worker_side.available``) lets any matching worker find the order; matching also
*offers* it: round by round (:func:`rounds`, admin settings: the three best first, then the next ten, then
everyone left), the best-rated verified workers serving the order's district with the skill,
whose calendar has room (the same ``calendar.check_booking`` booking uses), get an inbox entry
and an SMS. Each offer is an
``OfferItem`` written with a not-exists condition, so a retried round texts nobody twice and a
wider round skips those already asked. Accepting stays first come, first served
(``worker_side.accept``); the order workflow widens the offer when a round's time runs out.

Reads per round: one gsi1 Query of the search index partition (rating order, bounded by
:data:`CANDIDATES`), one Query of the order's offers, then the calendar check per candidate
until the round has its workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import PutError

from chalicelib import clock
from chalicelib.errors import AppError
from chalicelib.models.orders import OfferItem, OrderItem
from chalicelib.models.workers import WorkerSearchItem
from chalicelib.orders.notices import notify
from chalicelib.scheduling import calendar
from chalicelib.workers.search_index import search_partition

__all__ = ["CANDIDATES", "OfferRound", "offer", "rounds"]


@dataclass(frozen=True)
class OfferRound:
    """How many more workers a round asks, and how long it waits for an accept before the next."""

    workers: int
    minutes: int


def rounds() -> tuple[OfferRound, ...]:
    """The rounds in force (admin settings ``matching_rounds``)."""
    from chalicelib.settings.current import current_settings

    return tuple(OfferRound(spec.workers, spec.minutes) for spec in current_settings().matching_rounds)


CANDIDATES = 100
"""Search index entries read per round (best-rated first)."""


def _free(worker_id: str, order: OrderItem) -> bool:
    try:
        refusal = calendar.check_booking(
            worker_id,
            category=order.category,
            duration_minutes=int(order.duration_minutes),
            start=datetime.fromisoformat(order.start_at),
            place=calendar.place_of_snapshot(order.address),
        )
    except AppError:
        return False  # suspended, or her skills or areas changed since the index was written
    return refusal is None


def offer(order: OrderItem, round_no: int, *, cause: str, at: datetime) -> list[str]:
    """Offer ``order`` to the workers of round ``round_no``; returns the workers this round asked.

    ``cause``/``at`` identify what started the round (an event or a timer): a retried round
    re-sends its own offers' notices under the same ids (so nobody is told twice, and nobody is
    missed when the first attempt failed after writing an offer). Does nothing for an order that
    is no longer a paid pool order.
    """
    specs = rounds()
    if order.status != "paid" or order.worker_id or round_no >= len(specs):
        return []
    spec = specs[round_no]
    where = order.address or {}
    partition = search_partition(order.category, str(where.get("city", "")), str(where.get("district", "")))
    asked = {
        item.worker_id: int(item.round)
        for item in OfferItem.query(order.pk, OfferItem.sk.startswith("OFFER#"))
    }
    chosen = [worker_id for worker_id, asked_in in asked.items() if asked_in == round_no]
    for entry in WorkerSearchItem.gsi1.query(partition, limit=CANDIDATES):
        if len(chosen) >= spec.workers:
            break
        if entry.worker_id in asked or not _free(entry.worker_id, order):
            continue
        try:
            OfferItem(
                *OfferItem.key(order.order_id, entry.worker_id),
                order_id=order.order_id,
                worker_id=entry.worker_id,
                round=round_no,
                offered_at=clock.iso(at),
            ).save(condition=OfferItem.sk.does_not_exist())
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
        asked[entry.worker_id] = round_no
        chosen.append(entry.worker_id)
    for worker_id in chosen:
        notify(worker_id, "order_offered", order, cause=cause, at=at)
    return chosen
