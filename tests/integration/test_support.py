"""Support tickets and an admin's refund over HTTP against moto, with the real Stripe library on its fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import clock
from chalicelib.accounts.sessions import open_session
from chalicelib.audit import AuditItem
from chalicelib.events.contracts import OrderTimer
from chalicelib.orders.workflow import on_timer
from chalicelib.workflows.alerts import OPEN_ALERTS, OpsAlertItem
from tests.integration.conftest import Http
from tests.integration.order_steps import set_status
from tests.integration.payment_steps import (
    PRICE,
    START,
    Shop,
    assert_ledger_balanced,
    faked_stripe,
    open_shop,
    paid_order,
)
from tests.integration.scheduling_steps import account
from tests.integration.stripe_fake import StripeFake
from tests.integration.worker_steps import upload


@pytest.fixture
def stripe_fake(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeFake]:
    yield from faked_stripe(monkeypatch)


@pytest.fixture
def shop(stripe_fake: StripeFake) -> Shop:
    return open_shop()


def _complaint(http: Http, token: str, order_id: str | None = None, **extra: Any) -> Any:
    body = {"type": "complaint", "subject": "打扫不干净", "body": "厨房没有擦", **extra}
    if order_id:
        body["order_id"] = order_id
    return http.call("POST", "/v1/support/tickets", body, token=token)


def _staff(role: str = "admin") -> tuple[str, str]:
    return account(role, "客服" if role == "support" else "管理员")


def test_complaint_assigned_answered_refunded_and_rated(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake, shop: Shop
) -> None:
    order_id, _ = paid_order(http, api, aws, stripe_fake, shop)
    set_status(order_id, "assigned")  # accepted: the chat is open
    said = http.call("POST", f"/v1/orders/{order_id}/messages", {"text": "请带拖把"}, token=shop.token)
    assert said.status_code == 201, said.json
    set_status(order_id, "completed")
    opened = _complaint(http, shop.token, order_id)
    assert opened.status_code == 201, opened.json
    ticket_id = opened.json["ticket_id"]
    assert opened.json["status"] == "open" and opened.json["sla_due_at"]
    admin_id, admin = _staff()
    agent_id, agent = _staff("support")

    queue = http.call("GET", "/v1/admin/tickets?type=complaint", token=agent).json["items"]
    assert [item["ticket_id"] for item in queue] == [ticket_id]
    assigned = http.call("PATCH", f"/v1/admin/tickets/{ticket_id}", {"assignee_id": agent_id}, token=admin)
    assert assigned.status_code == 200 and assigned.json["assignee_id"] == agent_id
    mine = http.call("GET", f"/v1/admin/tickets?assignee_id={agent_id}", token=agent).json["items"]
    assert [item["ticket_id"] for item in mine] == [ticket_id]

    chat = http.call("GET", f"/v1/orders/{order_id}/messages", token=agent)  # the linked order's chat
    assert chat.status_code == 200 and chat.json["items"][0]["text"] == "请带拖把"
    assert http.call("GET", f"/v1/orders/{order_id}", token=agent).json["timeline"]

    reply = http.call(
        "POST", f"/v1/support/tickets/{ticket_id}/messages", {"text": "已核实，为您退款 50 元"}, token=agent
    )
    assert reply.status_code == 201 and reply.json["from_staff"]
    refund = http.call(
        "POST",
        f"/v1/admin/orders/{order_id}/refund",
        {"amount": 5000, "reason": "清洁不到位"},
        token=admin,
        **{"Idempotency-Key": "dispute-1"},
    )
    assert refund.status_code == 201, refund.json
    assert (
        refund.json["amount"] == 5000
        and refund.json["refunded_total"] == 5000
        and refund.json["paid"] == PRICE
    )
    resolved = http.call("PATCH", f"/v1/admin/tickets/{ticket_id}", {"status": "resolved"}, token=agent)
    assert resolved.status_code == 200 and resolved.json["status"] == "resolved"

    customer = open_session(shop.customer_id, "customer").access_token
    seen = http.call("GET", f"/v1/support/tickets/{ticket_id}/messages", token=customer).json["items"]
    assert [m["text"] for m in seen] == ["已核实，为您退款 50 元"]
    inbox = http.call("GET", "/v1/me/notifications", token=customer).json["items"]
    assert {"support.reply", "support.resolved"} <= {entry["kind"] for entry in inbox}
    payment = http.call("GET", f"/v1/orders/{order_id}/payment", token=customer).json
    assert [(r["amount"]["amount"], r["status"]) for r in payment["refunds"]] == [(5000, "succeeded")]
    rated = http.call(
        "POST", f"/v1/support/tickets/{ticket_id}/rating", {"score": 4, "comment": "处理及时"}, token=customer
    )
    assert rated.status_code == 200 and rated.json["rating"] == 4
    again = http.call("POST", f"/v1/support/tickets/{ticket_id}/rating", {"score": 5}, token=customer)
    assert again.status_code == 409

    balances = assert_ledger_balanced()[order_id]
    # no completion was booked (the status was set): the refund came out of the prepayment
    assert balances["customer_prepayments"] == -(PRICE - 5000) and balances["stripe_balance"] == PRICE - 5000
    assert [r["amount"] for r in stripe_fake.refunds.values()] == [5000]
    actions = {item.action for item in AuditItem.gsi2.query(f"AUDIT#TARGET#{ticket_id}")}
    assert actions == {"ticket.update", "ticket.reply"}
    assert [
        item.action
        for item in AuditItem.gsi2.query(f"AUDIT#TARGET#{order_id}")
        if item.action == "order.refund"
    ]
    assert admin_id


def test_refund_is_idempotent_and_never_more_than_paid(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake, shop: Shop
) -> None:
    order_id, _ = paid_order(http, api, aws, stripe_fake, shop)
    set_status(order_id, "finished")
    _, admin = _staff()

    def refund(amount: int, key: str, reason: str = "部分退款") -> Any:
        return http.call(
            "POST",
            f"/v1/admin/orders/{order_id}/refund",
            {"amount": amount, "reason": reason},
            token=admin,
            **{"Idempotency-Key": key},
        )

    first = refund(15000, "k1")
    assert first.status_code == 201
    replay = refund(15000, "k1")
    assert replay.status_code == 201 and replay.json["refund_id"] == first.json["refund_id"]
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert refund(14000, "k1").status_code == 422  # same key, another body
    over = refund(PRICE - 15000 + 1, "k2")
    assert over.status_code == 409 and over.json["error"]["code"] == "refund_exceeds_paid"
    assert over.json["error"]["details"] == [{"refundable": PRICE - 15000}]
    assert refund(PRICE - 15000, "k3").status_code == 201  # exactly the rest
    assert refund(1, "k4").status_code == 409
    assert len(stripe_fake.refunds) == 2
    balances = assert_ledger_balanced()[order_id]
    assert (balances["customer_prepayments"], balances["stripe_balance"]) == (0, 0)


def test_a_refund_racing_another_cannot_exceed_what_was_paid(
    http: Http,
    api: Client,
    aws: dict[str, str],
    stripe_fake: StripeFake,
    shop: Shop,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second admin read the total before the first refund committed: the guard refuses her.

    (moto is not safe under concurrent transactions, so the interleaving is made deterministic:
    the second refund sees the stale total the first one's commit then invalidates.)
    """
    from chalicelib.audit import Actor
    from chalicelib.errors import Conflict
    from chalicelib.payments import dispute_refunds

    order_id, _ = paid_order(http, api, aws, stripe_fake, shop)
    set_status(order_id, "completed")
    admin_id, _ = _staff()
    actor = Actor(admin_id, "admin")
    dispute_refunds.refund_order(order_id, PRICE - 100, "争议", actor, "race-1")
    monkeypatch.setattr(dispute_refunds, "_refunded", lambda order_id: (0, False))  # the stale reading
    with pytest.raises(Conflict) as refused:
        dispute_refunds.refund_order(order_id, PRICE - 100, "争议", actor, "race-2")
    assert refused.value.code == "refund_changed"
    assert len(stripe_fake.refunds) == 1
    assert assert_ledger_balanced()[order_id]["stripe_balance"] == 100


def test_refund_refusals(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake, shop: Shop
) -> None:
    order_id, _ = paid_order(http, api, aws, stripe_fake, shop)
    _, admin = _staff()
    _, agent = _staff("support")
    body = {"amount": 100, "reason": "x"}
    key = {"Idempotency-Key": "r1"}
    assert (
        http.call("POST", f"/v1/admin/orders/{order_id}/refund", body, token=agent, **key).status_code == 403
    )
    assert (
        http.call("POST", f"/v1/admin/orders/{order_id}/refund", body, token=shop.token, **key).status_code
        == 403
    )
    not_done = http.call("POST", f"/v1/admin/orders/{order_id}/refund", body, token=admin, **key)
    assert not_done.status_code == 409  # still ``assigned``: a cancellation refunds instead
    assert (
        http.call("POST", f"/v1/admin/orders/{order_id}/refund", body, token=admin).status_code == 422
    )  # no key
    assert (
        http.call("POST", "/v1/admin/orders/ord_nothing/refund", body, token=admin, **key).status_code == 404
    )
    for bad in ({"amount": 0, "reason": "x"}, {"amount": 1.5, "reason": "x"}, {"amount": 100}):
        assert (
            http.call("POST", f"/v1/admin/orders/{order_id}/refund", bad, token=admin, **key).status_code
            == 422
        )


def test_another_users_ticket_and_order_are_404(http: Http, aws: dict[str, str]) -> None:
    clock.freeze(START - timedelta(days=3))
    alice_id, alice = account("customer")
    _, bob = account("customer")
    ticket_id = _complaint(http, alice).json["ticket_id"]
    for method, path, body in (
        ("GET", f"/v1/support/tickets/{ticket_id}", None),
        ("GET", f"/v1/support/tickets/{ticket_id}/messages", None),
        ("POST", f"/v1/support/tickets/{ticket_id}/messages", {"text": "hi"}),
        ("POST", f"/v1/support/tickets/{ticket_id}/rating", {"score": 5}),
        (
            "POST",
            f"/v1/support/tickets/{ticket_id}/attachments",
            {"file_name": "a.png", "content_type": "image/png", "size_bytes": 10},
        ),
    ):
        assert http.call(method, path, body, token=bob).status_code == 404, path
    assert http.call("GET", "/v1/support/tickets", token=bob).json["items"] == []
    assert _complaint(http, bob, "ord_not_yours").status_code == 404
    assert alice_id


@pytest.mark.parametrize(
    "body",
    [
        {"type": "rant", "subject": "s", "body": "b"},
        {"type": "question", "subject": "", "body": "b"},
        {"type": "question", "subject": "s"},
        {"type": "question", "subject": "s", "body": "b", "status": "resolved"},
    ],
)
def test_bad_tickets_are_422(http: Http, aws: dict[str, str], body: dict[str, Any]) -> None:
    _, token = account("customer")
    assert http.call("POST", "/v1/support/tickets", body, token=token).status_code == 422


def test_staff_rules_roles_and_bad_enums(http: Http, aws: dict[str, str]) -> None:
    _, customer = account("customer")
    worker_id, worker = account("worker")
    _, agent = _staff("support")
    customer_id, _ = account("customer")
    by_worker = http.call(
        "POST",
        "/v1/support/tickets",
        {"type": "question", "subject": "提现", "body": "何时到账"},
        token=worker,
    )
    assert by_worker.status_code == 201 and by_worker.json["owner_role"] == "worker"
    ticket_id = by_worker.json["ticket_id"]
    for token in (customer, worker):
        assert http.call("GET", "/v1/admin/tickets", token=token).status_code == 403
        assert (
            http.call(
                "PATCH", f"/v1/admin/tickets/{ticket_id}", {"status": "closed"}, token=token
            ).status_code
            == 403
        )
    assert (
        http.call(
            "POST", "/v1/support/tickets", {"type": "question", "subject": "s", "body": "b"}, token=agent
        ).status_code
        == 403
    )
    assert http.call("GET", "/v1/admin/tickets?status=pending", token=agent).status_code == 422
    assert http.call("GET", "/v1/admin/tickets?type=rant", token=agent).status_code == 422
    assert (
        http.call("PATCH", f"/v1/admin/tickets/{ticket_id}", {"status": "reopened"}, token=agent).status_code
        == 422
    )
    assert http.call("PATCH", f"/v1/admin/tickets/{ticket_id}", {}, token=agent).status_code == 422
    not_staff = http.call(
        "PATCH", f"/v1/admin/tickets/{ticket_id}", {"assignee_id": customer_id}, token=agent
    )
    assert not_staff.status_code == 422
    assert (
        http.call("PATCH", f"/v1/admin/tickets/{ticket_id}", {"status": "closed"}, token=agent).status_code
        == 200
    )
    backwards = http.call("PATCH", f"/v1/admin/tickets/{ticket_id}", {"status": "open"}, token=agent)
    assert backwards.status_code == 409
    closed = http.call("POST", f"/v1/support/tickets/{ticket_id}/messages", {"text": "还在吗"}, token=worker)
    assert closed.status_code == 409
    not_resolved = http.call("POST", f"/v1/support/tickets/{ticket_id}/rating", {"score": 9}, token=worker)
    assert not_resolved.status_code == 422
    assert worker_id


def test_attachments_upload_then_download(http: Http, aws: dict[str, str]) -> None:
    _, token = account("customer")
    ticket_id = _complaint(http, token).json["ticket_id"]
    content = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    slot = http.call(
        "POST",
        f"/v1/support/tickets/{ticket_id}/attachments",
        {"file_name": "污渍.png", "content_type": "image/png", "size_bytes": len(content)},
        token=token,
    )
    assert slot.status_code == 201, slot.json
    before = http.call("GET", f"/v1/support/tickets/{ticket_id}", token=token).json["attachments"]
    assert before[0]["uploaded"] is False and before[0]["download_url"] is None
    upload(slot.json, content)
    after = http.call("GET", f"/v1/support/tickets/{ticket_id}", token=token).json["attachments"]
    assert after[0]["uploaded"] and after[0]["download_url"]
    bad = http.call(
        "POST",
        f"/v1/support/tickets/{ticket_id}/attachments",
        {"file_name": "x.exe", "content_type": "application/x-msdownload", "size_bytes": 10},
        token=token,
    )
    assert bad.status_code == 422


def test_unanswered_ticket_escalates_to_an_alert_once_and_answered_does_not(
    http: Http, aws: dict[str, str]
) -> None:
    clock.freeze(START - timedelta(days=3))
    _, token = account("customer")
    _, agent = _staff("support")
    late = _complaint(http, token).json
    answered = _complaint(http, token, subject="另一个").json
    http.call("POST", f"/v1/support/tickets/{answered['ticket_id']}/messages", {"text": "收到"}, token=agent)
    for ticket in (late, answered):
        timer = OrderTimer(
            order_id=ticket["ticket_id"],
            kind="ticket_first_response",
            due=clock.now() + timedelta(hours=4),
            basis=ticket["ticket_id"],
        )
        on_timer(timer, "tmr_test")
        on_timer(timer, "tmr_test")  # redelivered
    alerts = list(OpsAlertItem.gsi1.query(OPEN_ALERTS))
    assert [(a.kind, a.subject) for a in alerts] == [("support_sla_breach", late["ticket_id"])]
    schedules = __import__("boto3").client("scheduler").list_schedules()["Schedules"]
    assert len([s for s in schedules if "ticket-first" in s["Name"]]) == 2
