"""Streaming exports at scale: 1,000,000 orders into CSV and xlsx, time and peak memory for each.

Each format runs in its own process (so its peak RSS is its own), through the real code: the
orders report's row builder (``chalicelib.analytics.report_rows``) over ``OrderItem``s
deserialised from raw DynamoDB items as a Query page returns them, generated on the fly (the
Query itself, a network round trip per 1 MB page, is left out), and the writer
(``chalicelib.analytics.writers``) into a temporary file, as the export job writes before its
upload. Targets: within one Lambda's 15 minutes and at most 256 MB. CPU time is printed too: on a
shared machine the wall time says more about the neighbours than about the code.

Run: ``python -m bench.exports`` (``make bench``); ``BENCH_EXPORT_ORDERS=`` changes the count.
Exits 1 when a target is missed.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

ORDERS = int(os.environ.get("BENCH_EXPORT_ORDERS", "1000000"))
SECONDS, MEGABYTES = 15 * 60, 256
CATEGORIES = ("cleaning", "nanny", "maternity_nurse", "infant_care", "elder_care", "home_repair")
DISTRICTS = ("浦东新区", "徐汇区", "静安区", "黄浦区", "闵行区", "长宁区")


def _raw(n: int) -> dict[str, Any]:
    day = f"2027-01-{1 + n % 28:02d}"
    return {
        "pk": {"S": f"ORDER#ord_{n:08d}"},
        "sk": {"S": "ORDER"},
        "order_id": {"S": f"ord_{n:08d}"},
        "customer_id": {"S": f"usr_c{n % 50000:06d}"},
        "worker_id": {"S": f"usr_w{n % 3000:05d}"},
        "service_id": {"S": "svc_cleaning_basic"},
        "category": {"S": CATEGORIES[n % len(CATEGORIES)]},
        "status": {"S": "completed"},
        "address": {
            "S": f'{{"city": "上海市", "district": "{DISTRICTS[n % len(DISTRICTS)]}", "detail": "某路 {n} 号"}}'
        },
        "price_amount": {"N": str(15000 + n % 9000)},
        "start_at": {"S": f"{day}T09:00:00+08:00"},
        "end_at": {"S": f"{day}T11:00:00+08:00"},
        "duration_minutes": {"N": "120"},
        "created_at": {"S": f"{day}T08:00:00+08:00"},
    }


def _one(fmt: str) -> None:
    from chalicelib.analytics import report_rows
    from chalicelib.analytics.writers import write
    from chalicelib.models.orders import OrderItem

    def orders(first: date, last: date) -> Iterator[Any]:  # one day, as report_rows reads the index
        for n in range(first.day - 1, ORDERS, 28):
            yield OrderItem.from_raw_data(_raw(n))

    report_rows._orders = orders
    report_rows.read_days = lambda days: {day: report_rows.DaySums() for day in days}
    started, cpu_started = time.perf_counter(), time.process_time()
    data = report_rows.report_data("orders", date(2027, 1, 1), date(2027, 1, 28))
    with tempfile.TemporaryFile() as out:
        rows = write(data, fmt, out)
        size = out.tell()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{fmt}: {rows:,} orders in {seconds:.1f} s ({cpu:.1f} s of CPU), {size / 1e6:.0f} MB file, "
        f"peak RSS {peak:.0f} MB"
    )
    sys.exit(0 if rows == ORDERS and seconds <= SECONDS and peak <= MEGABYTES else 1)


def main() -> None:
    if len(sys.argv) > 1:
        _one(sys.argv[1])
        return
    print(f"exports bench: {ORDERS:,} orders (targets: {SECONDS // 60} min, {MEGABYTES} MB)")
    failed = [
        fmt for fmt in ("csv", "xlsx") if subprocess.call([sys.executable, "-m", "bench.exports", fmt]) != 0
    ]
    if failed:
        print(f"missed the targets: {failed}")
        sys.exit(1)


if __name__ == "__main__":
    main()
