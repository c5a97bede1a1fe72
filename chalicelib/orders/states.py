"""The order state machine: the one place that says which status may follow which, and who may cause it.

Pure data and one function. Every write that changes an order's status first asks
:func:`transition` for the new status (409 ``invalid_status`` naming the current one when the
event is not allowed from it, 403 when the actor's role may not cause it), then writes with a
condition on the status it leaves, so two concurrent changes cannot both apply.

``pending_payment → paid → assigned → en_route → arrived → in_service → finished → completed``,
with ``cancelled`` (then ``refunded`` once the payment step has returned the money) and
``disputed`` (the customer contests a finished job; an admin resolves it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from chalicelib.errors import Conflict, Forbidden

__all__ = [
    "ACTIVE",
    "CANCELLABLE",
    "STATUSES",
    "TERMINAL",
    "TRANSITIONS",
    "Actor",
    "Event",
    "Status",
    "Transition",
    "allowed_events",
    "transition",
]

Status = Literal[
    "pending_payment",
    "paid",
    "assigned",
    "en_route",
    "arrived",
    "in_service",
    "finished",
    "completed",
    "cancelled",
    "refunded",
    "disputed",
]
STATUSES: tuple[Status, ...] = get_args(Status)

Event = Literal[
    "pay",  # the payment step confirmed the money (payment_port.mark_paid)
    "expire",  # pay_by passed unpaid
    "accept",  # a worker took the job (chosen worker or from the pool)
    "depart",
    "arrive",
    "start",
    "finish",
    "confirm",  # the customer (or auto-complete) accepts the work
    "dispute",
    "resolve",  # an admin closes a dispute as done
    "cancel",
    "refund",  # the payment step returned the money
    "replace",  # staff approved a live-in replacement (换人): the new worker takes the rest of the term
]

Actor = Literal["customer", "worker", "admin", "support", "system"]


@dataclass(frozen=True)
class Transition:
    """``event`` moves an order from ``source`` to ``target``; only ``actors`` may cause it."""

    source: Status
    event: Event
    target: Status
    actors: frozenset[Actor]


def _t(source: Status, event: Event, target: Status, *actors: Actor) -> Transition:
    return Transition(source, event, target, frozenset(actors))


TRANSITIONS: tuple[Transition, ...] = (
    _t("pending_payment", "pay", "paid", "system"),
    _t("pending_payment", "expire", "cancelled", "system"),
    _t("pending_payment", "cancel", "cancelled", "customer", "admin"),
    _t("paid", "accept", "assigned", "worker", "admin"),
    _t("paid", "cancel", "cancelled", "customer", "admin", "system"),  # system: nobody accepted
    _t("assigned", "depart", "en_route", "worker"),
    _t("assigned", "cancel", "cancelled", "customer", "worker", "admin", "system"),  # system: balance unpaid
    _t("en_route", "arrive", "arrived", "worker"),
    _t("en_route", "cancel", "cancelled", "worker", "admin"),
    _t("arrived", "start", "in_service", "worker"),
    _t("arrived", "cancel", "cancelled", "admin"),
    _t("in_service", "finish", "finished", "worker"),
    _t("in_service", "cancel", "cancelled", "admin"),
    _t("finished", "confirm", "completed", "customer", "system"),  # system: auto-complete
    _t("finished", "dispute", "disputed", "customer"),
    _t("disputed", "resolve", "completed", "admin", "support"),
    _t("disputed", "refund", "refunded", "system", "admin"),
    _t("cancelled", "refund", "refunded", "system", "admin"),
    # a live-in replacement: the new worker is assigned for the remaining days, whatever the old one did
    _t("assigned", "replace", "assigned", "admin", "support"),
    _t("en_route", "replace", "assigned", "admin", "support"),
    _t("arrived", "replace", "assigned", "admin", "support"),
    _t("in_service", "replace", "assigned", "admin", "support"),
)

_BY_KEY: dict[tuple[str, str], Transition] = {(t.source, t.event): t for t in TRANSITIONS}

TERMINAL: frozenset[Status] = frozenset({"completed", "refunded"})
"""Nothing follows these (a cancelled order can still be refunded; a dispute can be resolved)."""

ACTIVE: frozenset[Status] = frozenset({"paid", "assigned", "en_route", "arrived", "in_service"})
"""Paid and not yet finished: the order still holds a worker's time or awaits one."""

CANCELLABLE: frozenset[Status] = frozenset(t.source for t in TRANSITIONS if t.event == "cancel")


def allowed_events(current: str, actor: Actor | None = None) -> list[Event]:
    """The events that may happen from ``current`` (those ``actor`` may cause, if given)."""
    return [t.event for t in TRANSITIONS if t.source == current and (actor is None or actor in t.actors)]


def transition(current: str, event: Event, actor: Actor | None = None) -> Status:
    """The status ``event`` leads to from ``current``.

    409 ``invalid_status`` (``details`` name the current status and the event) when ``event``
    cannot happen from ``current``; 403 when it can but ``actor`` may not cause it. Status first:
    telling a caller "not allowed" about an order that could not move anyway says less.
    """
    found = _BY_KEY.get((current, event))
    if found is None:
        raise Conflict(
            "invalid_status",
            status=current,
            details=[{"code": "invalid_status", "status": current, "event": event}],
        )
    if actor is not None and actor not in found.actors:
        raise Forbidden()
    return found.target
