"""Source events written as the app writes them, fed to the analytics stream consumer as Lambda would."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.analytics.consumer import handler
from chalicelib.models.base import MainItem
from chalicelib.models.orders import OrderEventItem, OrderItem, ReviewItem
from chalicelib.orders.views import event_sk
from chalicelib.support.items import TicketItem
from tests.integration.order_steps import order

__all__ = ["Journal"]


def _record(item: MainItem, sequence: int) -> dict[str, Any]:
    image = item.serialize()
    image["pk"] = {"S": item.pk}
    image["sk"] = {"S": item.sk}
    return {
        "eventID": str(sequence),
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": {"pk": {"S": item.pk}, "sk": {"S": item.sk}},
            "NewImage": image,
            "SequenceNumber": str(sequence),
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": "arn:aws:dynamodb:ap-southeast-1:123456789012:table/main/stream/x",
    }


class Journal:
    """Writes source items and delivers them (again, if asked) to the consumer."""

    def __init__(self) -> None:
        self.items: list[MainItem] = []
        self._sequence = 0

    def _keep(self, item: MainItem) -> MainItem:
        item.save()
        self.items.append(item)
        return item

    def order(
        self,
        customer_id: str,
        worker_id: str | None,
        *,
        district: str = "浦东新区",
        category: str = "cleaning",
    ) -> str:
        order_id = order(customer_id, worker_id, "svc_1", status="pending_payment")
        OrderItem(*OrderItem.key(order_id)).update(
            actions=[
                OrderItem.category.set(category),
                OrderItem.address.set({"city": "上海市", "district": district, "detail": "世纪大道 100 号"}),
            ]
        )
        return order_id

    def event(self, order_id: str, event: str, at: datetime, by: str = "system", **details: Any) -> None:
        version = len([i for i in self.items if i.pk == f"ORDER#{order_id}"]) + 1
        if event == "paid":
            OrderItem(*OrderItem.key(order_id)).update(actions=[OrderItem.paid_at.set(clock.iso(at))])
        self._keep(
            OrderEventItem(
                f"ORDER#{order_id}",
                event_sk(clock.iso(at), version),
                order_id=order_id,
                event=event,
                at=clock.iso(at),
                by=by,
                details=details or None,
            )
        )

    def review(
        self, order_id: str, customer_id: str, worker_id: str, at: datetime, scores: tuple[int, int, int]
    ) -> None:
        quality, attitude, skill = scores
        self._keep(
            ReviewItem(
                f"ORDER#{order_id}",
                "REVIEW",
                review_id=f"rev_{order_id}",
                order_id=order_id,
                worker_id=worker_id,
                service_id="svc_1",
                customer_id=customer_id,
                reviewer_name="王**",
                quality=quality,
                attitude=attitude,
                skill=skill,
                created_at=clock.iso(at),
            )
        )

    def ticket(self, ticket_id: str, ticket_type: str, at: datetime, order_id: str | None = None) -> None:
        self._keep(
            TicketItem(
                *TicketItem.key(ticket_id),
                ticket_id=ticket_id,
                owner_id="usr_x",
                owner_role="customer",
                type=ticket_type,
                subject="s",
                body="b",
                order_id=order_id,
                created_at=clock.iso(at),
                updated_at=clock.iso(at),
            )
        )

    def deliver(self, items: list[MainItem] | None = None) -> dict[str, Any]:
        records = []
        for item in items if items is not None else self.items:
            self._sequence += 1
            records.append(_record(item, self._sequence))
        answer = handler({"Records": records}, None)
        assert not answer.get("batchItemFailures"), answer
        return answer


def minutes(at: datetime, n: int) -> datetime:
    return at + timedelta(minutes=n)
