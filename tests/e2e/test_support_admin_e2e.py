"""The support and administration walk-through over HTTP, as the README's curl lines do it.

A customer files a complaint about a finished job; an admin creates a support agent (invited by
an e-mail code), assigns her the ticket; she reads the order's chat and answers; the admin
refunds part of the price; the customer sees the reply and the refund and rates the resolution.
The admin suspends the worker (her token stops working at once) and reactivates her, changes the
commission rate, and the next completed order uses it. Every step is in the audit log.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx

from local.stack import LocalStack
from tests.e2e.accounts import bearer, clock_restored, login, new_admin
from tests.e2e.scenes import run_scene
from tests.e2e.test_order_walkthrough_e2e import Walk
from tests.e2e.test_order_workflow_e2e import eventually

_SCENE = r"""
worker = verified_worker("李阿姨")
service = cleaning_service()
customer, address = customer_at_home("王女士")
start = (clock.now() + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
print(json.dumps({"service_id": service, "address_id": address, "start": start.isoformat(),
    "worker_id": worker.user_id, "worker_phone": worker.phone, "customer_phone": customer.phone}))
"""


def _finished_job(http: httpx.Client, walk: Walk, start: datetime) -> str:
    """Book, pay, accept and do a job starting at ``start`` (the clock must be just before it)."""
    scene = walk.scene
    body = {k: scene[k] for k in ("service_id", "address_id", "worker_id")} | {"start_at": start.isoformat()}
    booked = http.post("/v1/orders", json=body, headers=walk.customer())
    assert booked.status_code == 201, booked.text
    order_id = str(booked.json()["order_id"])
    paying = http.post(f"/v1/orders/{order_id}/pay", json={"method": "wechat_pay"}, headers=walk.customer())
    assert paying.status_code == 201, paying.text
    done = http.post(
        f"/v1/dev/payments/{paying.json()['payment_id']}/complete", json={"outcome": "succeeded"}
    )
    assert done.status_code == 202, done.text
    walk.wait_for_status(order_id, "paid")
    assert walk.work(order_id, "accept")["status"] == "assigned"
    said = http.post(
        f"/v1/orders/{order_id}/messages", json={"text": "厨房油烟机请重点清洁"}, headers=walk.customer()
    )
    assert said.status_code == 201, said.text
    return order_id


def _do(walk: Walk, order_id: str) -> None:
    code = walk.order(order_id)["check_in_code"]
    walk.work(order_id, "progress", {"event": "departed"})
    walk.work(order_id, "progress", {"event": "arrived", "lat": 31.2304, "lng": 121.4737})
    walk.work(order_id, "progress", {"event": "started", "check_in_code": code})
    walk.work(order_id, "progress", {"event": "finished", "note": "完成"})


def _commission(http: httpx.Client, admin: dict[str, str], order_id: str) -> int:
    """The commission the order's completion booked."""
    ledger = http.get(f"/v1/admin/orders/{order_id}/ledger", headers=admin)
    assert ledger.status_code == 200, ledger.text
    assert ledger.json()["balance"] == 0
    # what completion took at the rate in force (a refund inside the dispute window gives back
    # part of it afterwards, in a reversal)
    return -sum(
        int(entry["amount"])
        for entry in ledger.json()["entries"]
        if entry["kind"] == "completion" and entry["account"] == "platform_commission"
    )


def test_support_and_administration_walkthrough(stack: LocalStack, http: httpx.Client) -> None:
    scene = run_scene(stack, _SCENE, 0)
    walk = Walk(http, scene)
    first_start = datetime.fromisoformat(scene["start"])
    admin_account = new_admin(stack, http)
    admin = bearer(admin_account.access_token)

    with clock_restored(stack):
        walk.advance_to(first_start - timedelta(hours=30))
        first = _finished_job(http, walk, first_start)
        second = _finished_job(http, walk, first_start + timedelta(hours=4))
        walk.advance_to(first_start - timedelta(minutes=30))
        _do(walk, first)
        walk.advance_to(first_start + timedelta(hours=4) - timedelta(minutes=30))
        _do(walk, second)
        admin = bearer(login(http, admin_account.password, email=admin_account.email or "").access_token)
        assert http.post(f"/v1/orders/{first}/confirm", headers=walk.customer()).status_code == 200

        # a customer files a complaint about the first job
        customer = walk.customer()
        opened = http.post(
            "/v1/support/tickets",
            json={
                "type": "complaint",
                "subject": "油烟机没有清洁",
                "body": "师傅漏掉了油烟机",
                "order_id": first,
            },
            headers=customer,
        )
        assert opened.status_code == 201, opened.text
        ticket_id = opened.json()["ticket_id"]

        # the admin creates a support agent, who sets her password with the e-mailed code
        agent_email = f"agent{ticket_id[-6:].lower()}@jiazheng.example"
        created = http.post(
            "/v1/admin/users", json={"role": "support", "email": agent_email, "name": "小林"}, headers=admin
        )
        assert created.status_code == 201, created.text
        agent_id = created.json()["user_id"]
        mail = eventually(
            lambda: next(
                iter(http.get("/v1/dev/outbox", params={"target": agent_email}).json()["items"]), None
            )
        )["body"]
        code = re.search(r"(\d{6})", mail).group(1)  # type: ignore[union-attr]
        reset = {"email": agent_email, "code": code, "new_password": "Agent-pass-2027"}
        assert http.post("/v1/auth/password/reset", json=reset).status_code == 204
        agent = bearer(login(http, "Agent-pass-2027", email=agent_email).access_token)

        # assigned to her; she reads the order's chat and answers
        assigned = http.patch(f"/v1/admin/tickets/{ticket_id}", json={"assignee_id": agent_id}, headers=admin)
        assert assigned.status_code == 200, assigned.text
        chat = http.get(f"/v1/orders/{first}/messages", headers=agent).json()["items"]
        assert [m["text"] for m in chat] == ["厨房油烟机请重点清洁"]
        reply = http.post(
            f"/v1/support/tickets/{ticket_id}/messages", json={"text": "已核实，退还部分费用"}, headers=agent
        )
        assert reply.status_code == 201, reply.text

        # the admin refunds part of the price; support may not
        refund_body = {"amount": 3000, "reason": "油烟机未清洁"}
        key = {"Idempotency-Key": f"dispute-{ticket_id}"}
        assert (
            http.post(f"/v1/admin/orders/{first}/refund", json=refund_body, headers=agent | key).status_code
            == 403
        )
        refunded = http.post(f"/v1/admin/orders/{first}/refund", json=refund_body, headers=admin | key)
        assert refunded.status_code == 201, refunded.text
        replay = http.post(f"/v1/admin/orders/{first}/refund", json=refund_body, headers=admin | key)
        assert replay.headers.get("Idempotent-Replayed") == "true"
        over = http.post(
            f"/v1/admin/orders/{first}/refund",
            json={"amount": 10**7, "reason": "x"},
            headers=admin | {"Idempotency-Key": "too-much"},
        )
        assert over.status_code in (409, 422), over.text
        resolved = http.patch(f"/v1/admin/tickets/{ticket_id}", json={"status": "resolved"}, headers=agent)
        assert resolved.status_code == 200, resolved.text

        # the customer sees the reply and the refund, and rates the resolution
        messages = http.get(f"/v1/support/tickets/{ticket_id}/messages", headers=customer).json()["items"]
        assert [m["text"] for m in messages] == ["已核实，退还部分费用"]
        refunds = http.get(f"/v1/orders/{first}/payment", headers=customer).json()["refunds"]
        assert [r["amount"]["amount"] for r in refunds] == [3000]
        kinds = {n["kind"] for n in http.get("/v1/me/notifications", headers=customer).json()["items"]}
        assert {"support.reply", "support.resolved"} <= kinds
        rated = http.post(f"/v1/support/tickets/{ticket_id}/rating", json={"score": 4}, headers=customer)
        assert rated.status_code == 200 and rated.json()["rating"] == 4

        # the admin suspends the worker: her token stops working at once; then reactivates her
        worker = walk.worker()
        assert http.get("/v1/me", headers=worker).status_code == 200
        worker_id = scene["worker_id"]
        suspended = http.patch(
            f"/v1/admin/users/{worker_id}",
            json={"status": "suspended", "reason": "投诉核实中"},
            headers=admin,
        )
        assert suspended.status_code == 200, suspended.text
        assert http.get("/v1/me", headers=worker).status_code == 401
        login_refused = http.post(
            "/v1/auth/login", json={"phone": scene["worker_phone"], "password": "secret123"}
        )
        assert login_refused.status_code == 403
        assert (
            http.patch(f"/v1/admin/users/{worker_id}", json={"status": "active"}, headers=admin).status_code
            == 200
        )
        assert http.get("/v1/me", headers=walk.worker()).status_code == 200

        # a new commission rate: the next completed order uses it
        current = http.get("/v1/admin/settings", headers=admin).json()
        settings: dict[str, Any] = current["settings"] | {"commission_basis_points": 1000}
        saved = http.put(
            "/v1/admin/settings",
            json={"version": current["version"], "reason": "旺季让利", "settings": settings},
            headers=admin,
        )
        assert saved.status_code == 200, saved.text
        stale = http.put(
            "/v1/admin/settings",
            json={"version": current["version"], "reason": "again", "settings": settings},
            headers=admin,
        )
        assert stale.status_code == 409
        assert http.post(f"/v1/orders/{second}/confirm", headers=walk.customer()).status_code == 200
        first_commission, second_commission = (
            _commission(http, admin, first),
            _commission(http, admin, second),
        )
        price = first_commission * 10000 // 2000
        assert second_commission == price * 1000 // 10000 and first_commission == price * 2000 // 10000
        assert walk.order(first)["price"]["amount"] == price

    # every step is in the audit log
    log = http.get("/v1/admin/audit-log", params={"limit": 100}, headers=admin)
    assert log.status_code == 200, log.text
    actions = [(entry["action"], entry["actor_id"]) for entry in log.json()["items"]]
    admin_id = admin_account.user_id
    for expected in (
        ("staff.create", admin_id),
        ("ticket.update", admin_id),
        ("ticket.reply", agent_id),
        ("order.refund", admin_id),
        ("ticket.update", agent_id),
        ("user.suspend", admin_id),
        ("user.reactivate", admin_id),
        ("settings.update", admin_id),
    ):
        assert expected in actions, expected
    assert [e for e in actions if e[0] == "order.refund"] == [
        ("order.refund", admin_id)
    ]  # the replay moved nothing
    by_target = http.get("/v1/admin/audit-log", params={"target_id": worker_id}, headers=admin).json()[
        "items"
    ]
    assert [e["action"] for e in by_target][:2] == ["user.reactivate", "user.suspend"]
    assert all(e["request_id"] and e["ip"] for e in by_target)
