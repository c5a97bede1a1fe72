"""Order chat over HTTP (moto): who may read and post, when, paging, polling, and the inbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.audit import AuditItem
from tests.integration.conftest import Http
from tests.integration.order_steps import order, set_status
from tests.integration.scheduling_steps import NOW, account, service, worker

MESSAGES = "/v1/orders/{}/messages"


@pytest.fixture
def scene(aws: dict[str, str]) -> dict[str, Any]:
    """A customer, a verified worker assigned to her order, and the order."""
    clock.freeze(NOW)
    customer_id, customer = account("customer", "王女士")
    worker_id = worker("李阿姨")
    from chalicelib.accounts.sessions import open_session

    worker_token = open_session(worker_id, "worker").access_token
    order_id = order(customer_id, worker_id, service())
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "customer": customer,
        "worker_id": worker_id,
        "worker": worker_token,
    }


def _post(http: Http, order_id: str, token: str, text: str) -> Any:
    clock.advance(timedelta(seconds=1))  # ULIDs order messages by time; a frozen clock would tie them
    return http.call("POST", MESSAGES.format(order_id), {"text": text}, token=token)


def _read(http: Http, order_id: str, token: str, query: str = "") -> Any:
    return http.call("GET", MESSAGES.format(order_id) + query, token=token)


def _inbox(http: Http, token: str) -> list[dict[str, Any]]:
    response = http.call("GET", "/v1/me/notifications", token=token)
    assert response.status_code == 200, response.json
    return [entry for entry in response.json["items"] if entry["kind"] == "order.message"]


def test_customer_and_worker_talk_and_read_newest_first(http: Http, scene: dict[str, Any]) -> None:
    order_id = scene["order_id"]
    sent = _post(http, order_id, scene["customer"], "  师傅您好，门铃坏了请敲门  ")
    assert sent.status_code == 201, sent.json
    message = sent.json
    assert set(message) == {"message_id", "order_id", "sender_id", "sender_role", "text", "created_at"}
    assert message["text"] == "师傅您好，门铃坏了请敲门"  # trimmed, otherwise as sent
    assert (message["order_id"], message["sender_id"], message["sender_role"]) == (
        order_id,
        scene["customer_id"],
        "customer",
    )
    assert message["message_id"].startswith("msg_")
    reply = _post(http, order_id, scene["worker"], "好的，九点到")
    assert reply.status_code == 201, reply.json
    assert reply.json["sender_role"] == "worker"

    for token in (scene["customer"], scene["worker"]):
        page = _read(http, order_id, token)
        assert page.status_code == 200, page.json
        assert [item["text"] for item in page.json["items"]] == ["好的，九点到", "师傅您好，门铃坏了请敲门"]
        assert page.json["next_cursor"] is None


def test_pages_walk_back_and_after_polls_forward(http: Http, scene: dict[str, Any]) -> None:
    order_id, token = scene["order_id"], scene["customer"]
    ids = [_post(http, order_id, token, f"消息 {n}").json["message_id"] for n in range(5)]

    seen: list[str] = []
    cursor = ""
    for _ in range(5):
        page = _read(http, order_id, token, f"?limit=2{cursor}")
        assert page.status_code == 200, page.json
        seen += [item["message_id"] for item in page.json["items"]]
        if not page.json["next_cursor"]:
            break
        cursor = f"&cursor={page.json['next_cursor']}"
    assert seen == ids[::-1]

    newer = _read(http, order_id, token, f"?after={ids[1]}&limit=2")
    assert [item["message_id"] for item in newer.json["items"]] == ids[2:4]
    rest = _read(http, order_id, token, f"?after={ids[1]}&limit=2&cursor={newer.json['next_cursor']}")
    assert [item["message_id"] for item in rest.json["items"]] == ids[4:]
    assert _read(http, order_id, token, f"?after={ids[-1]}").json == {"items": [], "next_cursor": None}

    # a cursor is bound to its order and direction
    other = order(scene["customer_id"], scene["worker_id"], service())
    forged = _read(http, other, token, f"?limit=2&cursor={newer.json['next_cursor']}")
    assert forged.status_code == 422
    backwards = _read(http, order_id, token, f"?limit=2&cursor={newer.json['next_cursor']}")
    assert backwards.status_code == 422
    bad_after = _read(http, order_id, token, "?after=ord_123")
    assert bad_after.status_code == 422
    assert bad_after.json["error"]["details"][0]["field"] == "after"


def test_nobody_else_learns_the_order_exists(http: Http, scene: dict[str, Any]) -> None:
    order_id = scene["order_id"]
    assert _post(http, order_id, scene["customer"], "只给师傅看").status_code == 201
    _, stranger = account("customer", "张先生")
    other_worker_id = worker("赵阿姨")
    from chalicelib.accounts.sessions import open_session

    other_worker = open_session(other_worker_id, "worker").access_token
    for token in (stranger, other_worker):
        for response in (_read(http, order_id, token), _post(http, order_id, token, "你好")):
            assert response.status_code == 404, response.json
            assert response.json["error"]["code"] == "not_found"
    unknown = _read(http, "ord_01JNOSUCHORDER0000000000000", scene["customer"])
    assert unknown.status_code == 404
    assert _read(http, order_id, "").status_code == 401
    # the worker of a pool order that nobody accepted yet is nobody in it
    pool_order = order(scene["customer_id"], None, service(), status="paid")
    assert _read(http, pool_order, scene["worker"]).status_code == 404


def test_staff_read_for_disputes_and_every_read_is_audited(http: Http, scene: dict[str, Any]) -> None:
    order_id = scene["order_id"]
    assert _post(http, order_id, scene["customer"], "师傅没来").status_code == 201
    for role in ("admin", "support"):
        staff_id, token = account(role, "客服小周")
        page = _read(http, order_id, token)
        assert page.status_code == 200, page.json
        assert [item["text"] for item in page.json["items"]] == ["师傅没来"]
        posted = _post(http, order_id, token, "我们来处理")
        assert posted.status_code == 403  # staff read; they never speak in the chat
        entries = list(AuditItem.gsi1.query(f"AUDIT#ACTOR#{staff_id}"))
        assert [(e.action, e.target_type, e.target_id, e.actor_role) for e in entries] == [
            ("order.messages.read", "order", order_id, role)
        ]
        assert entries[0].request_id
    # the parties' own reads are not audited
    _read(http, order_id, scene["customer"])
    assert list(AuditItem.gsi1.query(f"AUDIT#ACTOR#{scene['customer_id']}")) == []


@pytest.mark.parametrize("status", ["pending_payment", "paid", "completed", "cancelled", "refunded"])
def test_posting_is_closed_outside_the_job_but_reading_is_not(
    http: Http, scene: dict[str, Any], status: str
) -> None:
    order_id = scene["order_id"]
    assert _post(http, order_id, scene["worker"], "到了").status_code == 201
    set_status(order_id, status)
    refused = _post(http, order_id, scene["customer"], "还在吗")
    assert refused.status_code == 409, refused.json
    assert refused.json["error"]["code"] == "order_chat_closed"
    assert status in refused.json["error"]["message"]
    assert [item["text"] for item in _read(http, order_id, scene["customer"]).json["items"]] == ["到了"]


@pytest.mark.parametrize("status", ["en_route", "arrived", "in_service", "finished", "disputed"])
def test_posting_is_open_while_the_job_runs(http: Http, scene: dict[str, Any], status: str) -> None:
    set_status(scene["order_id"], status)
    assert _post(http, scene["order_id"], scene["customer"], "好的").status_code == 201


def test_a_cancellation_racing_the_post_wins(
    http: Http, scene: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The status is a condition of the write itself, not only of the read before it."""
    from chalicelib.orders import access, chat

    stale = access.order_for(scene["order_id"], scene["customer_id"], "customer")
    set_status(scene["order_id"], "cancelled")
    calls = iter([stale])
    monkeypatch.setattr(
        chat, "order_for", lambda *args, **kwargs: next(calls, None) or access.order_for(*args, **kwargs)
    )
    refused = _post(http, scene["order_id"], scene["customer"], "还来吗")
    assert refused.status_code == 409, refused.json
    assert "cancelled" in refused.json["error"]["message"]
    assert _read(http, scene["order_id"], scene["customer"]).json["items"] == []


def test_bad_messages_are_refused(http: Http, scene: dict[str, Any]) -> None:
    order_id, token = scene["order_id"], scene["customer"]
    for body in (
        {"text": ""},
        {"text": "   "},
        {"text": "字" * 1001},
        {},
        {"text": "hi", "to": "x"},
        {"text": 5},
    ):
        response = http.call("POST", MESSAGES.format(order_id), body, token=token)
        assert response.status_code == 422, (body, response.json)
    assert http.call("POST", MESSAGES.format(order_id), "{", token=token).status_code == 400
    assert _post(http, order_id, token, "字" * 1000).status_code == 201


def test_a_burst_raises_one_inbox_entry_until_it_is_read(http: Http, scene: dict[str, Any]) -> None:
    order_id = scene["order_id"]
    for text in ("在吗", "请带鞋套", "谢谢"):
        assert _post(http, order_id, scene["customer"], text).status_code == 201
    entries = _inbox(http, scene["worker"])
    assert len(entries) == 1
    assert entries[0]["order_id"] == order_id
    assert "鞋套" not in entries[0]["body"]  # the inbox says there is news, never what
    assert _inbox(http, scene["customer"]) == []  # nobody is told about their own messages

    read = http.call(
        "POST", f"/v1/me/notifications/{entries[0]['notification_id']}/read", token=scene["worker"]
    )
    assert read.status_code == 204
    assert _post(http, order_id, scene["customer"], "还有一件事").status_code == 201
    assert len(_inbox(http, scene["worker"])) == 2

    assert _post(http, order_id, scene["worker"], "收到").status_code == 201
    assert len(_inbox(http, scene["customer"])) == 1


def test_a_failing_inbox_never_loses_the_message(
    http: Http, scene: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.orders import chat

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("inbox down")

    monkeypatch.setattr(chat, "post_to_inbox", broken)
    assert _post(http, scene["order_id"], scene["customer"], "在吗").status_code == 201
    assert len(_read(http, scene["order_id"], scene["worker"]).json["items"]) == 1
