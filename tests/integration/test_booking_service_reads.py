"""Booking reads the service afresh in its one BatchGetItem and keeps it out of the transaction.

An admin's retire or reprice applies to the very next booking; and since the service item is in
no booking transaction, bookings of one popular service never conflict with each other on it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.catalog.services import (
    Actor,
    ServiceTerms,
    bookable_terms,
    get_service,
    retire_service,
    update_service,
)
from chalicelib.models import base
from chalicelib.models.catalog import ServiceItem
from chalicelib.models.orders import OrderItem
from chalicelib.models.workers import ReservationItem
from chalicelib.orders.booking import _batch_get
from chalicelib.scheduling.availability import set_availability
from tests.integration.conftest import Http
from tests.integration.scheduling_steps import (
    NOW,
    PEOPLES_SQUARE,
    account,
    address,
    at,
    every_day,
    service,
    worker,
)

TOMORROW = NOW.date() + timedelta(days=1)
ADMIN = Actor(user_id="usr_admin", role="admin")


class Booker:
    """A customer with an address, booking one worker's time over HTTP."""

    def __init__(self, http: Http) -> None:
        clock.freeze(NOW)
        self.http = http
        self.customer_id, self.token = account("customer")
        self.address_id = address(self.customer_id, *PEOPLES_SQUARE)
        self.worker_id = worker()
        set_availability(self.worker_id, every_day([["08:00", "18:00"]]), [])
        self.service_id = service()  # 100 CNY an hour, 2 hours

    def book(self, hour: str) -> Any:
        body = {
            "service_id": self.service_id,
            "address_id": self.address_id,
            "start_at": at(TOMORROW, hour).isoformat(),
            "worker_id": self.worker_id,
        }
        return self.http.call("POST", "/v1/orders", body, token=self.token)


def _reprice(service_id: str, fen_an_hour: int) -> None:
    update_service(service_id, {"price_min": fen_an_hour, "price_max": fen_an_hour}, actor=ADMIN)


def _held_starts(worker_id: str) -> list[str]:
    partition = ReservationItem.partition(worker_id, str(TOMORROW))
    held = ReservationItem.query(partition, ReservationItem.sk.startswith(str(TOMORROW)))
    return [item.start[11:16] for item in held]


@pytest.fixture
def booker(http: Http) -> Booker:
    return Booker(http)


def test_bookings_of_one_service_share_no_item_in_their_transactions(booker: Booker) -> None:
    written: list[str] = []

    def recorded(params: dict[str, Any], **_: Any) -> None:
        for entry in params["TransactItems"]:
            (operation,) = entry.values()
            written.append(str((operation.get("Key") or operation.get("Item"))["pk"]["S"]))

    events = base.connection().client.meta.events
    events.register("before-parameter-build.dynamodb.TransactWriteItems", recorded)
    try:
        assert booker.book("08:00").status_code == 201
    finally:
        events.unregister("before-parameter-build.dynamodb.TransactWriteItems", recorded)
    assert written and not [pk for pk in written if pk.startswith("SERVICE#")]


def test_an_unknown_service_is_named(booker: Booker) -> None:
    booker.service_id = "svc_missing"
    refused = booker.book("08:00")
    assert refused.status_code == 422
    assert refused.json["error"]["details"][0]["field"] == "service_id"


def test_a_service_retired_after_it_was_read_is_not_booked(booker: Booker) -> None:
    assert booker.book("08:00").status_code == 201
    retire_service(booker.service_id, actor=ADMIN)
    refused = booker.book("11:00")
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "service_retired")
    assert _held_starts(booker.worker_id) == ["08:00"]
    orders = booker.http.call("GET", "/v1/orders", token=booker.token).json["items"]
    assert len(orders) == 1


def test_a_repriced_service_is_booked_at_its_new_price(booker: Booker) -> None:
    assert booker.book("08:00").json["price"]["amount"] == 20_000
    _reprice(booker.service_id, 12_000)
    dearer = booker.book("11:00")
    assert dearer.status_code == 201, dearer.json
    assert dearer.json["price"]["amount"] == 24_000
    assert OrderItem.get(*OrderItem.key(dearer.json["order_id"])).price_amount == 24_000
    assert _held_starts(booker.worker_id) == ["08:00", "11:00"]


@pytest.mark.parametrize("category", ["cleaning", "maternity_nurse"])
def test_the_projected_read_gives_the_terms_the_catalog_shows(aws: dict[str, str], category: str) -> None:
    service_id = service(category)
    key = ServiceItem.key(service_id)
    raw = _batch_get([key])[key]
    assert "names" not in raw and "descriptions" not in raw  # the texts are left out
    terms, view = bookable_terms(raw), get_service(service_id)
    assert terms == ServiceTerms(
        service_id=view.service_id,
        category=view.category,
        price_min=view.price_min,
        price_unit=view.price_unit,
        term_days=view.term_days,
        duration_minutes=view.duration_minutes,
        currency=view.currency,
        occupancy=view.occupancy,
    )
    assert terms.live_in == view.live_in
