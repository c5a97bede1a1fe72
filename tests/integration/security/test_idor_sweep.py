"""IDOR sweep (OWASP API1:2023, broken object level authorization) generated from the route table.

Every route with an id in its path is listed in :data:`ROUTES` with what the id names. One world
holds real resources of an owner (a customer's order assigned to a worker, her address, ticket and
notification; a worker's withdrawal and certificate); each listed route is then called, with a
valid body, by a user of each role who does not own the resource. Every answer must be 403 or 404
in the contract's error shape, never the data. Staff roles a route admits see every resource by
design (they are the owners by privilege) and are skipped. A route with an id nobody listed fails
``test_every_id_route_is_listed``: add it to :data:`ROUTES` (issue 11's analytics and exports
routes, for instance, land as ``STAFF_ONLY`` rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.accounts.inbox import post_to_inbox
from chalicelib.web.routing import ANY_ROLE, STAFF_ROLES, all_operations
from tests.integration.conftest import Http
from tests.integration.payout_steps import available_worker, withdraw
from tests.integration.scheduling_steps import account, worker
from tests.integration.test_admin_orders import Scene, assigned
from tests.integration.test_admin_orders import scene as scene
from tests.integration.worker_steps import new_certificate

# What the id of a route names, and so what the sweep expects of a non-owner.
OWNED = "owned"  # a resource of one user: every other user gets 403/404
STAFF_ONLY = "staff-only"  # only staff roles may call it: everyone else gets 403
PUBLIC = "public"  # a public resource (catalog, public worker profile): no owner to protect
SELF_SCOPED = "self-scoped"  # the id is a part of the caller's own data (her month), never another's
NOT_A_RESOURCE = "not-a-resource"  # the id is no resource (an OAuth provider name)
LOCAL_ONLY = "local-only"  # stand-in routes of the local stage only, never deployed

ORDER = "/v1/orders/{order_id}"
TICKET = "/v1/support/tickets/{ticket_id}"
ADMIN_ORDER = "/v1/admin/orders/{order_id}"
ADMIN_WORKER = "/v1/admin/workers/{worker_id}"
ADMIN_USER = "/v1/admin/users/{user_id}"

ROUTES: dict[tuple[str, str], str] = {
    ("GET", ORDER): OWNED,
    ("POST", f"{ORDER}/cancel"): OWNED,
    ("POST", f"{ORDER}/reschedule"): OWNED,
    ("POST", f"{ORDER}/confirm"): OWNED,
    ("GET", f"{ORDER}/messages"): OWNED,
    ("POST", f"{ORDER}/messages"): OWNED,
    ("POST", f"{ORDER}/term/start"): OWNED,
    ("POST", f"{ORDER}/term/end"): OWNED,
    ("POST", f"{ORDER}/term/extend"): OWNED,
    ("POST", f"{ORDER}/term/replacement"): OWNED,
    ("POST", f"{ORDER}/pay"): OWNED,
    ("GET", f"{ORDER}/payment"): OWNED,
    ("POST", f"{ORDER}/review"): OWNED,
    ("GET", "/v1/worker/orders/{order_id}/contact"): OWNED,
    ("POST", "/v1/worker/orders/{order_id}/accept"): OWNED,
    ("POST", "/v1/worker/orders/{order_id}/decline"): OWNED,
    ("POST", "/v1/worker/orders/{order_id}/progress"): OWNED,
    ("POST", "/v1/worker/orders/{order_id}/photos"): OWNED,
    ("GET", TICKET): OWNED,
    ("GET", f"{TICKET}/messages"): OWNED,
    ("POST", f"{TICKET}/messages"): OWNED,
    ("POST", f"{TICKET}/rating"): OWNED,
    ("POST", f"{TICKET}/attachments"): OWNED,
    ("PATCH", "/v1/me/addresses/{address_id}"): OWNED,
    ("DELETE", "/v1/me/addresses/{address_id}"): OWNED,
    ("POST", "/v1/me/notifications/{notification_id}/read"): OWNED,
    ("GET", "/v1/worker/withdrawals/{withdrawal_id}"): OWNED,
    ("DELETE", "/v1/worker/certificates/{certificate_id}"): OWNED,
    ("GET", "/v1/worker/statements/{month}"): SELF_SCOPED,
    ("GET", "/v1/services/{service_id}"): PUBLIC,
    ("GET", "/v1/workers/{worker_id}"): PUBLIC,
    ("GET", "/v1/workers/{worker_id}/reviews"): PUBLIC,
    ("GET", "/v1/workers/{worker_id}/slots"): PUBLIC,
    ("POST", "/v1/auth/oauth/{provider}"): NOT_A_RESOURCE,
    ("POST", "/v1/dev/payments/{payment_id}/complete"): LOCAL_ONLY,
    ("GET", ADMIN_USER): STAFF_ONLY,
    ("PATCH", ADMIN_USER): STAFF_ONLY,
    ("POST", f"{ADMIN_USER}/reveal-id-number"): STAFF_ONLY,
    ("POST", f"{ADMIN_USER}/blacklist"): STAFF_ONLY,
    ("POST", "/v1/admin/alerts/{alert_id}/acknowledge"): STAFF_ONLY,
    ("PATCH", ADMIN_ORDER): STAFF_ONLY,
    ("POST", f"{ADMIN_ORDER}/cancel"): STAFF_ONLY,
    ("POST", f"{ADMIN_ORDER}/refund"): STAFF_ONLY,
    ("POST", f"{ADMIN_ORDER}/replace"): STAFF_ONLY,
    ("GET", f"{ADMIN_ORDER}/ledger"): STAFF_ONLY,
    ("PATCH", "/v1/admin/tickets/{ticket_id}"): STAFF_ONLY,
    ("GET", ADMIN_WORKER): STAFF_ONLY,
    ("PATCH", ADMIN_WORKER): STAFF_ONLY,
    ("POST", f"{ADMIN_WORKER}/approve"): STAFF_ONLY,
    ("POST", f"{ADMIN_WORKER}/reject"): STAFF_ONLY,
    ("POST", f"{ADMIN_WORKER}/suspend"): STAFF_ONLY,
    ("POST", f"{ADMIN_WORKER}/reinstate"): STAFF_ONLY,
    ("POST", f"{ADMIN_WORKER}/certificates/{{certificate_id}}/verify"): STAFF_ONLY,
    ("POST", f"{ADMIN_WORKER}/certificates/{{certificate_id}}/reject"): STAFF_ONLY,
    ("GET", "/v1/admin/services/{service_id}"): STAFF_ONLY,
    ("PATCH", "/v1/admin/services/{service_id}"): STAFF_ONLY,
    ("DELETE", "/v1/admin/services/{service_id}"): STAFF_ONLY,
    ("POST", "/v1/admin/withdrawals/{withdrawal_id}/approve"): STAFF_ONLY,
    ("POST", "/v1/admin/withdrawals/{withdrawal_id}/reject"): STAFF_ONLY,
    ("GET", "/v1/admin/payout-runs/{run_id}"): STAFF_ONLY,
    ("POST", "/v1/admin/payout-runs/{run_id}/bank-result"): STAFF_ONLY,
    ("GET", "/v1/admin/exports/{export_id}"): STAFF_ONLY,
}

# A valid body for every owned route that takes one, so a refusal cannot come from validation.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", f"{ORDER}/cancel"): {"reason": "不需要了"},
    ("POST", f"{ORDER}/reschedule"): {"start_at": "2030-01-01T10:00:00+08:00"},
    ("POST", f"{ORDER}/messages"): {"text": "你好"},
    ("POST", f"{ORDER}/term/start"): {"start_date": "2030-01-01"},
    ("POST", f"{ORDER}/term/end"): {"reason": "提前结束"},
    ("POST", f"{ORDER}/term/extend"): {"days": 7},
    ("POST", f"{ORDER}/term/replacement"): {"reason": "换人"},
    ("POST", f"{ORDER}/pay"): {"method": "card"},
    ("POST", f"{ORDER}/review"): {"quality": 5, "attitude": 5, "skill": 5},
    ("POST", "/v1/worker/orders/{order_id}/decline"): {"reason": "太远"},
    ("POST", "/v1/worker/orders/{order_id}/progress"): {"event": "departed"},
    ("POST", "/v1/worker/orders/{order_id}/photos"): {"content_type": "image/jpeg", "size_bytes": 100},
    ("POST", f"{TICKET}/messages"): {"text": "补充说明"},
    ("POST", f"{TICKET}/rating"): {"score": 1},
    ("POST", f"{TICKET}/attachments"): {
        "file_name": "a.pdf",
        "content_type": "application/pdf",
        "size_bytes": 100,
    },
    ("PATCH", "/v1/me/addresses/{address_id}"): {"label": "公司"},
}


@dataclass
class World:
    """Resources of their owners, and a non-owner of each role."""

    http: Http
    ids: dict[str, str]
    outsiders: dict[str, str] = field(default_factory=dict)  # role -> token
    owners: dict[str, str] = field(default_factory=dict)  # id name -> its owner's token


@pytest.fixture
def world(http: Http, scene: Scene) -> Iterator[World]:
    order_id = assigned(http, scene, scene.alice)  # the customer's order, assigned to alice
    customer = scene.token(scene.customer_id)
    ticket = http.call(
        "POST", "/v1/support/tickets", {"type": "question", "subject": "s", "body": "b"}, token=customer
    )
    assert ticket.status_code == 201, ticket.json
    notification = post_to_inbox(scene.customer_id, "order", "标题", "内容", order_id=order_id)
    worker_id, worker_token = available_worker(http)
    withdrawal = withdraw(http, worker_token, 10_000)
    assert withdrawal.status_code == 201, withdrawal.json
    certificate = new_certificate(http, worker_token).json
    ids = {
        "order_id": order_id,
        "ticket_id": ticket.json["ticket_id"],
        "address_id": scene.address_id,
        "notification_id": notification.notification_id,
        "withdrawal_id": withdrawal.json["withdrawal_id"],
        "certificate_id": certificate["certificate_id"],
        "worker_id": worker_id,
        "user_id": scene.customer_id,
        "service_id": scene.service_id,
        "alert_id": "refund_failed__ord_x",
        "run_id": "run_x",
    }
    outsiders = {
        "customer": account("customer", "路人甲")[1],
        "worker": _outsider_worker(),
        "admin": account("admin", "管理员乙")[1],
        "support": account("support", "客服乙")[1],
    }
    owners = {
        "order_id": customer,
        "ticket_id": customer,
        "address_id": customer,
        "withdrawal_id": worker_token,
        "certificate_id": worker_token,
    }
    yield World(http, ids, outsiders, owners)
    clock.reset()


def _outsider_worker() -> str:
    """A verified worker with a profile, who has nothing to do with the owner's resources."""
    from tests.integration.payout_steps import token_of

    return token_of(worker(name="路人乙"))


def test_every_id_route_is_listed() -> None:
    import app  # noqa: F401 (registers every route)

    with_ids = {(op.method, op.path) for op in all_operations() if "{" in op.path}
    assert with_ids == set(ROUTES), (
        f"list these in ROUTES: {sorted(with_ids - set(ROUTES))}; stale: {sorted(set(ROUTES) - with_ids)}"
    )


def _path(template: str, ids: dict[str, str]) -> str:
    return template.format(**{name: ids.get(name, "x") for name in _names(template)})


def _names(template: str) -> list[str]:
    return [part.split("}")[0] for part in template.split("{")[1:]]


OWNER_READS = {
    "order_id": "/v1/orders/{order_id}",
    "ticket_id": "/v1/support/tickets/{ticket_id}",
    "withdrawal_id": "/v1/worker/withdrawals/{withdrawal_id}",
}


def test_the_owners_reach_their_resources(world: World) -> None:
    """The control: the ids of the sweep name real resources, which their owners read."""
    for name, template in OWNER_READS.items():
        response = world.http.call("GET", _path(template, world.ids), token=world.owners[name])
        assert response.status_code == 200, (template, response.json)


def test_no_one_reaches_a_resource_they_do_not_own(world: World) -> None:
    import app  # noqa: F401

    operations = {(op.method, op.path): op for op in all_operations()}
    leaks: list[str] = []
    calls = 0
    for (method, template), kind in ROUTES.items():
        if kind not in (OWNED, STAFF_ONLY):
            continue
        op = operations[(method, template)]
        for role in ANY_ROLE:
            if role in STAFF_ROLES and role in (op.roles or ()):
                continue  # staff see every resource of the routes they may call
            response = world.http.call(
                method,
                _path(template, world.ids),
                BODIES.get((method, template)),
                token=world.outsiders[role],
            )
            calls += 1
            body = response.json or {}
            if response.status_code not in (403, 404) or set(body) != {"error"}:
                leaks.append(f"{role} {method} {template}: {response.status_code} {body}")
    assert not leaks, "\n".join(leaks)
    assert calls > 80  # the sweep really ran over the table
