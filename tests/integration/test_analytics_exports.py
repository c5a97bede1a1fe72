"""Exports: request (audited), the queue consumer, files in the bucket, links, retries, bad input, nightly."""

from __future__ import annotations

import csv
import io
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import EndpointConnectionError

from chalicelib import clock
from chalicelib.analytics import exports
from chalicelib.analytics.nightly import NIGHTLY, run_nightly
from chalicelib.analytics.store import read_days
from chalicelib.audit import AuditItem
from chalicelib.config import settings
from tests.integration.analytics_steps import Journal, minutes
from tests.integration.conftest import Http
from tests.integration.helpers import sqs_record
from tests.integration.scheduling_steps import NOW, account

pytestmark = pytest.mark.usefixtures("aws")

DAY = NOW.date().isoformat()


def _consume(urls: dict[str, str]) -> list[str]:
    """Run the exports consumer over what the queue holds, as Lambda would (with receive counts)."""
    from chalicelib.analytics.export_job import handler

    sqs = boto3.client("sqs")
    handled = []
    while True:
        got = sqs.receive_message(
            QueueUrl=urls["exports"], MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=0
        ).get("Messages", [])
        if not got:
            return handled
        for message in got:
            record = sqs_record(message, "exports")
            try:
                answer = handler({"Records": [record]}, None)
            except BatchProcessingError:  # every record failed: Lambda retries the batch
                answer = {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
            if not answer.get("batchItemFailures"):
                sqs.delete_message(QueueUrl=urls["exports"], ReceiptHandle=message["ReceiptHandle"])
            handled.append(message["MessageId"])


@pytest.fixture
def day_of_orders() -> Journal:
    clock.freeze(NOW)
    journal = Journal()
    order_id = journal.order("usr_alice", "usr_li")
    journal.event(order_id, "created", NOW, "usr_alice")
    journal.event(order_id, "paid", minutes(NOW, 5))
    journal.event(order_id, "completed", minutes(NOW, 200), "usr_alice")
    journal.deliver()
    from chalicelib.models.orders import OrderItem
    from chalicelib.orders.day_index import day_key

    OrderItem(*OrderItem.key(order_id)).update(  # filed under today's start, as booking files it
        actions=[
            OrderItem.gsi3pk.set(day_key(DAY, order_id)),
            OrderItem.gsi3sk.set(f"{clock.iso()}#{order_id}"),
        ]
    )
    return journal


def _body(report: str = "orders", fmt: str = "csv", first: str = DAY, last: str = DAY) -> dict[str, Any]:
    return {"report": report, "format": fmt, "from": first, "to": last}


def test_each_format_turns_ready_with_a_short_link(
    http: Http, aws: dict[str, str], day_of_orders: Journal
) -> None:
    admin_id, admin = account("admin")
    ids = {}
    for fmt in ("csv", "xlsx", "pdf"):
        made = http.call("POST", "/v1/admin/exports", _body("orders", fmt), token=admin)
        assert made.status_code == 202, made.json
        ids[fmt] = made.json["export_id"]
        assert http.call("GET", f"/v1/admin/exports/{ids[fmt]}", token=admin).json["status"] == "queued"
    _consume(aws)
    bodies = {}
    for fmt, export_id in ids.items():
        got = http.call("GET", f"/v1/admin/exports/{export_id}", token=admin).json
        assert got["status"] == "ready", got
        assert "X-Amz-Expires=900" in got["download_url"]
        key = f"exports/on_demand/{DAY}/{export_id}/orders.{fmt}"
        bodies[fmt] = (
            boto3.client("s3").get_object(Bucket=settings().buckets["exports"], Key=key)["Body"].read()
        )
    text = bodies["csv"].decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "订单号 Order" and len(rows) == 2 and rows[1][7] == "200.00"
    assert "世纪大道" not in text  # no street address in any export
    assert bodies["pdf"].startswith(b"%PDF")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(bodies["xlsx"]))
    assert book.sheetnames == ["Summary", "Data", "Charts"]
    assert book["Data"].freeze_panes == "A2"
    assert book["Data"]["H2"].value == 200 and book["Data"]["H2"].number_format == "#,##0.00"
    assert book["Data"]["B2"].is_date
    assert len(book["Charts"]._charts) == 2
    audits = [a for a in AuditItem.gsi1.query(f"AUDIT#ACTOR#{admin_id}") if a.action == "export.request"]
    assert len(audits) == 3
    listed = http.call("GET", "/v1/admin/exports?kind=on_demand", token=admin).json["items"]
    assert [item["export_id"] for item in listed] == [ids["pdf"], ids["xlsx"], ids["csv"]]


def test_a_failing_export_is_retried_then_failed_with_a_reason(
    http: Http, aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.freeze(NOW)
    _, admin = account("admin")

    def broken(*_: Any) -> Any:
        raise RuntimeError("bucket on fire")

    monkeypatch.setattr("chalicelib.analytics.report_rows.report_data", broken)
    export_id = http.call("POST", "/v1/admin/exports", _body("revenue", "xlsx"), token=admin).json[
        "export_id"
    ]
    handled = _consume(aws)
    assert len(handled) == exports.MAX_ATTEMPTS
    got = http.call("GET", f"/v1/admin/exports/{export_id}", token=admin).json
    assert got["status"] == "failed" and "bucket on fire" in got["reason"] and got["attempts"] == 3
    assert got["download_url"] is None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"report": "payroll", "format": "csv", "from": DAY, "to": DAY}, 422),
        ({"report": "orders", "format": "docx", "from": DAY, "to": DAY}, 422),
        ({"report": "orders", "format": "csv", "to": DAY}, 422),
        ({"report": "orders", "format": "csv", "from": "2027-01-18", "to": "2027-01-01"}, 422),
        ({"report": "orders", "format": "csv", "from": "2025-01-01", "to": "2027-01-18"}, 422),
    ],
)
def test_bad_export_requests(http: Http, body: dict[str, Any], status: int) -> None:
    _, admin = account("admin")
    assert http.call("POST", "/v1/admin/exports", body, token=admin).status_code == status


def test_only_admins_export_and_unknown_ids_are_404(http: Http) -> None:
    _, admin = account("admin")
    assert http.call("GET", "/v1/admin/exports/exp_nope", token=admin).status_code == 404
    for role in ("support", "customer", "worker"):
        _, token = account(role)
        assert http.call("POST", "/v1/admin/exports", _body(), token=token).status_code == 403
        assert http.call("GET", "/v1/admin/exports", token=token).status_code == 403


def test_the_nightly_run_repairs_and_exports_the_day_before_once(
    http: Http, aws: dict[str, str], day_of_orders: Journal
) -> None:
    from datetime import date, timedelta

    good = read_days([DAY])[DAY].counters
    client = boto3.client("dynamodb")
    for shard in range(8):
        client.put_item(
            TableName=settings().table_name,
            Item={
                "pk": {"S": f"ANLX#DAY#{DAY}#{shard:02d}"},
                "sk": {"S": "CNT#all"},
                "gmv": {"N": "1"},
                "v": {"N": "1"},
            },
        ) if not client.get_item(
            TableName=settings().table_name,
            Key={"pk": {"S": f"ANLX#DAY#{DAY}#{shard:02d}"}, "sk": {"S": "CNT#all"}},
        ).get("Item") else None
    assert read_days([DAY])[DAY].counters != good
    clock.freeze(NOW + timedelta(days=1))
    done = run_nightly(date.fromisoformat(DAY))
    assert done["repaired"] >= 1 and done["queued"] == len(NIGHTLY)
    assert read_days([DAY])[DAY].counters == good
    assert run_nightly(date.fromisoformat(DAY))["queued"] == 0  # fired twice: nothing twice
    _consume(aws)
    _, admin = account("admin")
    listed = http.call("GET", "/v1/admin/exports?kind=nightly&limit=50", token=admin).json["items"]
    assert len(listed) == len(NIGHTLY) and {item["status"] for item in listed} == {"ready"}
    keys = boto3.client("s3").list_objects_v2(
        Bucket=settings().buckets["exports"], Prefix=f"exports/nightly/{DAY}/"
    )
    assert keys["KeyCount"] == len(NIGHTLY)


def test_an_export_that_cannot_be_queued_is_never_left_queued(
    http: Http, aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    from chalicelib.models.exports import ExportItem

    clock.freeze(NOW)
    _, admin = account("admin")

    def unreachable(export_id: str) -> None:
        raise EndpointConnectionError(endpoint_url="https://sqs.example")

    monkeypatch.setattr(exports, "_queue", unreachable)
    refused = http.call("POST", "/v1/admin/exports", _body(), token=admin)
    assert refused.status_code == 503 and refused.headers.get("Retry-After")  # try again later
    [shown] = http.call("GET", "/v1/admin/exports", token=admin).json["items"]
    assert (shown["status"], shown["reason"]) == ("failed", "not_queued")

    with pytest.raises(EndpointConnectionError):  # the nightly run fails, to be retried
        exports.queue_nightly("orders", "csv", date.fromisoformat(DAY))
    nightly = f"exp_nightly_{DAY.replace('-', '')}_orders_csv"
    with pytest.raises(ExportItem.DoesNotExist):  # taken back: the retry records it again
        ExportItem.get(*ExportItem.key(nightly), consistent_read=True)
    monkeypatch.undo()
    assert exports.queue_nightly("orders", "csv", date.fromisoformat(DAY)) == nightly


def test_an_attempt_failing_in_its_own_bookkeeping_ends_failed_on_the_last_try(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    from chalicelib.models.exports import ExportItem

    clock.freeze(NOW)
    export_id = exports.queue_nightly("revenue", "csv", date.fromisoformat(DAY))
    assert export_id
    real_set = exports._set
    calls: list[dict[str, Any]] = []

    def flaky_set(target: str, **fields: Any) -> None:
        calls.append(fields)
        if fields.get("status") == "running":
            raise ConnectionError("dynamodb unreachable")
        real_set(target, **fields)

    monkeypatch.setattr(exports, "_set", flaky_set)
    with pytest.raises(ConnectionError):
        exports.run_export(export_id, 1)
    assert ExportItem.get(*ExportItem.key(export_id)).status == "queued"
    assert exports.run_export(export_id, exports.MAX_ATTEMPTS) == "failed"
    item = ExportItem.get(*ExportItem.key(export_id), consistent_read=True)
    assert item.status == "failed" and "dynamodb unreachable" in str(item.reason)
