"""``make run``'s API under concurrent clients, as the deployed API would answer them.

Each test talks real HTTP to the local stack's ``chalice local`` (started by the same launcher as
``make run``): simultaneous connections are all accepted and answered, each log line names its
own request, every answer carries ``X-Content-Type-Options``, and a seeded admin on a
special-use domain signs in.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from local.stack import REPO_ROOT, LocalStack
from tests.e2e.accounts import bearer, error_code, unique_phone
from tests.e2e.scenes import connect, run_scene

_USERS = """
users = []
for index in range(count):
    customer = user("customer", f"并发{index}")
    users.append({"user_id": customer.user_id, "token": open_session(customer.user_id, "customer").access_token})
print(json.dumps({"users": users}))
"""


def _listen_backlog(port: int) -> int:
    """The listening socket's backlog as the kernel reports it (``ss``'s Send-Q of a LISTEN row)."""
    rows = subprocess.run(
        ["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(rows[2])  # State, Recv-Q, Send-Q, …


def test_the_api_listens_with_room_for_256_connections(stack: LocalStack) -> None:
    assert _listen_backlog(stack.api_port) >= 256


def test_128_simultaneous_posts_all_get_an_answer(stack: LocalStack) -> None:
    clients = 128
    barrier = threading.Barrier(clients)

    def sign_in(_: int) -> int | str:
        with httpx.Client(base_url=stack.base_url, timeout=120) as own:
            barrier.wait(timeout=60)  # connect and POST at once: the burst the issue saw
            try:
                return own.post(
                    "/v1/auth/login", json={"phone": unique_phone(), "code": "000000"}
                ).status_code
            except httpx.TransportError as error:
                return repr(error)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        outcomes = Counter(pool.map(sign_in, range(clients)))
    print(
        f"\n{clients} simultaneous POST /v1/auth/login: {dict(outcomes)} in {time.monotonic() - started:.1f} s"
    )
    assert outcomes == {401: clients}


def test_256_simultaneous_connections_are_all_answered(stack: LocalStack) -> None:
    """Open 256 connections before the first request is read, then ask on every one."""
    sockets = [socket.create_connection(("127.0.0.1", stack.api_port), timeout=60) for _ in range(256)]
    try:
        request = f"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:{stack.api_port}\r\nConnection: close\r\n\r\n"
        for sock in sockets:
            sock.sendall(request.encode())
        status_lines = Counter(_read_all(sock).split(b"\r\n", 1)[0].split(b" ", 2)[1] for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
    assert status_lines == {b"200": 256}


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _log_lines(stack: LocalStack, request_ids: set[str], timeout: float = 15) -> list[dict[str, Any]]:
    """The API's JSON log lines of ``request_ids`` once each has its closing ``request`` line."""
    deadline = time.monotonic() + timeout
    while True:
        lines = []
        for raw in (stack.log_dir / "api.log").read_text(encoding="utf-8").splitlines():
            if raw.startswith("{"):
                line = json.loads(raw)
                if line.get("request_id") in request_ids:
                    lines.append(line)
        closed = {line["request_id"] for line in lines if line.get("message") == "request"}
        if closed == request_ids or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


def test_each_log_line_of_concurrent_requests_names_its_own_request(stack: LocalStack) -> None:
    users = run_scene(stack, _USERS, 32)["users"]
    barrier = threading.Barrier(len(users))

    def me(user: dict[str, str]) -> httpx.Response:
        with httpx.Client(base_url=stack.base_url, timeout=60) as own:
            connect(own)
            barrier.wait(timeout=60)
            return own.get("/v1/me", headers=bearer(user["token"]))

    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        answers = list(pool.map(me, users))
    assert [answer.status_code for answer in answers] == [200] * len(users)
    user_of_request = {answer.headers["x-request-id"]: answer.json()["user_id"] for answer in answers}
    assert len(user_of_request) == len(users)

    lines = _log_lines(stack, set(user_of_request))
    request_lines = [line for line in lines if line["message"] == "request"]
    assert sorted(line["request_id"] for line in request_lines) == sorted(user_of_request)
    for line in request_lines:
        assert line["user_id"] == user_of_request[line["request_id"]], line
        assert line["route"] == "GET /v1/me", line
    # the Lambda context's id too: one invocation per request, never shared between two
    invocations = Counter(line["function_request_id"] for line in request_lines)
    assert set(invocations.values()) == {1}


def test_every_answer_says_nosniff(stack: LocalStack, http: httpx.Client) -> None:
    [user] = run_scene(stack, _USERS, 1)["users"]
    answers = {
        "200": http.get("/v1/health"),
        "400": http.post(
            "/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
        ),
        "401": http.get("/v1/me"),
        "403": http.get("/v1/admin/orders", headers=bearer(user["token"])),
        "404": http.get("/v1/orders/ord_unknown", headers=bearer(user["token"])),
        "422": http.post("/v1/auth/login", json={"email": "no-at-sign", "password": "x"}),
        "204": http.post("/v1/auth/logout", headers=bearer(user["token"])),
    }
    assert {status: str(answer.status_code) for status, answer in answers.items()} == {
        status: status for status in answers
    }
    assert {status: answer.headers.get("x-content-type-options") for status, answer in answers.items()} == {
        status: "nosniff" for status in answers
    }


def test_a_seeded_admin_on_a_special_use_domain_signs_in(stack: LocalStack, http: httpx.Client) -> None:
    email = f"admin.{time.time_ns()}@Example.TEST"
    seeded = subprocess.run(
        [
            sys.executable,
            "-c",
            "from local.seed import admin_account, seed_account; print(seed_account(admin_account()))",
        ],
        cwd=REPO_ROOT,
        env={**stack.env, "ADMIN_EMAIL": email, "ADMIN_PASSWORD": "Seeded-admin-2026"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr
    assert "(created)" in seeded.stdout

    for spelling in (email, email.lower(), f"  {email.upper()} "):
        signed_in = http.post("/v1/auth/login", json={"email": spelling, "password": "Seeded-admin-2026"})
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["user"]["role"] == "admin"
    # a code to sign in with goes to the address the platform holds
    assert (
        http.post(
            "/v1/auth/codes", json={"channel": "email", "target": email, "purpose": "login"}
        ).status_code
        == 202
    )
    # a new account still needs an address mail can reach
    refused = http.post(
        "/v1/auth/codes", json={"channel": "email", "target": "new@example.test", "purpose": "register"}
    )
    assert refused.status_code == 422 and error_code(refused) == "validation_failed", refused.text
