"""Our own time per request and AWS round trips of the hot endpoints, against the design minimum.

The app runs in process on moto (as the integration tests do) and is invoked as Lambda invokes
it: ``app(event, context)`` with the API Gateway proxy event built beforehand (by Chalice's own
event converter, plus the ``requestId`` API Gateway gives every request), so the test client's
gateway emulation is not counted. For each hot endpoint, ``REQUESTS`` calls are timed; the time
inside AWS SDK calls is measured around botocore's ``_make_api_call`` (the SDK's own building,
signing and parsing included) and the HTTP round trips are counted at ``before-send``. Our own
time is a request's CPU time (this thread's, so other
processes on the machine do not inflate it) minus its AWS time: routing, validation, the use
case, serialising. The garbage collector runs between requests, not inside them: in-process moto
keeps the whole database on the same heap, and its collections would otherwise be charged to
whatever code allocates next. Targets: own time at most 2 ms at the median; round trips equal to
the design minimum (``MINIMUM``, each with its reason).

Run: ``python -m bench.hot_endpoints`` (``make bench``).
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
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


_meter = _Meter()


def _install() -> None:
    """Time every AWS SDK call and count its HTTP round trips.

    The AWS time of a call is the whole client call (botocore's ``_make_api_call``, which every
    boto3 and pynamodb call goes through): the SDK's own work (building, signing and sending the
    request, retrying, parsing the answer) is the call's, not ours. Round trips are counted at
    ``before-send``, so a retried call counts each attempt.
    """
    from botocore.client import BaseClient
    from botocore.session import Session

    make_api_call = BaseClient._make_api_call
    create_client = Session.create_client

    def timed(self: Any, operation_name: str, api_params: Any) -> Any:
        started = time.thread_time()
        try:
            return make_api_call(self, operation_name, api_params)
        finally:
            if _meter.on:
                _meter.aws_seconds += time.thread_time() - started

    def sent(**_: Any) -> None:
        if _meter.on:
            _meter.trips += 1

    def client(session: Any, *args: Any, **kwargs: Any) -> Any:
        made = create_client(session, *args, **kwargs)
        made.meta.events.register("before-send", sent)
        return made

    BaseClient._make_api_call = timed
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
        gc.collect()
        gc.disable()
        _meter.on, _meter.trips, _meter.aws_seconds = True, 0, 0.0
        began = time.thread_time()
        response = call()
        wall = time.thread_time() - began
        _meter.on = False
        gc.enable()
        assert response["statusCode"] < 300, (name, response)
        own.append((wall - _meter.aws_seconds) * 1000)
        trips.append(_meter.trips)
    return Row(name, statistics.median(own), statistics.median(trips))


def main() -> int:
    import tests.conftest  # noqa: F401  (the test environment: local stage, fake credentials, secrets)

    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    _install()
    import boto3
    from chalice.local import LambdaContext, LambdaEventConverter, RouteMatcher
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
        converter = LambdaEventConverter(RouteMatcher(list(app.routes)), app.api.binary_types)
        context = LambdaContext("api_handler", 1024, max_runtime_ms=30_000)

        def invoke(method: str, path: str, token: str | None = None, body: Any = None) -> Callable[[], Any]:
            """A request as API Gateway hands it to the function: the event is built before timing."""
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            raw = json.dumps(body).encode() if body is not None else b""
            event = converter.create_lambda_event(method=method, path=path, headers=headers, body=raw)
            event["requestContext"]["requestId"] = str(uuid.uuid4())  # API Gateway's, which Chalice's lacks
            return lambda: app(event, context)

        def get(path: str, token: str | None = None) -> Callable[[], Any]:
            return invoke("GET", path, token)

        customer_id, token = steps.account("customer")
        address_id = steps.address(customer_id, *steps.PEOPLES_SQUARE)
        start = steps.at(steps.NOW.date() + timedelta(days=1), "10:00")
        body = {"service_id": service_id, "address_id": address_id, "start_at": start.isoformat()}
        first = invoke("POST", "/v1/orders", token, body)()
        order_id = json.loads(first["body"])["order_id"]
        people = [steps.account("customer") for _ in range(REQUESTS + 1)]
        bookings = iter(
            [
                invoke(
                    "POST",
                    "/v1/orders",
                    booker_token,
                    {
                        "service_id": service_id,
                        "address_id": steps.address(booker, *steps.PEOPLES_SQUARE),
                        "start_at": start.isoformat(),
                    },
                )
                for booker, booker_token in people
            ]
        )

        def book() -> Any:
            return next(bookings)()

        rows = [
            _measure("GET /v1/services", get("/v1/services")),
            _measure("GET /v1/workers/{id}", get(f"/v1/workers/{worker_id}")),
            _measure(
                "GET /v1/workers/{id}/slots",
                get(f"/v1/workers/{worker_id}/slots?service_id={service_id}&date={day}"),
            ),
            _measure("GET /v1/orders/{id}", get(f"/v1/orders/{order_id}", token)),
            _measure("GET /v1/orders", get("/v1/orders", token)),
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
