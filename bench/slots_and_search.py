"""Free slots and worker search against DynamoDB Local: round trips, items read, time in our code.

Starts its own DynamoDB Local (Java) in a temporary folder on a free port, creates the main
table, and seeds:

- one verified worker working 08:00-20:00 every day, with 60 days of reservations (four jobs a
  day at places a few km apart), a cleaning service of 2 hours and a customer's address;
- 5,000 verified cleaners in one district, homes spread over 20 x 20 km, working days and
  ratings at random, written straight into the search index with batch writes (a search reads
  nothing else).

Then it times :data:`REQUESTS` calls of each use case (directly, without HTTP: routing adds the
same small cost to every route) and prints per request the DynamoDB round trips (HTTP requests
counted with botocore's ``before-send`` event, retries included), the items read (``Count`` of
each Query, items returned by BatchGetItem), and the median time spent in our own code: wall
time minus the time inside botocore's API calls (which includes botocore's own serialising and
parsing). The service lookup of the slots use case is cached in-process, so it is warmed first.

Run: ``python -m bench.slots_and_search`` (``make bench``); about a minute, most of it seeding.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from local import app_secrets, aws, dynamodb_local, provision
from local.procs import Child, free_port, wait_for_http

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = 50
WORKERS = 5_000
DAYS = 60
CITY, DISTRICT = "上海市", "闵行区"
CENTRE = (31.1130, 121.3815)  # Minhang, about 370 km2
SPREAD_KM = 20.0
KM_LAT = 1 / 111.195
WRITERS = 4
JOBS = (("09:00", 120), ("12:30", 90), ("15:00", 60), ("17:30", 90))

TARGET_ROUND_TRIPS = {"slots": 2, "search": 3}
TARGET_OWN_MS = {"slots": 5.0, "search": 15.0}
"""Our code should cost less than one DynamoDB round trip in the region (a few ms); a search
ranks up to a few hundred candidates, so it gets three."""


@dataclass
class Meter:
    """Counts DynamoDB HTTP requests and items, and the time spent inside botocore calls."""

    round_trips: int = 0
    items: int = 0
    aws_seconds: float = 0.0
    operations: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.round_trips, self.items, self.aws_seconds = 0, 0, 0.0
        self.operations.clear()


def _install(meter: Meter) -> None:
    """Wrap botocore so every client, pynamodb's included, reports to ``meter``."""
    from botocore.client import BaseClient
    from botocore.session import Session

    make_api_call = BaseClient._make_api_call
    create_client = Session.create_client

    def timed(client: Any, operation: str, params: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            response = make_api_call(client, operation, params)
        finally:
            meter.aws_seconds += time.perf_counter() - started
        meter.operations.append(operation)
        meter.items += int(response.get("Count", 0)) + sum(
            len(found) for found in response.get("Responses", {}).values()
        )
        return response

    def counting_client(session: Any, *args: Any, **kwargs: Any) -> Any:
        client = create_client(session, *args, **kwargs)

        def sent(**_: Any) -> None:
            meter.round_trips += 1

        client.meta.events.register("before-send", sent)
        return client

    BaseClient._make_api_call = timed
    Session.create_client = counting_client


@contextmanager
def _dynamodb_local(folder: Path) -> Iterator[str]:
    """DynamoDB Local on a free port for the duration of the block; yields its URL."""
    java, emulator = dynamodb_local.java_path(), dynamodb_local.emulator_dir(ROOT)
    if java is None or emulator is None:
        raise SystemExit("needs java and DynamoDBLocal.jar (make .local/node/.installed)")
    port = free_port()
    # In memory: the figures are about our requests, not about SQLite, and seeding is 3x faster.
    argv = dynamodb_local.command(java, port, folder)
    at = argv.index("-dbPath")
    child = Child(
        "dynamodb",
        [*argv[:at], "-inMemory", *argv[at + 2 :]],
        cwd=emulator,
        env=dict(os.environ),
        log_file=folder / "dynamodb.log",
    )
    child.start()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(url, timeout=30, child=child)
        yield url
    finally:
        child.stop()


def _environment(dynamodb_url: str, folder: Path) -> dict[str, str]:
    env = aws.endpoint_env("http://127.0.0.1:9", dynamodb_url)  # nothing but DynamoDB is called
    env.update(provision.resource_env())
    env.update(
        {
            "STAGE": provision.STAGE,
            "APP_SECRETS_JSON": json.dumps(app_secrets.load_or_create(folder / "secrets.json")),
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    return env


def _around(rng: random.Random) -> tuple[float, float]:
    half = SPREAD_KM / 2
    lat = CENTRE[0] + rng.uniform(-half, half) * KM_LAT
    lng = CENTRE[1] + rng.uniform(-half, half) * KM_LAT / 0.856  # cos(31°)
    return round(lat, 6), round(lng, 6)


def _write(items: list[Any]) -> None:
    """Batch-write ``items`` (25 a request) on a few threads (DynamoDB Local is the bottleneck)."""
    from chalicelib.models.base import MainItem

    def chunk(part: list[Any]) -> None:
        with MainItem.batch_write() as batch:
            for item in part:
                batch.save(item)

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        list(pool.map(chunk, [items[index::WRITERS] for index in range(WRITERS)]))


def _seed_slots(rng: random.Random, today: date) -> tuple[str, str, str, str]:
    """The worker with 60 days of jobs, the service, a customer and her address."""
    from chalicelib import clock
    from chalicelib.catalog.services import Actor, create_service
    from chalicelib.models.accounts import AddressItem
    from chalicelib.models.workers import ReservationItem, WorkerProfileItem
    from chalicelib.scheduling.availability import set_availability

    worker_id, customer_id, address_id = "usr_bench_worker", "usr_bench_customer", "adr_bench"
    WorkerProfileItem(
        *WorkerProfileItem.key(worker_id),
        worker_id=worker_id,
        name="李阿姨",
        status="verified",
        skills=["cleaning"],
        experience_years=6,
        service_areas=[{"city": CITY, "district": DISTRICT}],
        home_lat=CENTRE[0],
        home_lng=CENTRE[1],
        created_at=clock.iso(),
    ).save()
    set_availability(
        worker_id,
        {day: [["08:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        [],
    )
    service_id = create_service(
        {
            "category": "cleaning",
            "sub_type": None,
            "name": {"zh-CN": "日常保洁", "en": "Routine cleaning"},
            "description": {"zh-CN": "两小时", "en": "Two hours"},
            "includes": [],
            "price_min": 12000,
            "price_max": 12000,
            "price_unit": "per_visit",
            "duration_minutes": 120,
        },
        actor=Actor(user_id="usr_bench_admin", role="admin"),
    ).service_id
    lat, lng = _around(rng)
    AddressItem(
        *AddressItem.key(customer_id, address_id),
        address_id=address_id,
        user_id=customer_id,
        contact_name="王女士",
        contact_phone_enc="(not read by the bench)",
        contact_phone_masked="138****1111",
        city=CITY,
        district=DISTRICT,
        detail="虹井路 100 号",
        lat=lat,
        lng=lng,
        created_at=clock.iso(),
    ).save()
    reservations = []
    for offset in range(DAYS):
        day = today + timedelta(days=offset)
        for index, (start_text, minutes) in enumerate(JOBS):
            start = datetime.fromisoformat(f"{day}T{start_text}:00+08:00")
            order_id = f"ord_bench_{offset:02d}_{index}"
            job_lat, job_lng = _around(rng)
            reservations.append(
                ReservationItem(
                    ReservationItem.partition(worker_id, day.isoformat()),
                    f"{clock.iso(start)}#{order_id}",
                    worker_id=worker_id,
                    order_id=order_id,
                    start=clock.iso(start),
                    end=clock.iso(start + timedelta(minutes=minutes)),
                    lat=job_lat,
                    lng=job_lng,
                    status="confirmed",
                )
            )
    _write(reservations)
    return worker_id, service_id, customer_id, address_id


def _seed_search(rng: random.Random) -> tuple[int, dict[str, tuple[float, float]]]:
    """5,000 verified cleaners of one district, straight into the search index.

    Returns how many index entries that made, and each worker's stored (snapped) home.
    """
    from chalicelib.models.workers import AvailabilityItem, WorkerProfileItem
    from chalicelib.workers.search_index import entries_for

    weekdays = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    entries = []
    for number in range(WORKERS):
        worker_id = f"usr_bench_{number:05d}"
        count = rng.randrange(0, 200)
        average = rng.uniform(3.5, 5.0)
        lat, lng = _around(rng)
        profile = WorkerProfileItem(
            *WorkerProfileItem.key(worker_id),
            worker_id=worker_id,
            name=f"工{number}",
            status="verified",
            skills=["cleaning"],
            experience_years=rng.randrange(0, 20),
            service_areas=[{"city": CITY, "district": DISTRICT}],
            home_lat=lat,
            home_lng=lng,
            level=rng.choice(("junior", "intermediate", "senior", "gold")),
            rating_count=count,
            rating_quality_sum=average * count,
            rating_attitude_sum=average * count,
            rating_skill_sum=average * count,
            created_at="2027-01-01T00:00:00.000000+08:00",
        )
        working = rng.sample(weekdays, rng.randrange(3, 8))
        availability = AvailabilityItem(
            *AvailabilityItem.key(worker_id),
            worker_id=worker_id,
            weekly={day: [["08:00", "18:00"]] for day in working},
            exceptions=[],
            updated_at="2027-01-01T00:00:00.000000+08:00",
        )
        entries += entries_for(profile, availability)
    _write(entries)
    homes = {entry.worker_id: (float(entry.lat), float(entry.lng)) for entry in entries}
    return len(entries), homes


def _nearest(homes: dict[str, tuple[float, float]], point: Any, count: int) -> list[str]:
    """The ``count`` workers nearest ``point``, by computing every distance."""
    from chalicelib.geo import haversine_km

    distance = {worker: haversine_km(point.lat, point.lng, *home) for worker, home in homes.items()}
    return sorted(distance, key=lambda worker: (distance[worker], worker))[:count]


@dataclass
class Row:
    name: str
    kind: str
    round_trips: list[int]
    items: list[int]
    own_ms: list[float]


def _measure(meter: Meter, name: str, kind: str, calls: list[Callable[[], object]]) -> Row:
    row = Row(name, kind, [], [], [])
    for call in calls:
        meter.reset()
        started = time.perf_counter()
        call()
        total = time.perf_counter() - started
        row.round_trips.append(meter.round_trips)
        row.items.append(meter.items)
        row.own_ms.append((total - meter.aws_seconds) * 1000)
    return row


def _print(rows: list[Row]) -> bool:
    print(f"{'request':<34} {'round trips':>15} {'items read':>14} {'own code (median)':>24}")
    print(f"{'':<34} {'max (target)':>15} {'median / max':>14} {'ms (target)':>24}")
    ok = True
    for row in rows:
        trips, own = max(row.round_trips), statistics.median(row.own_ms)
        trips_target, own_target = TARGET_ROUND_TRIPS[row.kind], TARGET_OWN_MS[row.kind]
        passed = trips <= trips_target and own <= own_target
        ok = ok and passed
        print(
            f"{row.name:<34} {trips:>6} (<= {trips_target})  {statistics.median(row.items):>6.0f} / {max(row.items):<5}"
            f" {own:>9.2f} (<= {own_target:.0f}) {'OK' if passed else 'OVER'}"
        )
    return ok


def main() -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-slots-") as temp, _dynamodb_local(Path(temp)) as url:
        os.environ.update(_environment(url, Path(temp)))
        for name in [key for key in os.environ if key.startswith("AWS_PROFILE")]:
            del os.environ[name]
        meter = Meter()
        _install(meter)

        from chalicelib import clock, resources
        from chalicelib.scheduling import calendar
        from chalicelib.scheduling.travel import Point
        from chalicelib.workers import search

        ddb = aws.client("dynamodb", os.environ)
        for spec in resources.TABLES:
            provision.create_table(ddb, spec)
        now = datetime.fromisoformat("2027-01-18T07:00:00+08:00")
        clock.freeze(now)
        rng = random.Random(20270118)
        seeding = time.perf_counter()
        worker_id, service_id, customer_id, address_id = _seed_slots(rng, now.date())
        entries, homes = _seed_search(rng)
        seeded = time.perf_counter() - seeding

        days = [now.date() + timedelta(days=offset) for offset in range(1, REQUESTS + 1)]
        points = [Point(*_around(rng)) for _ in range(REQUESTS)]
        base = search.SearchRequest(category="cleaning", city=CITY, district=DISTRICT, limit=20)
        calendar.free_slots(worker_id, service_id, days[0])  # warm the service cache and the JVM
        for point in points[:10]:
            search.search_workers(replace(base, sort="distance", point=point))
        plans: list[tuple[str, str, list[Callable[[], object]]]] = [
            (
                "slots, travel from an address",
                "slots",
                [
                    partial(
                        calendar.free_slots,
                        worker_id,
                        service_id,
                        day,
                        caller_id=customer_id,
                        address_id=address_id,
                    )
                    for day in days
                ],
            ),
            (
                "slots, minimum buffer",
                "slots",
                [partial(calendar.free_slots, worker_id, service_id, day) for day in days],
            ),
            ("search by rating", "search", [partial(search.search_workers, base)] * REQUESTS),
            (
                "search by rating, one date",
                "search",
                [partial(search.search_workers, replace(base, day=day)) for day in days],
            ),
            (
                "search by distance",
                "search",
                [
                    partial(search.search_workers, replace(base, sort="distance", point=point))
                    for point in points
                ],
            ),
            (
                "search recommended, from a point",
                "search",
                [
                    partial(search.search_workers, replace(base, sort="recommended", point=point))
                    for point in points
                ],
            ),
        ]
        rows = [_measure(meter, name, kind, calls) for name, kind, calls in plans]
        print(
            f"slots and search on DynamoDB Local: 1 worker x {DAYS} days x {len(JOBS)} jobs, "
            f"{WORKERS} workers ({entries} index entries) in one district, seeded in {seeded:.0f} s; "
            f"{REQUESTS} requests each"
        )
        ok = _print(rows)
        exact = sum(
            [card.worker_id for card in search.search_workers(replace(base, sort="distance", point=point))[0]]
            == _nearest(homes, point, base.limit)
            for point in points
        )
        print(
            f"distance order: first page identical to a brute-force nearest-{base.limit} in {exact}/{REQUESTS}"
        )
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
