"""Every admin and support route that writes leaves an audit entry naming its request.

The test walks the route table: each route only staff may call that is not a GET must have a
scenario here (a new one without fails ``test_every_staff_write_has_a_scenario``), and each
scenario calls its route successfully and finds the audit entry carrying the response's
``X-Request-Id``, with the caller as actor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import clock
from chalicelib.accounts.sessions import open_session
from chalicelib.audit import AuditItem
from chalicelib.web.routing import all_operations, is_staff_write
from chalicelib.workflows.alerts import open_alert
from tests.integration.conftest import Http
from tests.integration.order_steps import set_status
from tests.integration.payment_steps import faked_stripe, open_shop, paid_order
from tests.integration.scheduling_steps import account, worker
from tests.integration.stripe_fake import StripeFake
from tests.integration.test_admin_orders import Scene, assigned
from tests.integration.test_admin_orders import scene as scene
from tests.integration.test_catalog import _body as service_body
from tests.integration.worker_steps import (
    ID_JINGAN,
    ID_PUDONG,
    ID_XUHUI,
    submitted_worker,
)


@dataclass
class World:
    http: Http
    api: Client
    urls: dict[str, str]
    stripe: StripeFake
    scene: Scene
    admin_id: str
    admin: str

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        return self.http.call(method, path, body, token=self.admin, **headers)

    def worker_with_certificate(self, phone: str, id_number: str) -> tuple[str, str]:
        """A worker under review and the id of her uploaded certificate."""
        worker_id, _ = submitted_worker(self.http, phone=phone, id_number=id_number)
        detail = self.call("GET", f"/v1/admin/workers/{worker_id}").json
        return worker_id, str(detail["certificates"][0]["certificate_id"])

    def service(self) -> str:
        return str(self.call("POST", "/v1/admin/services", service_body()).json["service_id"])


Scenario = Callable[[World], Any]
ORDER = "/v1/admin/orders/{order_id}"
WORKER = "/v1/admin/workers/{worker_id}"
USER = "/v1/admin/users/{user_id}"


def _refund(w: World) -> Any:
    shop = open_shop()
    order_id, _ = paid_order(w.http, w.api, w.urls, w.stripe, shop)
    set_status(order_id, "completed")
    return w.call(
        "POST",
        f"{ORDER}/refund".format(order_id=order_id),
        {"amount": 100, "reason": "争议"},
        **{"Idempotency-Key": "audit-1"},
    )


def _withdrawal(w: World) -> str:
    """A worker's withdrawal waiting for review."""
    from tests.integration.payout_steps import available_worker, withdraw

    _, token = available_worker(w.http)
    return str(withdraw(w.http, token, 10_000).json["withdrawal_id"])


def _bank_result(w: World) -> Any:
    from chalicelib.models.payouts import PayoutRunItem
    from chalicelib.payouts.run import run_id_of

    run_date = clock.now().date().isoformat()
    PayoutRunItem(
        *PayoutRunItem.key(run_date),
        run_id=run_id_of(run_date),
        run_date=run_date,
        status="completed",
        started_at=clock.iso(),
    ).save()
    lines = {"lines": [{"withdrawal_id": "wd_not_in_this_run", "status": "paid"}]}
    return w.call("POST", f"/v1/admin/payout-runs/{run_id_of(run_date)}/bank-result", lines)


def _replace(w: World) -> Any:
    """An approved 换人 of a live-in month the customer asked to replace."""
    from tests.integration.live_in_steps import month_scene, running_month_order

    live_in = month_scene()
    order_id = running_month_order(w.http, live_in)
    asked = w.http.call(
        "POST",
        f"/v1/orders/{order_id}/term/replacement",
        {"reason": "口味不合"},
        token=live_in["alice"].token,
    )
    assert asked.status_code == 200, asked.json
    w.admin = open_session(w.admin_id, "admin").access_token  # the clock moved past her token
    return w.call(
        "POST",
        f"{ORDER}/replace".format(order_id=order_id),
        {"worker_id": live_in["bella"], "reason": "换人"},
    )


def _ticket(w: World) -> str:
    _, token = account("customer")
    body = {"type": "question", "subject": "s", "body": "b"}
    return str(w.http.call("POST", "/v1/support/tickets", body, token=token).json["ticket_id"])


SCENARIOS: dict[tuple[str, str], Scenario] = {
    ("PATCH", ORDER): lambda w: w.call(
        "PATCH",
        ORDER.format(order_id=assigned(w.http, w.scene, w.scene.alice)),
        {"notes": "带上吸尘器", "reason": "客户来电"},
    ),
    ("POST", f"{ORDER}/cancel"): lambda w: w.call(
        "POST",
        f"{ORDER}/cancel".format(order_id=assigned(w.http, w.scene, w.scene.bella)),
        {"reason": "客户要求"},
    ),
    ("POST", f"{ORDER}/refund"): _refund,
    ("POST", f"{ORDER}/replace"): _replace,
    ("POST", f"{WORKER}/approve"): lambda w: w.call(
        "POST",
        f"{WORKER}/approve".format(
            worker_id=submitted_worker(w.http, phone="13955550001", id_number=ID_PUDONG)[0]
        ),
    ),
    ("POST", f"{WORKER}/reject"): lambda w: w.call(
        "POST",
        f"{WORKER}/reject".format(
            worker_id=submitted_worker(w.http, phone="13955550002", id_number=ID_XUHUI)[0]
        ),
        {"reason": "证件模糊"},
    ),
    ("POST", f"{WORKER}/suspend"): lambda w: w.call(
        "POST", f"{WORKER}/suspend".format(worker_id=worker()), {"reason": "投诉"}
    ),
    ("POST", f"{WORKER}/reinstate"): lambda w: w.call(
        "POST", f"{WORKER}/reinstate".format(worker_id=worker(status="suspended"))
    ),
    ("PATCH", WORKER): lambda w: w.call("PATCH", WORKER.format(worker_id=worker()), {"groups": ["金牌"]}),
    ("POST", f"{WORKER}/certificates/{{certificate_id}}/verify"): lambda w: w.call(
        "POST",
        "{}/certificates/{}/verify".format(
            WORKER.format(worker_id=(pair := w.worker_with_certificate("13955550003", ID_JINGAN))[0]), pair[1]
        ),
    ),
    ("POST", f"{WORKER}/certificates/{{certificate_id}}/reject"): lambda w: w.call(
        "POST",
        "{}/certificates/{}/reject".format(
            WORKER.format(worker_id=(pair := w.worker_with_certificate("13955550004", ID_JINGAN))[0]), pair[1]
        ),
        {"reason": "过期"},
    ),
    ("POST", "/v1/admin/services"): lambda w: w.call("POST", "/v1/admin/services", service_body()),
    ("PATCH", "/v1/admin/services/{service_id}"): lambda w: w.call(
        "PATCH", f"/v1/admin/services/{w.service()}", {"price_max": 20_000}
    ),
    ("DELETE", "/v1/admin/services/{service_id}"): lambda w: w.call(
        "DELETE", f"/v1/admin/services/{w.service()}"
    ),
    ("PATCH", USER): lambda w: w.call(
        "PATCH", USER.format(user_id=account("customer")[0]), {"status": "suspended"}
    ),
    ("POST", "/v1/admin/users"): lambda w: w.call(
        "POST",
        "/v1/admin/users",
        {"role": "support", "email": "new.agent@jiazheng.example", "name": "新客服"},
    ),
    ("POST", f"{USER}/reveal-id-number"): lambda w: w.call(
        "POST",
        f"{USER}/reveal-id-number".format(
            user_id=submitted_worker(w.http, phone="13955550005", id_number=ID_PUDONG)[0]
        ),
        {"reason": "核实身份"},
    ),
    ("POST", f"{USER}/blacklist"): lambda w: w.call(
        "POST",
        f"{USER}/blacklist".format(
            user_id=submitted_worker(w.http, phone="13955550006", id_number=ID_XUHUI)[0]
        ),
        {"reason": "盗窃"},
    ),
    ("PUT", "/v1/admin/settings"): lambda w: w.call(
        "PUT",
        "/v1/admin/settings",
        {"version": 0, "reason": "调价", "settings": {"commission_basis_points": 1800}},
    ),
    ("PATCH", "/v1/admin/tickets/{ticket_id}"): lambda w: w.call(
        "PATCH", f"/v1/admin/tickets/{_ticket(w)}", {"status": "in_progress"}
    ),
    ("POST", "/v1/admin/withdrawals/{withdrawal_id}/approve"): lambda w: w.call(
        "POST", f"/v1/admin/withdrawals/{_withdrawal(w)}/approve", {}
    ),
    ("POST", "/v1/admin/withdrawals/{withdrawal_id}/reject"): lambda w: w.call(
        "POST", f"/v1/admin/withdrawals/{_withdrawal(w)}/reject", {"reason": "账户信息不符"}
    ),
    ("POST", "/v1/admin/payout-runs/{run_id}/bank-result"): _bank_result,
    ("POST", "/v1/admin/alerts/{alert_id}/acknowledge"): lambda w: w.call(
        "POST",
        "/v1/admin/alerts/{}/acknowledge".format(
            "refund_failed__" + open_alert("refund_failed", "ord_audited", {"amount": 1}).subject
        ),
    ),
    ("POST", "/v1/admin/exports"): lambda w: w.call(
        "POST",
        "/v1/admin/exports",
        {"report": "revenue", "format": "csv", "from": "2027-01-01", "to": "2027-01-07"},
    ),
}


def test_every_staff_write_has_a_scenario() -> None:
    import app  # noqa: F401 (registers every route)

    writes = {(op.method, op.path) for op in all_operations() if is_staff_write(op.method, op.roles)}
    assert writes == set(SCENARIOS), (
        f"missing: {sorted(writes - set(SCENARIOS))}, stale: {sorted(set(SCENARIOS) - writes)}"
    )


@pytest.fixture
def world(
    http: Http, api: Client, aws: dict[str, str], monkeypatch: pytest.MonkeyPatch, scene: Scene
) -> Iterator[World]:
    stripe = next(faked_stripe(monkeypatch))
    clock.freeze(clock.now())
    yield World(http, api, aws, stripe, scene, scene.admin_id, scene.admin)


@pytest.mark.parametrize("route", sorted(SCENARIOS), ids=lambda route: " ".join(route))
def test_a_staff_write_is_audited_with_its_request(world: World, route: tuple[str, str]) -> None:
    response = SCENARIOS[route](world)
    assert 200 <= response.status_code < 300, response.json
    request_id = response.headers["X-Request-Id"]
    month = clock.now().strftime("%Y-%m")
    entries = [item for item in AuditItem.query(f"AUDIT#{month}") if item.request_id == request_id]
    assert entries, f"{route} wrote no audit entry"
    assert {item.actor_id for item in entries} == {world.admin_id}
