"""Analytics and exports over HTTP on the local stack, as the README's walk-through does it.

After a completed (and reviewed) order, an admin reads the analytics of the day, requests each
report in each format, follows each to ``ready`` and downloads it through its presigned link:
the CSV starts with a BOM, the xlsx has its native charts, the PDF pages render to PNG. Moving
the clock past 03:00 (Asia/Shanghai) fires the nightly run, whose exports of the day before are
listed under ``?kind=nightly``. Support may read analytics but not export; bad input is 422.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from local.stack import LocalStack
from tests.e2e.accounts import admin_cli, clock_restored, login, new_admin, unique_email
from tests.e2e.scenes import run_scene
from tests.e2e.test_order_walkthrough_e2e import Walk
from tests.e2e.test_order_workflow_e2e import eventually
from tests.e2e.test_payouts_e2e import _SCENE, completed_order, now_of

REPORTS = ("orders", "revenue", "workers", "satisfaction")
FORMATS = ("csv", "xlsx", "pdf")


def _ready(http: httpx.Client, headers: dict[str, str], export_id: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        got = http.get(f"/v1/admin/exports/{export_id}", headers=headers)
        assert got.status_code == 200, got.text
        body: dict[str, Any] = got.json()
        assert body["status"] != "failed", body
        return body if body["status"] == "ready" else None

    return eventually(probe, timeout=180)


def _check_file(fmt: str, content: bytes, folder: Path, name: str) -> None:
    if fmt == "csv":
        assert content.startswith("\ufeff".encode())
        assert "世纪大道" not in content.decode("utf-8")
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content))
        assert book["Data"].freeze_panes == "A2"
        assert len(book["Charts"]._charts) == 2
    else:
        assert content.startswith(b"%PDF")
        pdf = folder / f"{name}.pdf"
        pdf.write_bytes(content)
        if shutil.which("pdftoppm"):
            subprocess.run(
                ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "2", str(pdf), str(folder / name)],
                check=True,
            )
            assert list(folder.glob(f"{name}*.png"))


def test_analytics_and_every_export_then_the_nightly_run(stack: LocalStack, http: httpx.Client) -> None:
    scene = run_scene(stack, _SCENE, 0)
    walk = Walk(http, scene)
    with clock_restored(stack):
        completed_order(http, walk, scene)
        today = now_of(http).date()
        first = (today - timedelta(days=3)).isoformat()
        admin = new_admin(stack, http)

        def counted() -> dict[str, Any] | None:
            got = http.get(f"/v1/admin/analytics?from={first}&to={today}", headers=admin.headers)
            assert got.status_code == 200, got.text
            body: dict[str, Any] = got.json()
            return body if body["totals"]["orders"]["completed"] >= 1 else None

        analytics = eventually(counted, timeout=60)
        totals = analytics["totals"]
        assert totals["gmv"] >= 20_000 and totals["platform_take"] > 0 and totals["active_customers"] >= 1
        assert "cleaning" in analytics["by_category"]
        weekly = http.get(
            f"/v1/admin/analytics?from={first}&to={today}&granularity=week", headers=admin.headers
        )
        assert weekly.status_code == 200 and weekly.json()["series"]

        bad = http.post(
            "/v1/admin/exports",
            json={"report": "orders", "format": "csv", "from": today.isoformat(), "to": first},
            headers=admin.headers,
        )
        assert bad.status_code == 422
        assert http.get("/v1/admin/exports/exp_unknown", headers=admin.headers).status_code == 404

        requested = {}
        for report in REPORTS:
            for fmt in FORMATS:
                made = http.post(
                    "/v1/admin/exports",
                    json={"report": report, "format": fmt, "from": first, "to": today.isoformat()},
                    headers=admin.headers,
                )
                assert made.status_code == 202, made.text
                requested[(report, fmt)] = made.json()["export_id"]
        # Past SPLIT_AFTER_DAYS the export runs through the export-split workflow, a part a day.
        long = {"report": "orders", "format": "csv", "from": (today - timedelta(days=39)).isoformat()}
        made = http.post("/v1/admin/exports", json={**long, "to": today.isoformat()}, headers=admin.headers)
        assert made.status_code == 202, made.text
        requested[("orders-40-days", "csv")] = made.json()["export_id"]
        with tempfile.TemporaryDirectory() as folder:
            for (report, fmt), export_id in requested.items():
                ready = _ready(http, admin.headers, export_id)
                assert "X-Amz-Expires=900" in ready["download_url"]
                downloaded = httpx.get(ready["download_url"], timeout=30)
                assert downloaded.status_code == 200, downloaded.text[:300]
                _check_file(fmt, downloaded.content, Path(folder), f"{report}-{fmt}")

        due = (now_of(http) + timedelta(days=1)).replace(hour=3, minute=5, second=0, microsecond=0)
        walk.advance_to(due)
        night_of = (due - timedelta(days=1)).date().isoformat()
        admin = new_admin(stack, http)

        def nightly() -> list[dict[str, Any]] | None:
            listed = http.get("/v1/admin/exports?kind=nightly&limit=100", headers=admin.headers)
            assert listed.status_code == 200, listed.text
            mine = [item for item in listed.json()["items"] if item["from"] == night_of]
            return (
                mine
                if len(mine) == len(REPORTS) * len(FORMATS) and all(i["status"] == "ready" for i in mine)
                else None
            )

        done = eventually(nightly, timeout=300)
        assert {(item["report"], item["format"]) for item in done} == {
            (r, f) for r in REPORTS for f in FORMATS
        }
        on_demand = http.get("/v1/admin/exports?kind=on_demand&limit=100", headers=admin.headers).json()[
            "items"
        ]
        assert {item["export_id"] for item in on_demand} >= set(requested.values())


def test_support_reads_analytics_but_may_not_export(stack: LocalStack, http: httpx.Client) -> None:
    email, password = unique_email("agent"), "Agent-pass-2026"
    made = admin_cli(
        stack, "create-user", "--role", "support", "--email", email, "--name", "客服", "--password", password
    )
    assert made.returncode == 0, made.stderr
    agent = login(http, password, email=email)
    assert http.get("/v1/admin/analytics?granularity=month", headers=agent.headers).status_code == 200
    body = {"report": "orders", "format": "csv", "from": "2027-01-01", "to": "2027-01-02"}
    assert http.post("/v1/admin/exports", json=body, headers=agent.headers).status_code == 403
    assert http.get("/v1/admin/exports", headers=agent.headers).status_code == 403
