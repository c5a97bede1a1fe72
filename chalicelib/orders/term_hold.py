"""The writes that hold, confirm and free a live-in order's days on a worker's calendar.

A held day is the worker-day guard itself (``CAL#<worker>#<date> / GUARD``) carrying
``term_order`` (and ``term_hold_until`` while unpaid), written with the same version bump every
booking of that day makes. So a term, a visit, a pool acceptance, a reschedule or a reassignment
touching the same day all meet on one item and exactly one of them commits (docs/live-in.md).
Each function adds its updates to a transaction the caller builds; one day is one item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.models import wire
from chalicelib.models.orders import CalendarGuardItem
from chalicelib.scheduling import calendar

__all__ = ["confirm", "guard_entry", "held_by", "release", "take", "take_entries"]


def take(
    tx: TransactWrite,
    worker_id: str,
    order_id: str,
    versions: Mapping[str, int | None],
    *,
    hold_until: int | None,
) -> int:
    """Hold every day of ``versions`` for ``order_id``, each conditioned on the version read before
    the check (``calendar.check_term``); ``hold_until`` (epoch seconds) while unpaid. Returns the
    number of items added."""
    for day, read in versions.items():
        actions: list[Action] = [
            CalendarGuardItem.version.set((read or 0) + 1),
            CalendarGuardItem.term_order.set(order_id),
            CalendarGuardItem.term_hold_until.set(hold_until)
            if hold_until is not None
            else CalendarGuardItem.term_hold_until.remove(),
        ]
        tx.update(
            CalendarGuardItem(*CalendarGuardItem.key(worker_id, day)),
            actions,
            condition=CalendarGuardItem.pk.does_not_exist()
            if read is None
            else CalendarGuardItem.version == read,
        )
    return len(versions)


def guard_entry(
    worker_id: str,
    day: str,
    read: int | None,
    *,
    set_values: Mapping[str, Any] | None = None,
    remove: Iterable[str] = (),
) -> dict[str, Any]:
    """The wire Update (``chalicelib.models.wire``) of a worker-day guard: ``version`` read + 1
    (and ``set_values``, ``remove``), on condition that it is still the version read (absent when
    ``read`` is None). A visit's booking bumps it alone; a term's day also carries its hold."""
    return wire.update(
        CalendarGuardItem,
        CalendarGuardItem.key(worker_id, day),
        set_values={"version": (read or 0) + 1, **(set_values or {})},
        remove=remove,
        condition="attribute_not_exists(#pk)" if read is None else "#version = :read",
        condition_values=None if read is None else {":read": read},
    )


def take_entries(
    worker_id: str, order_id: str, versions: Mapping[str, int | None], *, hold_until: int | None
) -> list[dict[str, Any]]:
    """:func:`take` as wire entries, for booking's transaction."""
    held: dict[str, Any] = {"term_order": order_id}
    if hold_until is not None:
        held["term_hold_until"] = hold_until
    remove = () if hold_until is not None else ("term_hold_until",)
    return [
        guard_entry(worker_id, day, read, set_values=held, remove=remove) for day, read in versions.items()
    ]


def confirm(tx: TransactWrite, worker_id: str, order_id: str, days: Iterable[str]) -> None:
    """The order is paid: its holds stop lapsing (condition: each day is still this order's)."""
    for day in days:
        tx.update(
            CalendarGuardItem(*CalendarGuardItem.key(worker_id, day)),
            [CalendarGuardItem.term_hold_until.remove()],
            condition=CalendarGuardItem.term_order == order_id,
        )


def release(tx: TransactWrite, worker_id: str, order_id: str, days: Iterable[str]) -> None:
    """Free ``days`` (condition: each is still this order's) and bump their versions, so a
    booking that read one of them before the release checks again."""
    for day in days:
        tx.update(
            CalendarGuardItem(*CalendarGuardItem.key(worker_id, day)),
            [
                CalendarGuardItem.term_order.remove(),
                CalendarGuardItem.term_hold_until.remove(),
                CalendarGuardItem.version.add(1),
            ],
            condition=CalendarGuardItem.term_order == order_id,
        )


def held_by(worker_id: str, order_id: str, days: Sequence[str]) -> list[str]:
    """Which of ``days`` the calendar still holds for ``order_id`` (one consistent BatchGetItem).

    An unpaid order's lapsed days may have been taken by another booking since; releasing only
    the days still its own keeps a late expiry or cancellation from failing on them.
    """
    found = calendar.guards(worker_id, days)
    return [day for day in days if day in found and found[day].term_order == order_id]
