"""Races on the accounts endpoints, against DynamoDB Local over real HTTP.

Each test fires its requests at once from a thread pool, one httpx client per request, after a
barrier so they leave together. ``chalice local`` serves each request on its own thread; whether
the requests overlap in the app or get serialised somewhere, the outcome must be the same.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from local.aws import client
from local.stack import REPO_ROOT, LocalStack
from tests.e2e.accounts import (
    PASSWORD,
    bearer,
    clock_restored,
    error_code,
    read_code,
    register,
    request_code,
    unique_phone,
)

RACERS = 8


def _race(
    stack: LocalStack, count: int, call: Callable[[httpx.Client, int], httpx.Response]
) -> list[httpx.Response]:
    """Run ``call(client, index)`` ``count`` times at once, each on its own client and thread."""
    start = threading.Barrier(count)

    def one(index: int) -> httpx.Response:
        with httpx.Client(base_url=stack.base_url, timeout=60) as http:
            http.get("/v1/health")  # connect first, so the barrier releases requests, not handshakes
            start.wait(timeout=30)
            return call(http, index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def _statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


def _describe(responses: list[httpx.Response]) -> str:
    return "; ".join(f"{response.status_code} {response.text[:160]}" for response in responses)


def _blind_index(stack: LocalStack, kind: str, value: str) -> str:
    """The identifier's blind index, computed by the app's own code with the stack's secrets."""
    program = (
        "import sys; from chalicelib.accounts.targets import Target; "
        "print(Target(sys.argv[1], sys.argv[2]).blind)"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, kind, value],
        cwd=REPO_ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def _main_table_items(stack: LocalStack, **scan: Any) -> list[dict[str, Any]]:
    ddb = client("dynamodb", stack.env)
    items: list[dict[str, Any]] = []
    for page in ddb.get_paginator("scan").paginate(
        TableName=stack.env["TABLE_NAME"], ConsistentRead=True, **scan
    ):
        items += page["Items"]
    return items


def test_concurrent_registrations_of_one_phone_create_exactly_one_account(
    stack: LocalStack, http: httpx.Client
) -> None:
    phone = unique_phone()
    code = request_code(http, phone)
    names = [f"抢注{index}" for index in range(RACERS)]
    passwords = [f"racer{index}-pass" for index in range(RACERS)]

    responses = _race(
        stack,
        RACERS,
        lambda racer, index: racer.post(
            "/v1/auth/register",
            json={
                "phone": phone,
                "code": code,
                "password": passwords[index],
                "name": names[index],
                "role": "customer",
            },
        ),
    )

    statuses = _statuses(responses)
    assert statuses[201] == 1, _describe(responses)
    assert set(statuses) <= {201, 409, 422}, _describe(responses)
    for response in responses:
        if response.status_code == 409:
            assert error_code(response) == "already_registered"
        elif response.status_code == 422:
            assert error_code(response) in ("validation_failed", "invalid_code"), response.text
    winner_index = next(index for index, response in enumerate(responses) if response.status_code == 201)
    winner = responses[winner_index].json()
    user_id = winner["user"]["user_id"]

    # Only the winner's password signs in, and it names the winner's account (three losers are
    # enough: five failures would lock the number).
    for index in [i for i in range(RACERS) if i != winner_index][:3]:
        refused = http.post("/v1/auth/login", json={"phone": phone, "password": passwords[index]})
        assert refused.status_code == 401, refused.text
    signed_in = http.post("/v1/auth/login", json={"phone": phone, "password": passwords[winner_index]})
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["user_id"] == user_id
    me = http.get("/v1/me", headers=bearer(winner["access_token"]))
    assert me.status_code == 200, me.text
    assert (me.json()["user_id"], me.json()["name"], me.json()["phone"]) == (
        user_id,
        names[winner_index],
        f"+86{phone}",
    )

    # In the table: one identity item for the number, pointing at the winner, and no user item
    # left behind by a loser.
    blind = _blind_index(stack, "phone", f"+86{phone}")
    identity = client("dynamodb", stack.env).get_item(
        TableName=stack.env["TABLE_NAME"],
        Key={"pk": {"S": f"IDENT#phone#{blind}"}, "sk": {"S": "IDENT"}},
        ConsistentRead=True,
    )
    assert identity["Item"]["user_id"]["S"] == user_id
    identities = _main_table_items(
        stack,
        FilterExpression="begins_with(pk, :ident) AND user_id = :user",
        ExpressionAttributeValues={":ident": {"S": "IDENT#"}, ":user": {"S": user_id}},
    )
    assert len(identities) == 1
    users = _main_table_items(
        stack,
        FilterExpression="sk = :profile AND #name IN (" + ", ".join(f":n{i}" for i in range(RACERS)) + ")",
        ExpressionAttributeNames={"#name": "name"},
        ExpressionAttributeValues={":profile": {"S": "PROFILE"}}
        | {f":n{index}": {"S": name} for index, name in enumerate(names)},
    )
    assert [item["user_id"]["S"] for item in users] == [user_id]


def test_concurrent_refreshes_with_one_token_let_one_win_then_revoke_the_family(
    stack: LocalStack, http: httpx.Client
) -> None:
    account = register(http)
    other_session = http.post("/v1/auth/login", json={"phone": account.phone, "password": PASSWORD})
    assert other_session.status_code == 200, other_session.text

    responses = _race(
        stack,
        RACERS,
        lambda racer, _: racer.post("/v1/auth/refresh", json={"refresh_token": account.refresh_token}),
    )

    statuses = _statuses(responses)
    assert statuses == Counter({200: 1, 401: RACERS - 1}), _describe(responses)
    assert all(error_code(r) == "invalid_refresh_token" for r in responses if r.status_code == 401)
    winner = next(response.json() for response in responses if response.status_code == 200)

    # The losers presented a token that was no longer current: a replay, so the family is revoked
    # and the winner's fresh tokens die with it.
    reused = http.post("/v1/auth/refresh", json={"refresh_token": winner["refresh_token"]})
    assert reused.status_code == 401, reused.text
    assert http.get("/v1/me", headers=bearer(winner["access_token"])).status_code == 401
    assert http.get("/v1/me", headers=account.headers).status_code == 401

    # Only that session: the user's other session lives on.
    assert http.get("/v1/me", headers=bearer(other_session.json()["access_token"])).status_code == 200
    other_refresh = http.post(
        "/v1/auth/refresh", json={"refresh_token": other_session.json()["refresh_token"]}
    )
    assert other_refresh.status_code == 200, other_refresh.text


def test_concurrent_sign_ins_with_the_right_password_all_succeed(
    stack: LocalStack, http: httpx.Client
) -> None:
    account = register(http)

    responses = _race(
        stack,
        RACERS,
        lambda racer, _: racer.post("/v1/auth/login", json={"phone": account.phone, "password": PASSWORD}),
    )

    assert _statuses(responses) == Counter({200: RACERS}), _describe(responses)
    bodies = [response.json() for response in responses]
    assert {body["user"]["user_id"] for body in bodies} == {account.user_id}
    assert len({body["refresh_token"] for body in bodies}) == RACERS  # one session each
    for body in bodies:
        me = http.get("/v1/me", headers=bearer(body["access_token"]))
        assert me.status_code == 200 and me.json()["user_id"] == account.user_id
    # Every session is whole: each refresh token rotates once.
    for body in bodies:
        rotated = http.post("/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
        assert rotated.status_code == 200, rotated.text


def test_concurrent_wrong_passwords_lock_the_account(stack: LocalStack, http: httpx.Client) -> None:
    account = register(http)
    attempts = 12

    responses = _race(
        stack,
        attempts,
        lambda racer, index: racer.post(
            "/v1/auth/login", json={"phone": account.phone, "password": f"wrong-{index}-pass"}
        ),
    )

    statuses = _statuses(responses)
    assert set(statuses) <= {401, 429}, _describe(responses)
    assert all(error_code(r) == "invalid_credentials" for r in responses if r.status_code == 401)
    assert all(error_code(r) == "account_locked" for r in responses if r.status_code == 429)

    locked = http.post("/v1/auth/login", json={"phone": account.phone, "password": PASSWORD})
    assert locked.status_code == 429, locked.text
    assert error_code(locked) == "account_locked"
    retry_after = int(locked.headers["Retry-After"])
    assert 0 < retry_after <= 15 * 60

    # The lock is on the identifier, not the session: a token already held keeps working.
    assert http.get("/v1/me", headers=account.headers).status_code == 200


def test_a_burst_of_code_requests_sends_one_code_and_spends_one_of_the_days_budget(
    stack: LocalStack, http: httpx.Client
) -> None:
    """Ten simultaneous taps on "send code": one SMS, nine 429s, and the phone can still get codes.

    Found by this suite: every request of the burst is counted against the target's 10-a-day
    budget before the one-a-minute check refuses it, so one burst uses up the whole day and the
    number cannot get a sign-in or reset code until midnight (see the report).
    """
    phone = unique_phone()
    body = {"channel": "sms", "target": phone, "purpose": "register"}

    responses = _race(stack, 10, lambda racer, _: racer.post("/v1/auth/codes", json=body))

    assert _statuses(responses) == Counter({202: 1, 429: 9}), _describe(responses)
    for response in responses:
        if response.status_code == 429:
            assert error_code(response) == "code_resend_too_soon"
            assert 0 < int(response.headers["Retry-After"]) <= 60
    code = read_code(http, phone)
    time.sleep(1)  # a second message, if one were queued, would be delivered by now
    outbox = http.get("/v1/dev/outbox", params={"target": phone}).json()["items"]
    assert len(outbox) == 1, outbox

    with clock_restored(stack):
        assert http.post("/v1/dev/clock", json={"advance_minutes": 2}).status_code == 200
        resent = http.post("/v1/auth/codes", json=body)
        login_code = http.post("/v1/auth/codes", json={**body, "purpose": "login"})
    assert resent.status_code == 202, resent.text
    assert login_code.status_code == 202, login_code.text
    assert code.isdigit()
