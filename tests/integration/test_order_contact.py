"""The customer's real phone for the assigned worker only, from 1 hour before the start until the
order ends, every reveal audited (issue 12); everyone else sees the masked number."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.accounts.sessions import open_session
from chalicelib.audit import AuditItem
from chalicelib.orders import payment_port, worker_side
from tests.integration.conftest import Http
from tests.integration.live_in_steps import book, code, customer, live_in_worker, visit_service
from tests.integration.order_steps import set_status
from tests.integration.scheduling_steps import NOW, at, worker


@pytest.fixture
def scene(aws: dict[str, str]) -> dict[str, Any]:
    clock.freeze(NOW)
    return {"visit": visit_service(), "worker": live_in_worker(), "alice": customer("王女士")}


def _token(user_id: str, role: str) -> str:
    return open_session(user_id, role).access_token


def test_only_the_assigned_worker_sees_the_phone_and_only_around_the_job(
    http: Http, scene: dict[str, Any]
) -> None:
    start = at(NOW.date() + timedelta(days=1), "10:00")
    made = book(http, scene["alice"], scene["visit"], scene["worker"], start)
    assert made.status_code == 201, made.json
    order_id = made.json["order_id"]
    assert made.json["address"]["contact_phone"] == "+86138****1111"
    path = f"/v1/worker/orders/{order_id}/contact"
    payment_port.mark_paid(order_id, "pi_contact")
    worker_side.accept(order_id, scene["worker"])
    early = http.call("GET", path, token=_token(scene["worker"], "worker"))
    assert (early.status_code, code(early)) == (409, "contact_not_yet")
    clock.advance(start - clock.now() - timedelta(minutes=60))  # exactly one hour before
    shown = http.call("GET", path, token=_token(scene["worker"], "worker"))
    assert shown.status_code == 200, shown.json
    assert shown.json["contact_phone"] == "+8613800001111"
    # anyone else: another worker 404, the customer 403 (wrong role), the order itself stays masked
    other = worker("赵阿姨")
    assert http.call("GET", path, token=_token(other, "worker")).status_code == 404
    assert http.call("GET", path, token=_token(scene["alice"].customer_id, "customer")).status_code == 403
    as_worker = http.call("GET", f"/v1/orders/{order_id}", token=_token(scene["worker"], "worker"))
    assert as_worker.json["address"]["contact_phone"] == "+86138****1111"
    # every reveal is in the audit log
    reveals = [
        item
        for item in AuditItem.query(f"AUDIT#{clock.now():%Y-%m}")
        if item.action == "order.contact_reveal" and item.target_id == order_id
    ]
    assert [(item.actor_id, item.actor_role) for item in reveals] == [(scene["worker"], "worker")]
    # after the order ends, nobody sees it any more
    set_status(order_id, "completed")
    closed = http.call("GET", path, token=_token(scene["worker"], "worker"))
    assert (closed.status_code, code(closed)) == (409, "contact_closed")
