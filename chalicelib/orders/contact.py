"""The customer's real contact phone, for the order's assigned worker only, only around the job.

The order keeps the phone of its address encrypted (AES-256-GCM with the PII key, bound to the
order: ``order:<id>:contact_phone``), so later edits of the saved address do not change whom the
worker calls, and every other reader sees the masked copy in the address snapshot. The assigned
worker may read it from ``contact_reveal_minutes`` before the start until the order ends (its
``end_at``, or a status after which nobody comes any more); each reveal is written to the audit log
before the number is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib import audit, clock, i18n
from chalicelib.accounts.addresses import SavedAddress
from chalicelib.crypto import decrypt, encrypt
from chalicelib.errors import Conflict
from chalicelib.orders.access import order_for
from chalicelib.orders.live_in_rules import live_in_rules
from chalicelib.orders.views import effective_status

__all__ = ["REVEALABLE", "Contact", "reveal", "seal"]

REVEALABLE = frozenset({"assigned", "en_route", "arrived", "in_service"})
"""The statuses in which the assigned worker is (or is about to be) at the door."""

i18n.register(
    {
        "contact_not_yet": {
            "zh-CN": "服务开始前 {minutes} 分钟起可查看客户电话",
            "en": "The customer's phone shows from {minutes} minutes before the start.",
        },
        "contact_closed": {
            "zh-CN": "订单已结束，无法查看客户电话",
            "en": "The order has ended: the customer's phone is no longer shown.",
        },
    }
)


def _context(order_id: str) -> str:
    return f"order:{order_id}:contact_phone"


def seal(order_id: str, address: SavedAddress) -> str:
    """The address's phone, re-encrypted for the order (booking calls this)."""
    phone = decrypt(address.contact_phone_enc, context=f"address:{address.address_id}")
    return encrypt(phone, context=_context(order_id))


@dataclass(frozen=True)
class Contact:
    order_id: str
    contact_name: str
    contact_phone: str
    visible_from: str
    visible_until: str


def reveal(order_id: str, worker_id: str, *, request_id: str | None = None) -> Contact:
    """The real phone for the order's assigned worker: 404 for anyone else's order, 409
    ``contact_not_yet`` before the window, ``contact_closed`` once the order has ended."""
    order = order_for(order_id, worker_id, "worker", consistent=True).order
    now = clock.now()
    minutes = live_in_rules().contact_reveal_minutes
    opens = datetime.fromisoformat(order.start_at) - timedelta(minutes=minutes)
    closes = datetime.fromisoformat(order.end_at)
    status = effective_status(order, now)
    if status in ("pending_payment", "paid"):  # not accepted yet: she is not coming yet
        raise Conflict("contact_not_yet", minutes=minutes, details=[{"code": "contact_not_yet"}])
    if status not in REVEALABLE or now >= closes or not order.contact_phone_enc:
        raise Conflict("contact_closed", details=[{"code": "contact_closed", "status": status}])
    if now < opens:
        raise Conflict("contact_not_yet", minutes=minutes, details=[{"code": "contact_not_yet"}])
    audit.record(
        actor_id=worker_id,
        actor_role="worker",
        action="order.contact_reveal",
        target_type="order",
        target_id=order_id,
        details={"customer_id": order.customer_id},
        request_id=request_id,
    )
    return Contact(
        order_id=order_id,
        contact_name=str((order.address or {}).get("contact_name", "")),
        contact_phone=decrypt(str(order.contact_phone_enc), context=_context(order_id)),
        visible_from=clock.iso(opens),
        visible_until=clock.iso(closes),
    )
