"""The local API reloads on app source changes only, not on data the local stack writes."""

from __future__ import annotations

from pathlib import Path

from local.chalice_local import app_sources


def test_only_app_sources_and_chalice_config_are_watched(tmp_path: Path) -> None:
    for name in (
        "app.py",
        "chalicelib/orders/booking.py",
        "chalicelib/workflows/order_cancellation.asl.json",
        ".chalice/config.json",
        "chalicelib/__pycache__/clock.cpython-311.pyc",
        ".local/data/runner-state-outbox-stream.json",
        ".local/data/dynamodb/shared-local-instance.db",
        ".venv/lib/site.py",
        "tests/unit/test_x.py",
        ".chalice/deployments/x.zip",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    watched = sorted(str(Path(path).relative_to(tmp_path)) for path in app_sources(str(tmp_path)))
    assert watched == [
        ".chalice/config.json",
        "app.py",
        "chalicelib/orders/booking.py",
        "chalicelib/workflows/order_cancellation.asl.json",
    ]
