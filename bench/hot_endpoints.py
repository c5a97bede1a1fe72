"""Our own time per request and AWS round trips of the hot endpoints, against the design minimum.

The app runs in process on moto (as the integration tests do) behind Chalice's test client. For
each hot endpoint, ``REQUESTS`` calls are timed; botocore's events mark the time inside AWS calls
(``before-parameter-build`` to ``after-call``, their own serialising included) and count the HTTP
round trips (``before-send``). Our own time is a request's wall time minus its AWS time: routing,
validation, the use case, serialising. Targets: own time at most 2 ms at the median; round trips
equal to the design minimum (``MINIMUM``, each with its reason).

Run: ``python -m bench.hot_endpoints`` (``make bench``).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

REQUESTS = 60
TARGET_OWN_MS = 2.0

# endpoint -> (design minimum of AWS round trips, why)
MINIMUM: dict[str, tuple[int, str]] = {
    "GET /v1/services": (1, "one Query of the active catalog"),
    "GET /v1/workers/{id}": (1, "one GetItem of the public profile"),
    "GET /v1/workers/{id}/slots": (2, "profile GetItem + one calendar read of the days"),
    "GET /v1/orders/{id}": (2, "session GetItem (auth) + order GetItem"),
    "GET /v1/orders": (2, "session GetItem + one Query of the customer's orders"),
    "POST /v1/orders": (4, "session, rate window, one batched read, one TransactWriteItems"),
}


@dataclass
class _Meter:
    on: bool = False
    trips: int = 0
    aws_seconds: float = 0.0
    started: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


_meter = _Meter()


def _install() -> None:
    from botocore.session import Session

    create_client = Session.create_client

    def began(**_: Any) -> None:
        _meter.started = time.perf_counter()

    def sent(**_: Any) -> None:
        if _meter.on:
            _meter.trips += 1

    def ended(**_: Any) -> None:
        if _meter.on:
            _meter.aws_seconds += time.perf_counter() - _meter.started

    def client(session: Any, *args: Any, **kwargs: Any) -> Any:
        made = create_client(session, *args, **kwargs)
        made.meta.events.register("before-parameter-build", began)
        made.meta.events.register("before-send", sent)
        made.meta.events.register("after-call", ended)
        made.meta.events.register("after-call-error", ended)
        return made

    Session.create_client = client


@dataclass
class Row:
    name: str
    own_ms: float
    trips: float

    @property
    def minimum(self) -> int:
        return MINIMUM[self.name][0]


def _measure(name: str, call: Callable[[], Any]) -> Row:
    call()  # warm: the first call builds validators and clients
    own, trips = [], []
    for _ in range(REQUESTS):
        _meter.on, _meter.trips, _meter.aws_seconds = True, 0, 0.0
        began = time.perf_counter()
        response = call()
        wall = time.perf_counter() - began
        _meter.on = False
        assert response.status_code < 300, (name, response.status_code, response.body)
        own.append((wall - _meter.aws_seconds) * 1000)
        trips.append(_meter.trips)
    return Row(name, statistics.median(own), statistics.median(trips))


def main() -> int:
    import tests.conftest  # noqa: F401  (the test environment: local stage, fake credentials, secrets)

    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    _install()
    import boto3
    from chalice.test import Client
    from moto import mock_aws

    from chalicelib import clock, resources
    from local.provision import create_event_routes, create_queue, create_table

    with mock_aws():
        for table in resources.TABLES:
            create_table(boto3.client("dynamodb"), table)
        sqs = boto3.client("sqs")
        urls = {queue.name: create_queue(sqs, queue) for queue in resources.QUEUES}
        for queue in resources.QUEUES:
            os.environ[queue.env_var] = urls[queue.name]
        create_event_routes(boto3.client("events"), sqs, urls)
        os.environ[resources.EVENT_BUS_ENV_VAR] = "jiazheng-local-events"

        from app import app
        from chalicelib.scheduling.availability import set_availability
        from tests.integration import scheduling_steps as steps

        clock.freeze(steps.NOW)
        service_id = steps.service()
        worker_id = steps.worker()
        set_availability(worker_id, steps.every_day([["08:00", "20:00"]]), [])
        day = (steps.NOW + timedelta(days=1)).date().isoformat()
        with Client(app, stage_name="local") as client:

            def get(path: str, token: str | None = None) -> Any:
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                return client.http.get(path, headers=headers)

            customer_id, token = steps.account("customer")
            address_id = steps.address(customer_id, *steps.PEOPLES_SQUARE)
            start = steps.at(steps.NOW.date() + timedelta(days=1), "10:00")
            body = {"service_id": service_id, "address_id": address_id, "start_at": start.isoformat()}
            first = client.http.post(
                "/v1/orders",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                body=json.dumps(body),
            )
            order_id = json.loads(first.body)["order_id"]
            people = [steps.account("customer") for _ in range(REQUESTS + 1)]
            bookers = iter([(t, steps.address(u, *steps.PEOPLES_SQUARE)) for u, t in people])

            def book() -> Any:
                booker_token, booker_address = next(bookers)
                payload = {
                    "service_id": service_id,
                    "address_id": booker_address,
                    "start_at": start.isoformat(),
                }
                return client.http.post(
                    "/v1/orders",
                    headers={"Authorization": f"Bearer {booker_token}", "Content-Type": "application/json"},
                    body=json.dumps(payload),
                )

            rows = [
                _measure("GET /v1/services", lambda: get("/v1/services")),
                _measure("GET /v1/workers/{id}", lambda: get(f"/v1/workers/{worker_id}")),
                _measure(
                    "GET /v1/workers/{id}/slots",
                    lambda: get(f"/v1/workers/{worker_id}/slots?service_id={service_id}&date={day}"),
                ),
                _measure("GET /v1/orders/{id}", lambda: get(f"/v1/orders/{order_id}", token)),
                _measure("GET /v1/orders", lambda: get("/v1/orders", token)),
                _measure("POST /v1/orders", book),
            ]
    print(f"hot endpoints in process (moto), median of {REQUESTS} requests each")
    print(f"{'endpoint':<30} {'own ms':>7} {'target':>7} {'round trips':>12} {'minimum':>8} {'ratio':>6}")
    ok = True
    for row in rows:
        ratio = row.trips / row.minimum
        ok = ok and row.own_ms <= TARGET_OWN_MS
        print(
            f"{row.name:<30} {row.own_ms:>7.2f} {TARGET_OWN_MS:>7.1f} {row.trips:>12.0f} {row.minimum:>8} "
            f"{ratio:>5.1f}x  ({MINIMUM[row.name][1]})"
        )
    print("own time " + ("OK" if ok else "OVER the 2 ms target on some endpoint"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
