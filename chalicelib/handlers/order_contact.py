"""The customer's real phone for the order's assigned worker, around the job (a contract extension).

The rules live in ``chalicelib.orders.contact``; every reveal is in the audit log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.lazy import lazy_import
from chalicelib.schemas.order_contact import ContactOut
from chalicelib.web import Api, Request

if TYPE_CHECKING:
    from chalicelib.orders import contact
else:
    contact = lazy_import("chalicelib.orders.contact")

api = Api("order_contact")


@api.get("/v1/worker/orders/{order_id}/contact", roles=("worker",), response=ContactOut, errors=(404, 409))
def reveal_contact(request: Request[Any]) -> ContactOut:
    """The customer's real contact phone, from 1 hour before the start until the order ends.

    409 ``contact_not_yet`` before that, ``contact_closed`` after; 404 for another worker's order.
    Everyone else (and this worker elsewhere) sees the masked number in the order's address.
    """
    found = contact.reveal(request.path["order_id"], request.principal.user_id, request_id=request.request_id)
    return ContactOut(
        order_id=found.order_id,
        contact_name=found.contact_name,
        contact_phone=found.contact_phone,
        visible_from=found.visible_from,
        visible_until=found.visible_until,
    )
