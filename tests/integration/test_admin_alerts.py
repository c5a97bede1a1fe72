"""Ops alerts over HTTP: stored alerts by status, live dead-letter depth, acknowledging (audited)."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.audit import AuditItem
from chalicelib.workflows.alerts import open_alert
from tests.integration.conftest import Http
from tests.integration.scheduling_steps import account

pytestmark = pytest.mark.usefixtures("aws")


def _ids(http: Http, token: str, query: str = "") -> list[str]:
    response = http.call("GET", f"/v1/admin/alerts{query}", token=token)
    assert response.status_code == 200, response.json
    return [item["alert_id"] for item in response.json["items"]]


def test_open_then_acknowledged_with_audit(http: Http) -> None:
    admin_id, admin = account("admin")
    _, agent = account("support")
    open_alert("refund_failed", "ord_1", {"amount": 100})
    open_alert("support_sla_breach", "tkt_1", {"ticket_id": "tkt_1"})
    assert _ids(http, agent) == ["support_sla_breach__tkt_1", "refund_failed__ord_1"]
    assert (
        http.call("POST", "/v1/admin/alerts/refund_failed__ord_1/acknowledge", token=agent).status_code == 403
    )
    done = http.call("POST", "/v1/admin/alerts/refund_failed__ord_1/acknowledge", token=admin)
    assert done.status_code == 200, done.json
    assert done.json["status"] == "acknowledged" and done.json["acknowledged_by"] == admin_id
    assert _ids(http, admin) == ["support_sla_breach__tkt_1"]
    assert _ids(http, admin, "?status=acknowledged") == ["refund_failed__ord_1"]
    again = http.call("POST", "/v1/admin/alerts/refund_failed__ord_1/acknowledge", token=admin)
    assert again.status_code == 409
    assert (
        http.call("POST", "/v1/admin/alerts/refund_failed__ord_404/acknowledge", token=admin).status_code
        == 404
    )
    assert http.call("POST", "/v1/admin/alerts/nonsense/acknowledge", token=admin).status_code == 404
    (entry,) = AuditItem.gsi3.query("AUDIT#ACTION#alert.acknowledge")
    assert entry.actor_id == admin_id and entry.after == {"status": "acknowledged"}


def test_dead_letters_show_as_open_alerts(http: Http, aws: dict[str, str]) -> None:
    _, admin = account("admin")
    boto3.client("sqs").send_message(QueueUrl=f"{aws['notifications']}-dlq", MessageBody="{}")
    items = http.call("GET", "/v1/admin/alerts", token=admin).json["items"]
    assert [(item["kind"], item["details"]) for item in items] == [
        ("dlq_depth", {"queue": "notifications-dlq", "messages": 1})
    ]
    refused = http.call("POST", f"/v1/admin/alerts/{items[0]['alert_id']}/acknowledge", token=admin)
    assert refused.status_code == 409


@pytest.mark.parametrize("role", ["customer", "worker"])
def test_other_roles_are_refused(http: Http, role: str) -> None:
    _, token = account(role)
    assert http.call("GET", "/v1/admin/alerts", token=token).status_code == 403
    assert http.call("POST", "/v1/admin/alerts/refund_failed__x/acknowledge", token=token).status_code == 403


def test_bogus_status_is_422(http: Http) -> None:
    _, admin = account("admin")
    assert http.call("GET", "/v1/admin/alerts?status=closed", token=admin).status_code == 422
