"""The Spring Festival peak at the data layer: which partition keys a booking surge writes, how hot.

Replays a burst of bookings (``chalicelib.orders.booking.book_order``, what ``POST /v1/orders``
calls) against DynamoDB Local, as the day before 春节 would send them: many customers booking
the one popular service, all on the same few days, spread over the verified workers. Every write
request (PutItem, UpdateItem, DeleteItem, TransactWriteItems, BatchWriteItem) is recorded with
the partition key of each item it writes, on the table and on every GSI the item lands in
(``gsi1pk``..``gsi3pk`` set by the write), and the write units it costs (1 KB units; twice in a
transaction).

DynamoDB's real per-partition limit is 1,000 write units per second (and 3,000 reads). The
report projects each key's load at ``RATE`` bookings per second (10x the normal evening peak of
50/s): a key written by a share ``f`` of the bookings takes ``f x RATE`` writes a second. The
hottest keys are printed with writes/s and WCU/s; the run fails if any key would pass the limit.

Run: ``python -m bench.peak`` (``make bench``).
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.booking import Customer, Job, _customers_needed, _jobs, _set_up
from bench.slots_and_search import _dynamodb_local, _environment
from local import aws, provision

RATE = 500  # bookings per second on the peak day (10x the normal 50/s)
LIMIT_WCU = 1_000  # DynamoDB's write units per second per partition
BOOKINGS = 600
WORKERS = 150
THREADS = 6
STARTS = ("08:00", "10:30", "13:00", "15:30")
_GSI_KEY = re.compile(r"^gsi\d+pk$")
_IDS = re.compile(r"(usr|ord|adr|svc|pay|wd|ses)_[0-9A-Z]{20,}")

_lock = threading.Lock()
_writes: Counter[str] = Counter()  # partition key -> writes
_units: Counter[str] = Counter()  # partition key -> write units


def _wcu(item: dict[str, Any], transactional: bool) -> int:
    return math.ceil(len(json.dumps(item)) / 1024) * (2 if transactional else 1)


def _keys_of_put(table: str, item: dict[str, Any]) -> Iterator[str]:
    yield f"{table}:{item['pk']['S']}"
    for name, value in item.items():
        if _GSI_KEY.match(name) and "S" in value:
            yield f"{table}/{name[:4]}:{value['S']}"


def _keys_of_update(table: str, params: dict[str, Any]) -> Iterator[str]:
    yield f"{table}:{params['Key']['pk']['S']}"
    names = params.get("ExpressionAttributeNames", {})
    values = params.get("ExpressionAttributeValues", {})
    expression = params.get("UpdateExpression", "")
    for placeholder, name in names.items():
        if _GSI_KEY.match(name):
            found = re.search(re.escape(placeholder) + r"\s*=\s*(:\w+)", expression)
            if found and "S" in values.get(found.group(1), {}):
                yield f"{table}/{name[:4]}:{values[found.group(1)]['S']}"


def _record(operation: str, params: dict[str, Any]) -> None:
    entries: list[tuple[str, dict[str, Any], bool]] = []
    if operation == "TransactWriteItems":
        for entry in params["TransactItems"]:
            kind, body = next(iter(entry.items()))
            if kind != "ConditionCheck":
                entries.append((kind, body, True))
    elif operation == "BatchWriteItem":
        for table, requests in params["RequestItems"].items():
            for request in requests:
                kind, body = next(iter(request.items()))
                entries.append(
                    ("Put" if kind == "PutRequest" else "Delete", {"TableName": table, **body}, False)
                )
    elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
        entries.append((operation.removesuffix("Item"), params, False))
    with _lock:
        for kind, body, transactional in entries:
            table = str(body["TableName"]).rsplit("-", 1)[-1]
            if kind == "Put":
                keys = list(_keys_of_put(table, body["Item"]))
                units = _wcu(body["Item"], transactional)
            elif kind == "Update":
                keys = list(_keys_of_update(table, body))
                units = 1 * (2 if transactional else 1)
            else:
                keys = [f"{table}:{body['Key']['pk']['S']}"]
                units = 1 * (2 if transactional else 1)
            for key in keys:
                _writes[key] += 1
                # a GSI is written asynchronously, at the plain rate (transactions double the table only)
                _units[key] += units // 2 if "/gsi" in key and transactional else units


def _install_recorder() -> None:
    from botocore.session import Session

    create_client = Session.create_client

    def recorded(model: Any, params: dict[str, Any], **_: Any) -> None:
        if getattr(_on, "booking", False):
            _record(model.name, params)

    def client(session: Any, *args: Any, **kwargs: Any) -> Any:
        made = create_client(session, *args, **kwargs)
        made.meta.events.register("before-parameter-build.dynamodb", recorded)
        return made

    Session.create_client = client


_on = threading.local()


def _book(service_id: str, customer: Customer, job: Job, key: str) -> str:
    from chalicelib.errors import AppError
    from chalicelib.orders.booking import BookOrder, book_order

    _on.booking = True
    try:
        book_order(
            BookOrder(
                customer_id=customer.customer_id,
                service_id=service_id,
                address_id=customer.address_id,
                start_at=job.start,
                worker_id=job.worker_id,
                idempotency_key=key,
            )
        )
        return "ok"
    except AppError as error:
        return error.code
    finally:
        _on.booking = False


def _shape(key: str) -> str:
    return _IDS.sub(lambda m: f"{m.group(1)}_…", key)


def main() -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-peak-") as temp, _dynamodb_local(Path(temp)) as url:
        os.environ.update(_environment(url, Path(temp)))
        _install_recorder()
        from chalicelib import clock, resources
        from chalicelib.orders.booking import MAX_UNPAID
        from tests.integration.scheduling_steps import NOW

        ddb = aws.client("dynamodb", os.environ)
        for spec in resources.TABLES:
            provision.create_table(ddb, spec)
        clock.freeze(NOW)
        rng = random.Random(20270128)
        service_id, worker_ids, customers = _set_up(WORKERS, _customers_needed(BOOKINGS, THREADS))
        festival = NOW.date() + timedelta(days=1)
        jobs = _jobs(worker_ids, festival, STARTS, rng)[:BOOKINGS]

        def lane(index: int) -> list[str]:
            own, people = jobs[index::THREADS], customers[index::THREADS]
            return [
                _book(service_id, people[n // MAX_UNPAID], job, f"peak-{index}-{n}")
                for n, job in enumerate(own)
            ]

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            outcomes = Counter(o for lane_outcomes in pool.map(lane, range(THREADS)) for o in lane_outcomes)
        spent = time.perf_counter() - began

    booked = outcomes["ok"]
    print(
        f"peak replay on DynamoDB Local: {booked} bookings ({dict(outcomes)}) of one service on one day, "
        f"{WORKERS} workers, {len(customers)} customers, in {spent:.1f} s; projected at {RATE} bookings/s"
    )
    print(
        f"{'partition key (table/index:key, ids elided)':<64} {'writes/booking':>14} {'writes/s':>9} {'WCU/s':>7}"
    )
    worst = 0.0
    for key, count in _units.most_common(12):
        per_booking = _writes[key] / booked
        units_per_second = count / booked * RATE
        worst = max(worst, units_per_second)
        print(f"{_shape(key):<64} {per_booking:>14.3f} {per_booking * RATE:>9.0f} {units_per_second:>7.0f}")
    shared = sum(1 for key, count in _writes.items() if count > MAX_UNPAID * 2)
    print(f"{len(_writes)} keys written; {shared} written by more than {MAX_UNPAID * 2} bookings")
    verdict = worst < LIMIT_WCU
    print(
        f"hottest key at {RATE} bookings/s: {worst:.0f} WCU/s against the {LIMIT_WCU} per-partition limit: "
        + ("OK" if verdict else "OVER")
    )
    if not verdict:
        print("  a key above the limit concentrates writes: shard it as the day index is (docs/proof.md)")
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0 if verdict and booked == BOOKINGS else 1


if __name__ == "__main__":
    sys.exit(main())
