"""The order state machine, exhaustively: every (status, event) pair, and who may cause each."""

from __future__ import annotations

import itertools
from typing import get_args

import pytest

from chalicelib.errors import Conflict, Forbidden
from chalicelib.orders.states import (
    STATUSES,
    TRANSITIONS,
    Actor,
    Event,
    Transition,
    allowed_events,
    transition,
)

EVENTS: tuple[Event, ...] = get_args(Event)
ACTORS: tuple[Actor, ...] = get_args(Actor)
TABLE: dict[tuple[str, str], Transition] = {(t.source, t.event): t for t in TRANSITIONS}

HAPPY_PATH = [
    ("pending_payment", "pay", "paid"),
    ("paid", "accept", "assigned"),
    ("assigned", "depart", "en_route"),
    ("en_route", "arrive", "arrived"),
    ("arrived", "start", "in_service"),
    ("in_service", "finish", "finished"),
    ("finished", "confirm", "completed"),
]


def test_statuses_are_exactly_the_contracts() -> None:
    assert set(STATUSES) == {
        "pending_payment", "paid", "assigned", "en_route", "arrived", "in_service",
        "finished", "completed", "cancelled", "refunded", "disputed",
    }  # fmt: skip


@pytest.mark.parametrize(("source", "event", "target"), HAPPY_PATH)
def test_the_happy_path(source: str, event: Event, target: str) -> None:
    assert transition(source, event) == target


@pytest.mark.parametrize(("status", "event"), list(itertools.product(STATUSES, EVENTS)))
def test_every_pair_is_either_a_transition_or_a_409_naming_the_status(status: str, event: Event) -> None:
    found = TABLE.get((status, event))
    if found:
        assert transition(status, event) == found.target
        for actor in ACTORS:
            if actor in found.actors:
                assert transition(status, event, actor) == found.target
            else:
                with pytest.raises(Forbidden):
                    transition(status, event, actor)
    else:
        for who in (None, *ACTORS):
            with pytest.raises(Conflict) as error:
                transition(status, event, who)
            assert error.value.code == "invalid_status"
            assert error.value.params["status"] == status


def test_terminal_statuses_have_no_way_out() -> None:
    assert allowed_events("completed") == []
    assert allowed_events("refunded") == []


def test_who_may_cancel() -> None:
    assert "cancel" in allowed_events("pending_payment", "customer")
    assert "cancel" not in allowed_events("pending_payment", "worker")
    assert "cancel" in allowed_events("assigned", "worker")
    assert "cancel" not in allowed_events("en_route", "customer")
    assert "cancel" not in allowed_events("finished", "admin")


def test_every_status_is_reachable_from_pending_payment() -> None:
    reached, frontier = {"pending_payment"}, ["pending_payment"]
    while frontier:
        current = frontier.pop()
        for t in TRANSITIONS:
            if t.source == current and t.target not in reached:
                reached.add(t.target)
                frontier.append(t.target)
    assert reached == set(STATUSES)
