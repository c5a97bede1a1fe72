"""Booking against DynamoDB Local: throughput, latency, round trips per booking, time in our code.

Starts its own DynamoDB Local (in memory, on a free port, in a temporary folder; the helpers of
:mod:`bench.slots_and_search`), creates the main table as the local stack does, and sets up
through the app's own use cases (the helpers of the integration tests' scheduling steps):

- :data:`WORKERS` verified cleaners of one district, working 08:00-20:00 every day;
- one hourly cleaning service of 2 hours;
- customers with one address each, as many as the unpaid limit needs: a customer holds at most
  ``booking.MAX_UNPAID`` unpaid orders, so each books three and the next takes over.

Then it calls ``chalicelib.orders.booking.book_order`` in process (what ``POST /v1/orders``
calls, with an ``Idempotency-Key`` as the apps send one), as the API would on DynamoDB:

1. a sequential pass of :data:`WARM_UP` bookings on the day after (warms the JVM, the
   connection pool and any cache; its figures show the cost of one booking alone);
2. :data:`ORDERS` bookings, :data:`JOBS_PER_WORKER` per worker on one day, shuffled and spread
   over :data:`THREADS` threads, one customer per thread at a time. Two threads sometimes book
   the same worker-day at once: the loser of the guard re-reads and books again, as in production.

Round trips are HTTP requests to DynamoDB counted per operation with botocore's ``before-send``
event (retries included); the time inside AWS calls runs from botocore's
``before-parameter-build`` to its ``after-call`` (its own serialising and parsing included, as in
the slots bench), so "our code" is a booking's wall time minus that. Each booking's
TransactWriteItems is inspected for the ``Idempotency-Key`` record, and its cancellation
reasons are counted. DynamoDB Local runs transactions one at a time, so ``TransactionConflict``
(two transactions in flight on one item, as on AWS) never shows here.

Run: ``python -m bench.booking`` (``make bench``); about 40 s on a quiet 2-core machine, half of
it set-up. Exits 1 when a booking fails or the target is missed.
"""

from __future__ import annotations

import math
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.slots_and_search import _dynamodb_local, _environment
from local import aws, provision

ORDERS = 1_000
WORKERS = 200
THREADS = 12
WARM_UP = 100
SET_UP_THREADS = 4
STARTS = ("08:00", "10:30", "13:00", "15:30", "18:00")  # 2 h jobs, 30 min apart (same place)
JOBS_PER_WORKER = len(STARTS)
TARGET = (
    "one TransactWriteItems on the booking path, with the idempotency record inside that same transaction"
)
WRITE_OPERATIONS = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "ExecuteStatement"}
)


@dataclass
class Sample:
    """What one booking cost: requests per operation, time inside AWS calls, what it wrote."""

    requests: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)  # inside AWS calls, per operation
    aws_seconds: float = 0.0
    wall_seconds: float = 0.0
    idempotency_in_transaction: bool = False
    cancelled: int = 0  # transactions DynamoDB cancelled (a lost race, then tried again)
    reasons: Counter[str] = field(default_factory=Counter)  # their cancellation reason codes
    outcome: str = "ok"


_current = threading.local()  # .sample, .operation, .started: the booking running on this thread


def _transaction_puts_idempotency(params: dict[str, Any]) -> bool:
    for entry in params.get("TransactItems", []):
        key = entry.get("Put", {}).get("Item", {}).get("pk", {}).get("S", "")
        if key.startswith("IDEMP#"):
            return True
    return False


def _install_meter() -> None:
    """Hook every botocore client made from now on (pynamodb's included) to report per thread."""
    from botocore.session import Session

    create_client = Session.create_client

    def started(model: Any, params: dict[str, Any], **_: Any) -> None:
        sample = getattr(_current, "sample", None)
        if sample is None:
            return
        _current.operation, _current.started = model.name, time.perf_counter()
        if model.name == "TransactWriteItems" and _transaction_puts_idempotency(params):
            sample.idempotency_in_transaction = True

    def sent(**_: Any) -> None:
        sample = getattr(_current, "sample", None)
        if sample is not None:
            sample.requests[_current.operation] += 1

    def finished(parsed: dict[str, Any] | None = None, **_: Any) -> None:
        sample = getattr(_current, "sample", None)
        if sample is None:
            return
        spent = time.perf_counter() - _current.started
        sample.aws_seconds += spent
        sample.seconds[_current.operation] = sample.seconds.get(_current.operation, 0.0) + spent
        reasons = (parsed or {}).get("CancellationReasons")
        if reasons:
            sample.cancelled += 1
            sample.reasons.update(reason["Code"] for reason in reasons if reason.get("Code") != "None")

    def metered_client(session: Any, *args: Any, **kwargs: Any) -> Any:
        client = create_client(session, *args, **kwargs)
        events = client.meta.events
        events.register("before-parameter-build.dynamodb", started)
        events.register("before-send.dynamodb", sent)
        events.register("after-call.dynamodb", finished)
        events.register("after-call-error.dynamodb", finished)
        return client

    Session.create_client = metered_client


@dataclass(frozen=True)
class Customer:
    customer_id: str
    address_id: str


@dataclass(frozen=True)
class Job:
    worker_id: str
    start: datetime


def _set_up(workers: int, customers: int) -> tuple[str, list[str], list[Customer]]:
    """The service, the verified workers with their hours, the customers with an address each."""
    from chalicelib.scheduling.availability import set_availability
    from tests.integration import scheduling_steps as steps

    def one_worker(number: int) -> str:
        worker_id = steps.worker(f"工{number}")
        set_availability(worker_id, steps.every_day([["08:00", "20:00"]]), [])
        return worker_id

    def one_customer(number: int) -> Customer:
        customer_id, _ = steps.account("customer", f"客{number}")
        return Customer(customer_id, steps.address(customer_id, *steps.PEOPLES_SQUARE))

    service_id = steps.service()
    with ThreadPoolExecutor(max_workers=SET_UP_THREADS) as pool:
        worker_ids = list(pool.map(one_worker, range(workers)))
        customer_list = list(pool.map(one_customer, range(customers)))
    return service_id, worker_ids, customer_list


def _book(service_id: str, customer: Customer, job: Job, key: str) -> Sample:
    """One booking as ``POST /v1/orders`` makes it, measured on this thread."""
    from chalicelib.errors import AppError
    from chalicelib.orders.booking import BookOrder, book_order

    sample = Sample()
    _current.sample = sample
    began = time.perf_counter()
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
    except AppError as error:
        sample.outcome = error.code
    finally:
        sample.wall_seconds = time.perf_counter() - began
        _current.sample = None
    return sample


def _run(service_id: str, jobs: Sequence[Job], customers: Sequence[Customer], threads: int) -> list[Sample]:
    """Book ``jobs`` on ``threads`` threads; each thread's customer books MAX_UNPAID, then the next."""
    from chalicelib.orders.booking import MAX_UNPAID

    def lane(index: int) -> list[Sample]:
        own_jobs = jobs[index::threads]
        own_customers = customers[index::threads]
        return [
            _book(service_id, own_customers[number // MAX_UNPAID], job, f"bench-{index}-{number}")
            for number, job in enumerate(own_jobs)
        ]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [sample for samples in pool.map(lane, range(threads)) for sample in samples]


def _customers_needed(jobs: int, threads: int) -> int:
    from chalicelib.orders.booking import MAX_UNPAID

    return threads * math.ceil(math.ceil(jobs / threads) / MAX_UNPAID)


def _jobs(worker_ids: Sequence[str], day: date, starts: Sequence[str], rng: random.Random) -> list[Job]:
    from tests.integration.scheduling_steps import at

    jobs = [Job(worker_id, at(day, start)) for worker_id in worker_ids for start in starts]
    rng.shuffle(jobs)
    return jobs


def _percentile_ms(seconds: list[float], fraction: float) -> float:
    """The nearest-rank percentile, in milliseconds."""
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)] * 1000


@dataclass(frozen=True)
class Figures:
    name: str
    samples: list[Sample]
    seconds: float

    @property
    def booked(self) -> list[Sample]:
        return [sample for sample in self.samples if sample.outcome == "ok"]

    def latency_ms(self, fraction: float) -> float:
        return _percentile_ms([sample.wall_seconds for sample in self.booked], fraction)

    def own_ms(self, fraction: float) -> float:
        return _percentile_ms([s.wall_seconds - s.aws_seconds for s in self.booked], fraction)

    def round_trips(self) -> float:
        return statistics.mean(sum(sample.requests.values()) for sample in self.booked)


def _print(figures: list[Figures]) -> None:
    print(
        f"{'phase':<28} {'booked':>10} {'bookings/s':>11} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'our code p50 ms':>16} {'round trips':>12}"
    )
    for row in figures:
        print(
            f"{row.name:<28} {len(row.booked):>5}/{len(row.samples):<4} {len(row.booked) / row.seconds:>11.0f}"
            f" {row.latency_ms(0.5):>8.1f} {row.latency_ms(0.99):>8.1f} {row.own_ms(0.5):>16.2f}"
            f" {row.round_trips():>12.2f}"
        )
    refused = Counter(sample.outcome for row in figures for sample in row.samples if sample.outcome != "ok")
    if refused:
        print(f"refused: {dict(refused)}")


def _print_operations(row: Figures) -> None:
    operations = sorted({name for sample in row.booked for name in sample.requests})
    print(f"round trips per booking, {row.name}:")
    print(f"  {'operation':<20} {'mean':>6} {'min':>4} {'max':>4}  {'ms in AWS per booking, p50':>26}")
    for name in [*operations, "total"]:
        counts = [
            sum(sample.requests.values()) if name == "total" else sample.requests[name]
            for sample in row.booked
        ]
        spent = [
            sample.aws_seconds if name == "total" else sample.seconds.get(name, 0.0) for sample in row.booked
        ]
        print(
            f"  {name:<20} {statistics.mean(counts):>6.2f} {min(counts):>4} {max(counts):>4}"
            f"  {_percentile_ms(spent, 0.5):>26.2f}"
        )
    reasons = sum((sample.reasons for sample in row.booked), Counter[str]())
    print(f"  cancelled transactions: {sum(s.cancelled for s in row.booked)}, reasons {dict(reasons)}")


def _verdict(row: Figures) -> bool:
    """The target, booking by booking: its only writes are TransactWriteItems, exactly one more
    than DynamoDB cancelled (a lost race is tried again), each with the idempotency record."""
    once = again = other = 0
    for sample in row.booked:
        writes = {name: count for name, count in sample.requests.items() if name in WRITE_OPERATIONS}
        if writes == {"TransactWriteItems": 1 + sample.cancelled}:
            once, again = once + (sample.cancelled == 0), again + (sample.cancelled > 0)
        else:
            other += 1
    inside = sum(sample.idempotency_in_transaction for sample in row.booked)
    total = len(row.booked)
    print(f"target: {TARGET}")
    print(
        f"  {once}/{total} bookings wrote one TransactWriteItems, {again} one more per lost race,"
        f" {other} wrote otherwise; the idempotency record was in the transaction in {inside}/{total}"
    )
    ok = total > 0 and other == 0 and inside == total
    print(f"  -> {'OK' if ok else 'MISSED'}")
    return ok


def _reservations(worker_ids: Sequence[str], day: date) -> int:
    from chalicelib.models.workers import ReservationItem

    return sum(
        ReservationItem.count(
            ReservationItem.partition(worker_id, day.isoformat()), ReservationItem.sk.startswith(str(day))
        )
        for worker_id in worker_ids
    )


def main() -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-booking-") as temp, _dynamodb_local(Path(temp)) as url:
        os.environ.update(_environment(url, Path(temp)))
        for name in [key for key in os.environ if key.startswith("AWS_PROFILE")]:
            del os.environ[name]
        _install_meter()

        from chalicelib import clock, resources
        from tests.integration.scheduling_steps import NOW

        ddb = aws.client("dynamodb", os.environ)
        for spec in resources.TABLES:
            provision.create_table(ddb, spec)
        clock.freeze(NOW)
        rng = random.Random(20270118)
        day, warm_day = NOW.date() + timedelta(days=1), NOW.date() + timedelta(days=2)
        warm_customers = _customers_needed(WARM_UP, 1)
        setting_up = time.perf_counter()
        service_id, worker_ids, customers = _set_up(
            WORKERS, warm_customers + _customers_needed(ORDERS, THREADS)
        )
        set_up = time.perf_counter() - setting_up

        rows = []
        for name, jobs, own_customers, threads in (
            (
                "sequential, 1 thread",
                _jobs(worker_ids, warm_day, STARTS[:1], rng)[:WARM_UP],
                customers[:warm_customers],
                1,
            ),
            (
                f"concurrent, {THREADS} threads",
                _jobs(worker_ids, day, STARTS, rng)[:ORDERS],
                customers[warm_customers:],
                THREADS,
            ),
        ):
            began = time.perf_counter()
            samples = _run(service_id, jobs, own_customers, threads)
            rows.append(Figures(name, samples, time.perf_counter() - began))
        print(
            f"booking on DynamoDB Local: {WORKERS} workers x {JOBS_PER_WORKER} jobs = {ORDERS} orders "
            f"on {THREADS} threads, {len(customers)} customers; set up in {set_up:.0f} s"
        )
        _print(rows)
        for row in rows:
            _print_operations(row)
        ok = _verdict(rows[-1])
        held = _reservations(worker_ids, day)
        booked = len(rows[-1].booked)
        print(f"worker calendars hold {held} reservations for {booked} bookings")
        ok = ok and held == booked == ORDERS
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
