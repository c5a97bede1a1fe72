"""Split exports: the ``export-split`` workflow run by moto's ASL interpreter with our real steps.

The split threshold is lowered so that a three-day range splits; the file it assembles must be
the file the inline path writes for the same data. Retry pauses are recorded, not slept.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib import clock
from chalicelib.analytics import export_split, exports
from chalicelib.analytics.report_rows import report_data
from chalicelib.analytics.writers import write
from chalicelib.config import settings
from chalicelib.models.orders import OrderItem
from chalicelib.orders.day_index import day_index_actions
from chalicelib.workflows.alerts import OpsAlertItem
from chalicelib.workflows.executions import execution_name
from tests.integration.conftest import Http
from tests.integration.order_steps import order
from tests.integration.scheduling_steps import NOW, account
from tests.integration.state_machines import executing
from tests.integration.test_analytics_exports import _consume

FIRST, LAST = NOW.date() - timedelta(days=1), NOW.date() + timedelta(days=1)


@pytest.fixture
def split(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str, list[float]]]:
    """The workflow under moto, exports of more than one day split, three days of orders."""
    with executing(export_split.WORKFLOW, monkeypatch) as running:
        clock.freeze(NOW)
        monkeypatch.setattr(export_split, "SPLIT_AFTER_DAYS", 1)
        for n, (day, worker, status) in enumerate(
            [
                (FIRST, "usr_li", "completed"),
                (FIRST, "usr_wang", "assigned"),
                (NOW.date(), "usr_li", "completed"),
                (LAST, None, "pending_payment"),
                (LAST, "usr_wang", "completed"),
            ]
        ):
            order_id = order(f"usr_c{n}", worker, "svc_1", status)
            start = clock.iso(NOW.replace(year=day.year, month=day.month, day=day.day) + timedelta(hours=n))
            OrderItem(*OrderItem.key(order_id)).update(
                actions=[OrderItem.start_at.set(start), *day_index_actions(start, order_id)]
            )
        yield running


def _export(http: Http, urls: dict[str, str], report: str, fmt: str) -> str:
    _, admin = account("admin")
    body = {"report": report, "format": fmt, "from": FIRST.isoformat(), "to": LAST.isoformat()}
    export_id = str(http.call("POST", "/v1/admin/exports", body, token=admin).json["export_id"])
    _consume(urls)
    return export_id


def _finished(sfn: Any, arn: str, export_id: str) -> dict[str, Any]:
    name = execution_name("export", export_id)
    execution_arn = f"{arn.replace(':stateMachine:', ':execution:')}:{name}"
    deadline = time.monotonic() + 60
    while (execution := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, execution
        time.sleep(0.05)
    return dict(execution)


def _item(export_id: str) -> Any:
    return exports.ExportItem.get(*exports.ExportItem.key(export_id), consistent_read=True)


def _objects(export_id: str) -> dict[str, bytes]:
    """Every object under the export's prefix: its file, and parts left behind if any."""
    s3, bucket = boto3.client("s3"), settings().buckets["exports"]
    prefix = exports.object_prefix(_item(export_id))
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {
        o["Key"][len(prefix) :]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed
    }


def _inline(report: str, fmt: str) -> bytes:
    out = io.BytesIO()
    write(report_data(report, FIRST, LAST), fmt, out)
    return out.getvalue()


@pytest.mark.parametrize("report", ["orders", "workers"])
def test_a_split_csv_is_the_inline_csv(
    http: Http, aws: dict[str, str], split: tuple[Any, str, list[float]], report: str
) -> None:
    sfn, arn, sleeps = split
    export_id = _export(http, aws, report, "csv")
    assert _finished(sfn, arn, export_id)["status"] == "SUCCEEDED"
    assert _item(export_id).status == "ready" and not sleeps
    files = _objects(export_id)
    assert list(files) == [f"{report}.csv"]  # the parts are gone
    assert files[f"{report}.csv"] == _inline(report, "csv")
    assert files[f"{report}.csv"].decode("utf-8-sig").count("\n") == (6 if report == "orders" else 3)


def test_a_split_xlsx_opens_with_every_row(
    http: Http, aws: dict[str, str], split: tuple[Any, str, list[float]]
) -> None:
    from openpyxl import load_workbook

    sfn, arn, _ = split
    export_id = _export(http, aws, "orders", "xlsx")
    assert _finished(sfn, arn, export_id)["status"] == "SUCCEEDED"
    data = list(load_workbook(io.BytesIO(_objects(export_id)["orders.xlsx"]))["Data"].values)
    assert len(data) == 1 + 5 and isinstance(data[1][1], datetime)  # dates come back from the parts as dates
    assert data == list(load_workbook(io.BytesIO(_inline("orders", "xlsx")))["Data"].values)


def test_transient_failures_are_retried_and_the_export_is_written_once(
    http: Http, aws: dict[str, str], split: tuple[Any, str, list[float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    sfn, arn, sleeps = split
    real_rows, real_drop, real_publish = export_split.day_rows, export_split._drop_parts, exports.publish
    failed: set[str] = set()
    published: list[str] = []

    def flaky_rows(report: str, day: str) -> Any:
        if day == NOW.date().isoformat() and "rows" not in failed:
            failed.add("rows")
            raise TimeoutError("dynamodb slow")
        return real_rows(report, day)

    def flaky_drop(item: Any) -> None:  # after the export is ready: Assemble is retried
        if "drop" not in failed:
            failed.add("drop")
            raise TimeoutError("s3 slow")
        real_drop(item)

    def counted(item: Any, data: Any) -> str:
        published.append(str(item.export_id))
        return real_publish(item, data)

    monkeypatch.setattr(export_split, "day_rows", flaky_rows)
    monkeypatch.setattr(export_split, "_drop_parts", flaky_drop)
    monkeypatch.setattr(exports, "publish", counted)
    export_id = _export(http, aws, "orders", "csv")
    assert _finished(sfn, arn, export_id)["status"] == "SUCCEEDED"
    assert failed == {"rows", "drop"} and len(sleeps) == 2  # each retried once, with a pause
    assert published == [export_id]  # a ready export is not assembled again
    assert _item(export_id).status == "ready"
    assert _objects(export_id) == {"orders.csv": _inline("orders", "csv")}


def test_a_permanent_failure_ends_failed_with_a_reason_and_an_alert(
    http: Http, aws: dict[str, str], split: tuple[Any, str, list[float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    sfn, arn, sleeps = split

    def broken(report: str, day: str) -> Any:
        raise RuntimeError("index on fire")

    monkeypatch.setattr(export_split, "day_rows", broken)
    export_id = _export(http, aws, "workers", "pdf")
    assert _finished(sfn, arn, export_id)["status"] == "FAILED"
    item = _item(export_id)
    assert item.status == "failed" and "index on fire" in str(item.reason), item.reason
    assert len(sleeps) >= 3  # the day was retried before the export gave up
    alert = OpsAlertItem.get(*OpsAlertItem.key("export_failed", export_id))
    assert "index on fire" in alert.details["reason"]
    assert _objects(export_id) == {}


def test_only_long_row_reports_split(monkeypatch: pytest.MonkeyPatch) -> None:
    day = date(2027, 1, 18)
    month = day + timedelta(days=export_split.SPLIT_AFTER_DAYS)
    assert export_split.should_split("orders", day, month)
    assert export_split.should_split("workers", day, month)
    assert not export_split.should_split("revenue", day, month)
    assert not export_split.should_split("satisfaction", day, month)
    monkeypatch.setattr(
        export_split, "_orders_created", lambda first, last: export_split.SPLIT_AFTER_ORDERS + 1
    )
    assert export_split.should_split("orders", day, day + timedelta(days=1))
    assert not export_split.should_split("orders", day, day)
    monkeypatch.setattr(export_split, "_orders_created", lambda first, last: export_split.SPLIT_AFTER_ORDERS)
    assert not export_split.should_split("orders", day, day + timedelta(days=1))


@pytest.mark.parametrize("settled", ["ready", "failed"])
def test_a_step_still_in_flight_leaves_a_settled_export_settled(aws: dict[str, str], settled: str) -> None:
    """A Map iteration still running when the workflow has failed the export (or assembled it)
    must not set it back to ``running``: nothing would ever settle it again."""
    exports.ExportItem(
        *exports.ExportItem.key("exp_1"),
        export_id="exp_1",
        kind="on_demand",
        report="orders",
        format="csv",
        date_from=FIRST.isoformat(),
        date_to=LAST.isoformat(),
        status="running",
        requested_by="usr_admin",
        created_at=clock.iso(NOW),
    ).save()
    assert exports.mark_running("exp_1")
    exports._set("exp_1", status=settled)
    assert not exports.mark_running("exp_1")
    assert _item("exp_1").status == settled
