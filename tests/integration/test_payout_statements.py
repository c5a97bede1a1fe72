"""Monthly statements: a PDF with a chart of the month and Chinese text, and an xlsx, behind a link."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import boto3
import pytest

from chalicelib import clock
from chalicelib.payouts.statements import statement_for
from chalicelib.reports.pdf import render_pdf
from tests.integration.conftest import Http
from tests.integration.payout_steps import NET, NOW, completed_order, worker_with_token


@pytest.fixture(autouse=True)
def frozen(aws: dict[str, str]) -> None:
    clock.freeze(NOW)


def stored(url: str) -> bytes:
    key = re.search(r"(statements/[^?]+)", url)
    assert key is not None, url
    return bytes(
        boto3.client("s3").get_object(Bucket="jiazheng-local-exports", Key=key.group(1))["Body"].read()
    )


def test_the_pdf_statement_embeds_a_cjk_font_and_draws_the_month(http: Http) -> None:
    worker_id, token = worker_with_token()
    for day in (4, 5, 11):
        completed_order(worker_id, at=NOW.replace(day=day))
    answer = http.call("GET", "/v1/worker/statements/2027-01?format=pdf", token=token)
    assert answer.status_code == 200, answer.json
    assert answer.json["expires_at"] == clock.iso(NOW + timedelta(minutes=15))
    pdf = stored(answer.json["download_url"])
    assert pdf.startswith(b"%PDF")
    assert b"/FontFile2" in pdf  # the TrueType font is embedded (subset)


def test_the_xlsx_statement_has_the_items_as_numbers_and_a_chart(http: Http) -> None:
    from openpyxl import load_workbook

    worker_id, token = worker_with_token()
    order_id = completed_order(worker_id, at=NOW.replace(day=4))
    answer = http.call("GET", "/v1/worker/statements/2027-01?format=xlsx", token=token)
    assert answer.status_code == 200, answer.json
    book = load_workbook(io.BytesIO(stored(answer.json["download_url"])))
    sheet = book["Statement 2027-01"]
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
    assert order_id in values and "¥160.00" in values
    assert len(sheet._charts) == 1
    daily = [row for row in book["Chart data"].iter_rows(min_row=2, values_only=True)]
    assert len(daily) == 31 and ("04", NET / 100) in daily


@pytest.mark.parametrize("path", ["2027-01?format=docx", "2027-13", "27-01", "2027-02"])
def test_bad_format_or_month_is_422(http: Http, path: str) -> None:
    _, token = worker_with_token()
    answer = http.call("GET", f"/v1/worker/statements/{path}", token=token)
    assert answer.status_code == 422, answer.json


def test_render_a_sample_for_the_eye(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Renders a statement to a file (``STATEMENT_SAMPLE`` keeps it) for a person to look at."""
    worker_id, _ = worker_with_token()
    for day in (2, 4, 5, 9, 11, 16):
        completed_order(worker_id, at=NOW.replace(day=day), price=20000 + day * 1000)
    pdf = render_pdf(statement_for(worker_id, "2027-01"))
    out = tmp_path_factory.mktemp("statement") / "statement.pdf"
    out.write_bytes(pdf)
    import os

    if os.environ.get("STATEMENT_SAMPLE"):
        out.replace(os.environ["STATEMENT_SAMPLE"])
    assert len(pdf) > 5_000
