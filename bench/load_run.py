"""A bounded, self-stopping load run of mixed traffic against the local stack (loopback only).

Starts its own stack (DynamoDB Local, moto server, ``chalice local``, the event runner) on free
loopback ports, writes a scene (customers with an address, verified workers, one service, an
admin) and runs ``THREADS`` closed-loop clients for ``LOAD_SECONDS`` (default 300): each loop
browses the catalog, reads a worker's slots, books a slot with an ``Idempotency-Key``, pays it
(the local provider's signed webhook) and reads the order; every other paid order is then done
by its worker (accept, departed, arrived, started with the customer's check-in code, finished).
It stops by itself at the deadline.

Reported: requests, rate, error rate (5xx and transport failures; 409 slot taken and 429 are
expected answers, counted apart), p50/p99 per kind. Invariants afterwards, once the event side
has settled: every 201 booking is one order of its customer (none lost, none doubled), every paid
order reached the ledger and a sample balances, every order its worker finished is ``finished``.

Run: ``python -m bench.load_run`` (``make proof``); ``LOAD_SECONDS=30`` for a short look.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx

from local.procs import free_ports
from local.stack import LocalStack

SECONDS = float(os.environ.get("LOAD_SECONDS", "300"))
THREADS = int(os.environ.get("LOAD_THREADS", "8"))
CUSTOMERS = 80
WORKERS = 40

_SCENE = """
service_id = cleaning_service()
workers = []
for n in range(%(workers)d):
    worker = verified_worker(f"阿姨{n}")
    workers.append([worker.user_id, open_session(worker.user_id, "worker").access_token])
customers = []
for n in range(%(customers)d):
    who, address_id = customer_at_home(f"客户{n}")
    customers.append([who.user_id, open_session(who.user_id, "customer").access_token, address_id])
admin = user("admin", "压测管理员")
print(json.dumps({"service_id": service_id, "workers": workers, "customers": customers,
                  "admin": open_session(admin.user_id, "admin").access_token}))
"""


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.booked: dict[str, list[str]] = defaultdict(list)  # customer -> order ids answered 201
        self.paid: list[str] = []
        self.finished: list[str] = []
        self.settled: list[float] = []  # seconds from the customer's read to the order showing paid

    def record(self, kind: str, seconds: float, status: int | str) -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            self.status[f"{kind} {status}"] += 1
            refused = isinstance(status, str) and status[:3] in ("409", "429")
            if not refused and (not isinstance(status, int) or status >= 500):
                self.errors[f"{kind} {status}"] += 1


def _call(http: httpx.Client, tally: Tally, kind: str, method: str, path: str, **options: Any) -> Any:
    began = time.perf_counter()
    try:
        response = http.request(method, path, **options)
    except httpx.HTTPError as error:
        tally.record(kind, time.perf_counter() - began, type(error).__name__)
        return None
    status: int | str = response.status_code
    if response.status_code in (409, 429):  # expected refusals: counted by their code
        status = f"{response.status_code} {response.json().get('error', {}).get('code')}"
    tally.record(kind, time.perf_counter() - began, status)
    return response


def _client_loop(base: str, scene: dict[str, Any], tally: Tally, deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    day0 = (time.time() // 86400) * 86400
    with httpx.Client(base_url=base, timeout=30) as http:
        number = 0
        while time.monotonic() < deadline:
            number += 1
            customer_id, token, address_id = rng.choice(scene["customers"])
            auth = {"Authorization": f"Bearer {token}"}
            worker_id, worker_token = rng.choice(scene["workers"])
            day = time.strftime("%Y-%m-%d", time.gmtime(day0 + 86400 * rng.randint(2, 20)))
            _call(http, tally, "browse", "GET", "/v1/services")
            _call(
                http,
                tally,
                "slots",
                "GET",
                f"/v1/workers/{worker_id}/slots",
                params={"service_id": scene["service_id"], "date": day},
            )
            start = f"{day}T{rng.choice(['08:00', '10:30', '13:00', '15:30'])}:00+08:00"
            body = {
                "service_id": scene["service_id"],
                "address_id": address_id,
                "start_at": start,
                "worker_id": worker_id,
            }
            key = f"load-{seed}-{number}"
            made = _call(
                http, tally, "book", "POST", "/v1/orders", json=body, headers={**auth, "Idempotency-Key": key}
            )
            if made is None or made.status_code != 201:
                continue
            order_id = made.json()["order_id"]
            with tally.lock:
                tally.booked[customer_id].append(order_id)
            paying = _call(
                http,
                tally,
                "pay",
                "POST",
                f"/v1/orders/{order_id}/pay",
                json={"method": "card"},
                headers={**auth, "Idempotency-Key": f"pay-{order_id}"},
            )
            if paying is not None and paying.status_code == 201:
                payment_id = paying.json()["payment_id"]
                done = _call(
                    http,
                    tally,
                    "pay",
                    "POST",
                    f"/v1/dev/payments/{payment_id}/complete",
                    json={"outcome": "succeeded"},
                )
                if done is not None and done.status_code == 202:
                    with tally.lock:
                        tally.paid.append(order_id)
            shown = _call(http, tally, "order", "GET", f"/v1/orders/{order_id}", headers=auth)
            if shown is not None and shown.status_code == 200 and number % 2 == 0:
                _progress(http, tally, order_id, shown.json(), auth, worker_token)


def _progress(
    http: httpx.Client, tally: Tally, order_id: str, order: dict[str, Any], auth: dict[str, str], token: str
) -> None:
    """The chosen worker does the job: accept once the payment has landed, then each progress event."""
    worker = {"Authorization": f"Bearer {token}"}
    waited = time.perf_counter()
    for _ in range(120):  # the payment's event reaches the order through the event side
        if order.get("status") == "paid":
            with tally.lock:
                tally.settled.append(time.perf_counter() - waited)
            break
        time.sleep(0.25)
        shown = _call(http, tally, "order", "GET", f"/v1/orders/{order_id}", headers=auth)
        if shown is None or shown.status_code != 200:
            return
        order = shown.json()
    accepted = _call(http, tally, "progress", "POST", f"/v1/worker/orders/{order_id}/accept", headers=worker)
    if accepted is None or accepted.status_code != 200:
        return
    for event in ("departed", "arrived", "started", "finished"):
        body: dict[str, Any] = {"event": event}
        if event == "started":
            body["check_in_code"] = order["check_in_code"]
        step = _call(
            http,
            tally,
            "progress",
            "POST",
            f"/v1/worker/orders/{order_id}/progress",
            json=body,
            headers=worker,
        )
        if step is None or step.status_code != 200:
            return
    with tally.lock:
        tally.finished.append(order_id)


def _check(base: str, scene: dict[str, Any], tally: Tally) -> list[str]:
    problems = []
    tokens = {c[0]: c[1] for c in scene["customers"]}
    admin = {"Authorization": f"Bearer {scene['admin']}"}
    with httpx.Client(base_url=base, timeout=30) as http:
        deadline = time.monotonic() + 120
        pending = set(tally.paid)
        while pending and time.monotonic() < deadline:  # the event side settles the payments
            for order_id in list(pending):
                answer = http.get(f"/v1/admin/orders/{order_id}/ledger", headers=admin)
                if answer.status_code == 200 and answer.json()["entries"]:
                    pending.discard(order_id)
            time.sleep(1)
        if pending:
            problems.append(f"{len(pending)} paid orders never reached the ledger")
        for customer_id, ids in tally.booked.items():
            listed, cursor = [], None
            while True:
                answer = http.get(
                    "/v1/orders",
                    params={"limit": 100, **({"cursor": cursor} if cursor else {})},
                    headers={"Authorization": f"Bearer {tokens[customer_id]}"},
                )
                listed += [o["order_id"] for o in answer.json()["items"]]
                cursor = answer.json().get("next_cursor")
                if not cursor:
                    break
            if sorted(listed) != sorted(ids):
                problems.append(f"{customer_id}: booked {len(ids)} answered 201, {len(listed)} orders exist")
        for order_id in tally.finished:
            owner = next(c for c, ids in tally.booked.items() if order_id in ids)
            status = http.get(
                f"/v1/orders/{order_id}", headers={"Authorization": f"Bearer {tokens[owner]}"}
            ).json()["status"]
            if status != "finished":
                problems.append(f"{order_id}: finished by its worker, shown {status}")
        for order_id in rng_sample(tally.paid, 40):
            ledger = http.get(f"/v1/admin/orders/{order_id}/ledger", headers=admin).json()
            if ledger["balance"] != 0 or sum(e["amount"] for e in ledger["entries"]) != 0:
                problems.append(f"{order_id}: ledger does not balance")
    return problems


def rng_sample(items: list[str], count: int) -> list[str]:
    return random.Random(7).sample(items, min(count, len(items)))


def main() -> int:
    from tests.e2e.scenes import run_scene

    with tempfile.TemporaryDirectory(prefix="load-run-") as temp:
        api, ddb, moto = free_ports(3)
        stack = LocalStack(
            Path(temp), api_port=api, ddb_port=ddb, moto_port=moto, seed=False, autoreload=False
        )
        with stack:
            scene = run_scene(stack, _SCENE % {"workers": WORKERS, "customers": CUSTOMERS}, 1)
            tally = Tally()
            began = time.monotonic()
            deadline = began + SECONDS
            threads = [
                threading.Thread(target=_client_loop, args=(stack.base_url, scene, tally, deadline, seed))
                for seed in range(THREADS)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=SECONDS + 120)
            spent = time.monotonic() - began
            problems = _check(stack.base_url, scene, tally)
    total = sum(len(v) for v in tally.latency.values())
    errors = sum(tally.errors.values())
    print(
        f"load run: {THREADS} clients for {spent:.0f} s on the local stack: {total} requests, {total / spent:.1f}/s"
    )
    print(f"errors (5xx, transport): {errors} = {errors / max(total, 1):.3%}  {dict(tally.errors)}")
    print(f"{'kind':<8} {'count':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for kind, values in sorted(tally.latency.items()):
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        print(f"{kind:<8} {len(values):>6} {statistics.median(values) * 1000:>8.0f} {p99 * 1000:>8.0f}")
    print("answers:", json.dumps(dict(sorted(tally.status.items())), ensure_ascii=False))
    if tally.settled:
        ordered = sorted(tally.settled)
        print(
            f"payment to paid order (event side, seen by polling): p50 {statistics.median(ordered):.1f} s, "
            f"max {ordered[-1]:.1f} s over {len(ordered)} orders"
        )
    booked = sum(len(v) for v in tally.booked.values())
    print(
        f"booked {booked}, paid {len(tally.paid)}, done by the worker {len(tally.finished)}; invariants: "
        + ("held" if not problems else "; ".join(problems[:5]))
    )
    return 0 if not problems and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
