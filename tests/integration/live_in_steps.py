"""Shared steps of the live-in tests: a 月嫂 term service, a 住家保姆 month service, a worker who
does both (and visits), the calendar read back day by day, and the HTTP calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.catalog.services import Actor, create_service
from chalicelib.models.orders import CalendarGuardItem, OrderItem
from chalicelib.models.workers import ReservationItem
from chalicelib.scheduling.availability import set_availability
from tests.integration.conftest import Http
from tests.integration.scheduling_steps import NOW, PEOPLES_SQUARE, account, address, at, every_day, worker

SKILLS = ("maternity_nurse", "nanny", "cleaning")
TERM_START = NOW.date() + timedelta(days=10)  # Thursday 28 January 2027


def live_in_service(
    category: str = "maternity_nurse", price_unit: str = "per_term", price: int = 1_300_000
) -> str:
    fields: dict[str, Any] = {
        "category": category,
        "sub_type": "live_in" if category == "nanny" else None,
        "name": {"zh-CN": "月嫂" if category == "maternity_nurse" else "住家保姆", "en": "Live-in"},
        "description": {"zh-CN": "住家", "en": "Live-in"},
        "includes": [],
        "price_min": price,
        "price_max": price,
        "price_unit": price_unit,
        "duration_minutes": 1440 if price_unit == "per_term" else 720,
        "occupancy": "live_in",
    }
    return create_service(fields, actor=Actor(user_id="usr_admin", role="admin")).service_id


def visit_service() -> str:
    fields: dict[str, Any] = {
        "category": "cleaning",
        "sub_type": None,
        "name": {"zh-CN": "日常保洁", "en": "Cleaning"},
        "description": {"zh-CN": "保洁", "en": "Cleaning"},
        "includes": [],
        "price_min": 10000,
        "price_max": 10000,
        "price_unit": "per_hour",
        "duration_minutes": 120,
    }
    return create_service(fields, actor=Actor(user_id="usr_admin", role="admin")).service_id


def live_in_worker(name: str = "李阿姨") -> str:
    worker_id = worker(name, skills=SKILLS)
    set_availability(worker_id, every_day([["08:00", "18:00"]]), [])
    return worker_id


@dataclass
class Customer:
    customer_id: str
    token: str
    address_id: str


def customer(name: str = "王女士") -> Customer:
    customer_id, token = account("customer", name)
    return Customer(customer_id, token, address(customer_id, *PEOPLES_SQUARE))


def book(http: Http, who: Customer, service_id: str, worker_id: str | None, start: Any, **more: Any) -> Any:
    body = {
        "service_id": service_id,
        "address_id": who.address_id,
        "start_at": start.isoformat(),
        "worker_id": worker_id,
        **more,
    }
    return http.call("POST", "/v1/orders", {k: v for k, v in body.items() if v is not None}, token=who.token)


def term_days_held(worker_id: str, first: date, days: int) -> dict[str, str | None]:
    """Day -> the live-in order holding it (None when free), read from the guards."""
    held: dict[str, str | None] = {}
    for offset in range(days):
        day = (first + timedelta(days=offset)).isoformat()
        try:
            guard = CalendarGuardItem.get(*CalendarGuardItem.key(worker_id, day), consistent_read=True)
            held[day] = guard.term_order
        except CalendarGuardItem.DoesNotExist:
            held[day] = None
    return held


def visits_on(worker_id: str, day: date) -> list[str]:
    text = day.isoformat()
    return [
        item.order_id
        for item in ReservationItem.query(
            ReservationItem.partition(worker_id, text), ReservationItem.sk.startswith(text)
        )
    ]


def expected_calendar(worker_id: str, first: date, days: int) -> dict[str, str | None]:
    """What the orders say the guards must hold: every live, live-in order of the worker's days."""
    wanted: dict[str, str | None] = {
        (first + timedelta(days=offset)).isoformat(): None for offset in range(days)
    }
    for order in OrderItem.scan(OrderItem.occupancy == "live_in"):  # test only: no Scan in the app
        if order.worker_id != worker_id or not order.held_from or order.status in ("cancelled", "refunded"):
            continue
        start = date.fromisoformat(order.held_from)
        for offset in range(int(order.held_days or 0)):
            day = (start + timedelta(days=offset)).isoformat()
            if day in wanted:
                assert wanted[day] is None, f"{day} held twice"
                wanted[day] = order.order_id
    return wanted


def code(response: Any) -> str:
    return str(response.json["error"]["code"])


def detail(response: Any) -> str:
    return str(response.json["error"]["details"][0]["code"])


MONTH_PRICE = 800_000


def month_scene() -> dict[str, Any]:
    """A 住家保姆 month service, two live-in workers (Anna, Bella), a visit service, a customer."""
    clock.freeze(NOW)
    month = live_in_service("nanny", "per_month", MONTH_PRICE)
    anna, bella = live_in_worker("李阿姨"), live_in_worker("张阿姨")
    alice = customer("王女士")
    return {"month": month, "visit": visit_service(), "anna": anna, "bella": bella, "alice": alice}


def running_month_order(http: Http, scene: dict[str, Any]) -> str:
    """Anna's paid, accepted 住家保姆 month (28 Jan to 27 Feb), 16 days in: today is 12 Feb."""
    from chalicelib.accounts.sessions import open_session
    from chalicelib.orders import payment_port, worker_side
    from tests.integration.order_steps import set_status

    made = book(http, scene["alice"], scene["month"], scene["anna"], at(TERM_START, "09:00"))
    assert made.status_code == 201, made.json
    order_id = str(made.json["order_id"])
    payment_port.mark_paid(order_id, "pi_month")
    payment_port.mark_balance_paid(order_id, "pi_month_balance")
    worker_side.accept(order_id, scene["anna"])
    clock.advance(timedelta(days=10 + 15))
    scene["alice"].token = open_session(scene["alice"].customer_id, "customer").access_token
    set_status(order_id, "in_service")
    return order_id
