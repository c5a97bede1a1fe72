"""Booking's wire-form entries say what pynamodb would have sent."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.models import wire
from chalicelib.models.orders import CalendarGuardItem, IdempotencyItem, OrderEventItem, OrderItem
from chalicelib.models.workers import ReservationItem

ORDER: dict[str, Any] = {
    "order_id": "ord_1",
    "customer_id": "usr_1",
    "worker_id": None,
    "service_id": "svc_1",
    "category": "cleaning",
    "status": "pending_payment",
    "address": {"city": "上海市", "detail": "世纪大道100号", "lat": 31.23, "lng": 121.5},
    "price_amount": 20_000,
    "start_at": "2027-01-19T10:00:00+08:00",
    "end_at": "2027-01-19T12:00:00+08:00",
    "duration_minutes": 120,
    "cancellation_policy": {"free_until_hours": 24, "fee_percent": 20, "locked_within_hours": 2},
    "created_at": "2027-01-18T10:00:00+08:00",
    "unpaid_slot": 0,
    "held_days": 0,
    "gsi3pk": "ORDERS#2027-01-19#3",
}


@pytest.mark.parametrize(
    "model",
    [
        OrderItem(*OrderItem.key("ord_1"), **ORDER),  # defaults (currency, version), JSON, None, 0
        OrderItem(*OrderItem.key("ord_1"), **{**ORDER, "occupancy": "live_in", "rest_days": 4}),
        OrderEventItem("ORDER#ord_1", "EV#1", order_id="ord_1", event="created", at="t", by="usr_1"),
        ReservationItem("CAL#w#d", "s", worker_id="w", order_id="o", start="a", end="b", lat=31.5, lng=121),
        IdempotencyItem(
            *IdempotencyItem.key("usr_1", "k"),
            order_id="o",
            body_hash="h",
            response={"a": [1]},
            created_at="t",
            ttl=9,
        ),
    ],
    ids=["visit", "live-in", "event", "reservation", "idempotency"],
)
def test_an_item_is_what_pynamodb_serialises(model: Any) -> None:
    assert wire.item(model) == model.serialize()


def test_a_missing_required_attribute_is_refused() -> None:
    with pytest.raises(ValueError, match="status"):
        wire.item(OrderItem(*OrderItem.key("ord_1"), **{**ORDER, "status": None}))


@pytest.mark.parametrize(
    ("model_class", "values"),
    [
        (OrderItem, {"pk": "ORDER#ord_1", "sk": "ORDER", **ORDER}),  # leaves currency, version to defaults
        (OrderItem, {"pk": "ORDER#ord_1", "sk": "ORDER", **ORDER, "currency": "HKD", "version": 3}),
        (
            OrderEventItem,
            {
                "pk": "ORDER#ord_1",
                "sk": "EV#1",
                "order_id": "ord_1",
                "event": "created",
                "at": "t",
                "by": "u",
            },
        ),
    ],
    ids=["defaults", "given", "event"],
)
def test_a_built_item_is_the_constructed_one(model_class: Any, values: dict[str, Any]) -> None:
    made = wire.built(model_class, values)
    constructed = model_class(**values)
    assert type(made) is model_class
    assert made.attribute_values == constructed.attribute_values
    assert made.serialize() == constructed.serialize() == wire.item(made)


def test_building_with_an_unknown_attribute_is_refused() -> None:
    with pytest.raises(ValueError, match="colour"):
        wire.built(OrderItem, {"pk": "ORDER#ord_1", "sk": "ORDER", **ORDER, "colour": "red"})
    with pytest.raises(ValueError):
        OrderItem(*OrderItem.key("ord_1"), **ORDER, colour="red")


def test_a_new_put_is_conditioned_on_its_key() -> None:
    entry = wire.put(OrderEventItem("ORDER#o", "EV#1", order_id="o", event="e", at="t", by="u"), new=True)
    assert entry["Put"]["ConditionExpression"] == "attribute_not_exists(#pk)"
    assert entry["Put"]["ExpressionAttributeNames"] == {"#pk": "pk"}
    assert (
        "ConditionExpression"
        not in wire.put(OrderEventItem("p", "s", order_id="o", event="e", at="t", by="u"))["Put"]
    )


def test_an_update_names_every_attribute_it_touches() -> None:
    entry = wire.update(
        CalendarGuardItem,
        CalendarGuardItem.key("usr_w", "2027-01-19"),
        set_values={"version": 3, "term_order": "ord_1"},
        remove=["term_hold_until"],
        condition="#version = :read",
        condition_values={":read": 2},
    )["Update"]
    assert entry["Key"] == {"pk": {"S": "CAL#usr_w#2027-01-19"}, "sk": {"S": "GUARD"}}
    assert entry["UpdateExpression"] == (
        "SET #version = :set_version, #term_order = :set_term_order REMOVE #term_hold_until"
    )
    assert entry["ExpressionAttributeNames"] == {
        "#version": "version",
        "#term_order": "term_order",
        "#term_hold_until": "term_hold_until",
    }
    assert entry["ExpressionAttributeValues"] == {
        ":set_version": {"N": "3"},
        ":set_term_order": {"S": "ord_1"},
        ":read": {"N": "2"},
    }
