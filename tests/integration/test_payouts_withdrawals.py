"""Payout accounts and withdrawals: every bad input of the contract, idempotency, review, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import clock
from chalicelib.audit import AuditItem
from chalicelib.models.payouts import PayoutAccountItem
from chalicelib.payouts import withdrawals
from chalicelib.payouts.rules import payout_rules
from tests.integration.conftest import Http
from tests.integration.payout_steps import (
    CARD,
    NET,
    NOW,
    add_card,
    admin_token,
    assert_balances_match_ledger,
    available_worker,
    completed_order,
    earnings,
    token_of,
    withdraw,
    worker_with_token,
)
from tests.integration.scheduling_steps import account


@pytest.fixture(autouse=True)
def frozen(aws: dict[str, str]) -> None:
    clock.freeze(NOW)


def audit_actions(target_id: str) -> list[str]:
    month = AuditItem.query(f"AUDIT#{clock.now():%Y-%m}")
    return [item.action for item in month if item.target_id == target_id]


def test_a_bank_card_is_luhn_checked_encrypted_and_shown_masked(http: Http) -> None:
    worker_id, token = worker_with_token()
    assert (
        http.call("GET", "/v1/worker/payout-account", token=token).json["error"]["code"]
        == "no_payout_account"
    )

    bad = add_card(http, token, "6222021234567890129")  # last digit off: fails Luhn
    assert (bad.status_code, bad.json["error"]["code"]) == (422, "invalid_account_number")
    assert add_card(http, token, "62220212345abc").status_code == 422

    answer = add_card(http, token, "6222 0212 3456 7890 128")
    assert answer.status_code == 200, answer.json
    assert answer.json["account_number"] == "**** 0128"
    assert answer.json["hold_until"] is None  # the first account takes effect at once
    stored = PayoutAccountItem.get(*PayoutAccountItem.key(worker_id))
    assert CARD not in str(stored.attribute_values)  # only the KMS ciphertext and the mask
    assert http.call("GET", "/v1/worker/payout-account", token=token).json["account_number"] == "**** 0128"
    assert audit_actions(worker_id) == ["payout_account.set"]

    changed = http.call("PUT", "/v1/worker/payout-account", {"type": "stripe_connect"}, token=token)
    assert changed.status_code == 200
    assert changed.json["onboarding_url"].startswith("https://")
    assert changed.json["hold_until"] is not None  # a change holds withdrawals 24 h
    assert sorted(audit_actions(worker_id)) == ["payout_account.change", "payout_account.set"]


@pytest.mark.parametrize(
    ("amount", "status", "code"),
    [
        (0, 422, "validation_failed"),
        (-100, 422, "validation_failed"),
        (150.5, 422, "validation_failed"),
        ("100", 422, "validation_failed"),
        (9_999, 422, "below_minimum"),
        (NET + 1, 409, "insufficient_balance"),
    ],
)
def test_bad_amounts(http: Http, amount: object, status: int, code: str) -> None:
    _, token = available_worker(http)
    answer = withdraw(http, token, amount)
    assert (answer.status_code, answer.json["error"]["code"]) == (status, code)


def test_no_account_hold_and_daily_cap(http: Http, monkeypatch: pytest.MonkeyPatch) -> None:
    worker_id, token = worker_with_token()
    for _ in range(2):
        completed_order(worker_id, at=NOW - timedelta(days=3))
    assert withdraw(http, token, 10_000).json["error"]["code"] == "no_payout_account"

    add_card(http, token)
    http.call("PUT", "/v1/worker/payout-account", {"type": "stripe_connect"}, token=token)
    held = withdraw(http, token, 10_000)
    assert (held.status_code, held.json["error"]["code"]) == (409, "payout_account_on_hold")

    clock.freeze(NOW + timedelta(hours=24, minutes=1))
    token = token_of(worker_id)
    capped = type(payout_rules())(daily_cap=25_000)
    monkeypatch.setattr(withdrawals, "payout_rules", lambda: capped)
    assert withdraw(http, token, 10_000).status_code == 201
    over = withdraw(http, token, 16_000)  # 26,000 asked today: above the 25,000 cap
    assert (over.status_code, over.json["error"]["code"]) == (409, "daily_cap_exceeded")
    assert withdraw(http, token, 26_000).json["error"]["code"] == "daily_cap_exceeded"
    assert withdraw(http, token, 15_000).status_code == 201  # exactly the cap
    clock.freeze(NOW + timedelta(hours=48))  # another day: the cap starts again
    assert withdraw(http, token_of(worker_id), 10_000).json["error"]["code"] == "insufficient_balance"
    assert_balances_match_ledger()


def test_idempotency_key_replays_and_refuses_another_body(http: Http) -> None:
    _worker_id, token = available_worker(http)
    first = withdraw(http, token, 10_000, **{"Idempotency-Key": "wd-1"})
    assert first.status_code == 201
    assert (first.json["amount"], first.json["fee"], first.json["status"]) == (10_000, 0, "pending_review")
    again = withdraw(http, token, 10_000, **{"Idempotency-Key": "wd-1"})
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json == first.json
    other = withdraw(http, token, 12_000, **{"Idempotency-Key": "wd-1"})
    assert (other.status_code, other.json["error"]["code"]) == (422, "idempotency_key_reused")
    listed = http.call("GET", "/v1/worker/withdrawals", token=token).json["items"]
    assert [item["withdrawal_id"] for item in listed] == [first.json["withdrawal_id"]]
    body = earnings(http, token)
    assert (body["available"], body["in_withdrawal"]) == (NET - 10_000, 10_000)


def test_the_whole_balance_twice_one_wins_even_when_the_second_read_before_the_first_wrote(
    http: Http, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker_id, token = available_worker(http)
    real_commit = withdrawals._commit
    raced: list[int] = []

    def commit_after_a_rival(*args: object, **kwargs: object) -> object:
        if not raced:  # a rival request commits between our balance check and our transaction
            raced.append(1)
            real_commit(worker_id, NET, withdrawals.load_account(worker_id), None)  # type: ignore[arg-type]
        return real_commit(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(withdrawals, "_commit", commit_after_a_rival)
    lost = withdraw(http, token, NET)
    assert (lost.status_code, lost.json["error"]["code"]) == (409, "insufficient_balance")
    balances = assert_balances_match_ledger()[worker_id]
    assert (balances["available"], balances["in_withdrawal"]) == (0, NET)


def test_roles_and_another_workers_withdrawal(http: Http) -> None:
    _worker_id, token = available_worker(http)
    created = withdraw(http, token, 10_000).json
    _other_id, other_token = worker_with_token()
    path = f"/v1/worker/withdrawals/{created['withdrawal_id']}"
    assert http.call("GET", path, token=token).status_code == 200
    assert http.call("GET", path, token=other_token).status_code == 404
    assert http.call("GET", "/v1/worker/withdrawals", token=other_token).json["items"] == []
    _, customer = account("customer")
    for method, route, body in (
        ("GET", "/v1/worker/earnings", None),
        ("GET", "/v1/worker/payout-account", None),
        ("POST", "/v1/worker/withdrawals", {"amount": 10_000}),
        ("GET", "/v1/worker/withdrawals", None),
        ("GET", "/v1/admin/withdrawals", None),
    ):
        assert http.call(method, route, body, token=customer).status_code == 403, route
    assert http.call("GET", "/v1/admin/withdrawals", token=token).status_code == 403
    assert (
        http.call(
            "POST", f"/v1/admin/withdrawals/{created['withdrawal_id']}/approve", {}, token=token
        ).status_code
        == 403
    )


def test_admin_approves_or_rejects_with_a_reason_audited_and_the_money_returns(http: Http) -> None:
    _worker_id, token = available_worker(http, orders=2)
    admin = admin_token()
    first = withdraw(http, token, 10_000).json["withdrawal_id"]
    second = withdraw(http, token, 12_000).json["withdrawal_id"]

    queue = http.call("GET", "/v1/admin/withdrawals?status=pending_review", token=admin).json["items"]
    assert [item["withdrawal_id"] for item in queue] == [first, second]

    approved = http.call("POST", f"/v1/admin/withdrawals/{first}/approve", {}, token=admin)
    assert (approved.status_code, approved.json["status"]) == (200, "approved")
    again = http.call("POST", f"/v1/admin/withdrawals/{first}/approve", {}, token=admin)
    assert (again.status_code, again.json["error"]["code"]) == (409, "invalid_status")

    no_reason = http.call("POST", f"/v1/admin/withdrawals/{second}/reject", {}, token=admin)
    assert no_reason.status_code == 422
    rejected = http.call(
        "POST", f"/v1/admin/withdrawals/{second}/reject", {"reason": "资料不符"}, token=admin
    )
    assert (rejected.json["status"], rejected.json["reason"]) == ("rejected", "资料不符")
    assert http.call("POST", "/v1/admin/withdrawals/wd_unknown/approve", {}, token=admin).status_code == 404

    body = earnings(http, token)
    assert (body["available"], body["in_withdrawal"]) == (2 * NET - 10_000, 10_000)
    assert audit_actions(first) == ["withdrawal.approve"]
    assert audit_actions(second) == ["withdrawal.reject"]
    kinds = [entry["kind"] for entry in http.call("GET", "/v1/me/notifications", token=token).json["items"]]
    assert "withdrawal_rejected" in kinds
    assert_balances_match_ledger()
