"""The payout run, run by moto's ASL interpreter in process with our real step code.

As in the cancellation saga's tests, moto executes the deployed ASL file and its simple Lambda
backend runs ``chalicelib.workflows.steps.handler``; retry pauses are recorded, not slept. The
payout provider is the local one, or a stand-in that injects the faults of the issue: a timeout
after the money went, 5xx, a refusal, a crash between the provider call and the ledger write.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
import pytest

from chalicelib import clock
from chalicelib.models.payouts import WithdrawalItem
from chalicelib.payouts import run
from chalicelib.payouts.providers import (
    LocalPayoutItem,
    LocalPayoutProvider,
    PayoutRejected,
    PayoutRequest,
    PayoutResult,
    PayoutUnavailable,
    use_payout_provider,
)
from chalicelib.workflows.alerts import OpsAlertItem
from tests.integration.conftest import Http
from tests.integration.payout_steps import (
    NET,
    NOW,
    admin_token,
    assert_balances_match_ledger,
    available_worker,
    earnings,
    token_of,
    withdraw,
)
from tests.integration.state_machines import executing

RUN_DATE = "2027-01-19"


@dataclass
class Runs:
    sfn: Any
    arn: str
    sleeps: list[float]

    def run(self, run_date: str = RUN_DATE, timeout: float = 60.0) -> dict[str, Any]:
        run.start(run_date)
        arn = f"{self.arn.replace(':stateMachine:', ':execution:')}:payout-{run_date}"
        deadline = time.monotonic() + timeout
        while (execution := self.sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, execution
            time.sleep(0.05)
        return dict(execution)

    def executions(self) -> int:
        return len(self.sfn.list_executions(stateMachineArn=self.arn)["executions"])


@pytest.fixture
def runs(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Runs]:
    with executing(run.WORKFLOW, monkeypatch) as (sfn, arn, sleeps):
        clock.freeze(NOW)
        yield Runs(sfn, arn, sleeps)
        use_payout_provider(None)


class FaultyProvider:
    """The local provider behind a script of faults: ``script(call number, request)`` may raise."""

    name = "local"

    def __init__(self, script: Callable[[int, PayoutRequest], None]) -> None:
        self.script = script
        self.calls: list[str] = []
        self.inner = LocalPayoutProvider()

    def pay(self, request: PayoutRequest) -> PayoutResult:
        self.calls.append(request.withdrawal_id)
        before = len(self.calls)
        self.script(before, request)
        return self.inner.pay(request)


def approved_withdrawal(http: Http, amount: int = 10_000) -> tuple[str, str]:
    """(worker id, withdrawal id) of an approved withdrawal."""
    worker_id, token = available_worker(http)
    withdrawal_id = withdraw(http, token, amount).json["withdrawal_id"]
    answer = http.call("POST", f"/v1/admin/withdrawals/{withdrawal_id}/approve", {}, token=admin_token())
    assert answer.status_code == 200, answer.json
    return worker_id, withdrawal_id


def status_of(withdrawal_id: str) -> str:
    return str(WithdrawalItem.get(*WithdrawalItem.key(withdrawal_id), consistent_read=True).status)


def texts_about(template: str, urls: dict[str, str]) -> list[str]:
    """The correlation ids (withdrawal ids) of the texts queued with ``template``."""
    sqs, found = boto3.client("sqs"), []
    while messages := sqs.receive_message(QueueUrl=urls["notifications"], MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        for message in messages:
            envelope = json.loads(message["Body"])
            if envelope["data"]["template"] == template:
                found.append(str(envelope["metadata"]["correlation_id"]))
            sqs.delete_message(QueueUrl=urls["notifications"], ReceiptHandle=message["ReceiptHandle"])
    return found


def payouts_made() -> int:
    return sum(1 for _ in LocalPayoutItem.scan(LocalPayoutItem.sk == "PAYOUT"))


def test_approved_withdrawals_are_paid_once_reported_and_a_second_start_is_a_no_op(
    runs: Runs, http: Http, aws: dict[str, str]
) -> None:
    paid = [approved_withdrawal(http) for _ in range(3)]
    _worker_id, pending_review = available_worker(http)
    waiting = withdraw(http, pending_review, 10_000).json["withdrawal_id"]

    execution = runs.run()
    assert execution["status"] == "SUCCEEDED", execution
    assert [status_of(w) for _, w in paid] == ["paid"] * 3
    assert status_of(waiting) == "pending_review"  # not approved: not paid
    assert payouts_made() == 3
    body = earnings(http, token_of(paid[0][0]))
    assert (body["withdrawn"], body["available"], body["in_withdrawal"]) == (10_000, NET - 10_000, 0)
    kinds = [
        e["kind"] for e in http.call("GET", "/v1/me/notifications", token=token_of(paid[0][0])).json["items"]
    ]
    assert "withdrawal_paid" in kinds
    assert sorted(texts_about("withdrawal_paid", aws)) == sorted(w for _, w in paid)  # one text each

    admin = admin_token()
    listed = http.call("GET", "/v1/admin/payout-runs", token=admin).json["items"]
    assert [(r["run_id"], r["run_date"], r["status"]) for r in listed] == [
        ("pr_20270119", RUN_DATE, "completed")
    ]
    assert listed[0]["totals"]["paid_count"] == 3 and listed[0]["totals"]["paid_amount"] == 30_000
    detail = http.call("GET", "/v1/admin/payout-runs/pr_20270119", token=admin).json
    assert sorted(p["withdrawal_id"] for p in detail["paid"]) == sorted(w for _, w in paid)
    assert detail["failed"] == [] and detail["skipped"] == []
    report = boto3.client("s3").get_object(
        Bucket="jiazheng-local-exports", Key=f"payouts/{RUN_DATE}/report.json"
    )
    assert json.loads(report["Body"].read())["totals"]["paid_count"] == 3
    assert http.call("GET", "/v1/admin/payout-runs/pr_20270230", token=admin).status_code == 404

    # The schedule firing again for the same date starts nothing; a run of the same date pays nothing twice.
    assert run.start_scheduled({"scheduled_time": "2027-01-18T18:00:00Z"}, None) == {"run_date": RUN_DATE}
    assert runs.executions() == 1
    assert run.begin(RUN_DATE)["done"] is True
    assert payouts_made() == 3
    assert texts_about("withdrawal_paid", aws) == []
    assert_balances_match_ledger()


def test_timeouts_after_success_and_5xx_are_retried_with_the_same_key_and_pay_once(
    runs: Runs, http: Http
) -> None:
    _, withdrawal_id = approved_withdrawal(http)

    def script(call: int, request: PayoutRequest) -> None:
        if call == 1:
            LocalPayoutProvider().pay(request)  # the money went ...
            raise PayoutUnavailable("read timeout")  # ... but the answer was lost
        if call == 2:
            raise PayoutUnavailable("502 bad gateway")

    provider = FaultyProvider(script)
    use_payout_provider(provider)
    execution = runs.run()

    assert execution["status"] == "SUCCEEDED", execution
    assert provider.calls == [withdrawal_id] * 3
    assert len(runs.sleeps) == 2  # two retries of the batch, with backoff
    assert status_of(withdrawal_id) == "paid"
    assert payouts_made() == 1  # one payout for one key
    assert_balances_match_ledger()


def test_a_crash_between_the_provider_call_and_the_ledger_write_never_pays_twice(
    runs: Runs, http: Http, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker_id, withdrawal_id = approved_withdrawal(http)
    real = run.book_paid
    crashes: list[int] = []

    def crash_once(*args: Any, **kwargs: Any) -> None:
        if not crashes:
            crashes.append(1)
            raise RuntimeError("Lambda timed out")  # after the provider call, before the transaction
        real(*args, **kwargs)

    monkeypatch.setattr(run, "book_paid", crash_once)
    provider = FaultyProvider(lambda call, request: None)
    use_payout_provider(provider)

    assert runs.run()["status"] == "SUCCEEDED"
    assert provider.calls == [withdrawal_id] * 2  # asked again with the persisted key
    assert payouts_made() == 1
    assert status_of(withdrawal_id) == "paid"
    assert assert_balances_match_ledger()[worker_id]["withdrawn"] == 10_000


def test_failures_end_failed_with_the_money_available_again_and_the_worker_told(
    runs: Runs, http: Http
) -> None:
    refused_worker, refused = approved_withdrawal(http)
    down_worker, down = approved_withdrawal(http)

    def script(call: int, request: PayoutRequest) -> None:
        if request.withdrawal_id == refused:
            raise PayoutRejected("account_closed")
        raise PayoutUnavailable("503")

    provider = FaultyProvider(script)
    use_payout_provider(provider)
    execution = runs.run()

    assert execution["status"] == "SUCCEEDED", execution
    assert (status_of(refused), status_of(down)) == ("failed", "failed")
    assert provider.calls.count(refused) == 1  # a refusal is not retried
    assert provider.calls.count(down) == 1 + 3 + 1  # first try, 3 batch retries, the last ask
    for worker_id in (refused_worker, down_worker):
        body = earnings(http, token_of(worker_id))
        assert (body["available"], body["in_withdrawal"], body["withdrawn"]) == (NET, 0, 0)
        kinds = [
            e["kind"]
            for e in http.call("GET", "/v1/me/notifications", token=token_of(worker_id)).json["items"]
        ]
        assert "withdrawal_failed" in kinds
    assert (
        OpsAlertItem.get(*OpsAlertItem.key("payout_failed", down)).details["reason"] == "provider_unavailable"
    )
    detail = http.call("GET", "/v1/admin/payout-runs/pr_20270119", token=admin_token()).json
    assert sorted(f["withdrawal_id"] for f in detail["failed"]) == sorted([refused, down])
    assert payouts_made() == 0
    assert_balances_match_ledger()


def test_an_account_changed_after_approval_is_skipped_and_stays_approved(runs: Runs, http: Http) -> None:
    worker_id, withdrawal_id = approved_withdrawal(http)
    http.call("PUT", "/v1/worker/payout-account", {"type": "stripe_connect"}, token=token_of(worker_id))

    assert runs.run()["status"] == "SUCCEEDED"
    assert status_of(withdrawal_id) == "approved"
    detail = http.call("GET", "/v1/admin/payout-runs/pr_20270119", token=admin_token()).json
    assert [s["withdrawal_id"] for s in detail["skipped"]] == [withdrawal_id]
    assert payouts_made() == 0

    clock.freeze(NOW + timedelta(days=1, hours=1))  # the hold is over: the next day's run pays it
    assert runs.run("2027-01-20")["status"] == "SUCCEEDED"
    assert status_of(withdrawal_id) == "paid"


def test_two_overlapping_runs_pay_each_withdrawal_once(runs: Runs, http: Http) -> None:
    ids = [approved_withdrawal(http)[1] for _ in range(4)]
    batches = run.begin(RUN_DATE)["batches"]
    other = run.begin("2027-01-20")["batches"]
    # both runs work through the same approved withdrawals, interleaved
    run.pay_batch(run.run_id_of(RUN_DATE), RUN_DATE, batches[0])
    run.pay_batch(run.run_id_of("2027-01-20"), "2027-01-20", other[0])
    assert [status_of(w) for w in ids] == ["paid"] * 4
    assert payouts_made() == 4
    assert_balances_match_ledger()


def test_mainland_cards_go_into_the_bank_file_and_the_imported_result_settles_them_once(
    runs: Runs, http: Http
) -> None:
    from chalicelib.payouts.providers import BankBatchProvider

    paid_worker, to_pay = approved_withdrawal(http)
    bounced_worker, to_bounce = approved_withdrawal(http, 12_000)
    use_payout_provider(BankBatchProvider())

    assert runs.run()["status"] == "SUCCEEDED"
    assert (status_of(to_pay), status_of(to_bounce)) == ("paying", "paying")  # shown as approved
    admin = admin_token()
    detail = http.call("GET", "/v1/admin/payout-runs/pr_20270119", token=admin).json
    assert detail["bank_file_key"] == f"payouts/{RUN_DATE}/bank-batch.csv"
    assert sorted(s["withdrawal_id"] for s in detail["submitted"]) == sorted([to_pay, to_bounce])
    body = boto3.client("s3").get_object(Bucket="jiazheng-local-exports", Key=detail["bank_file_key"])["Body"]
    rows = body.read().decode("utf-8-sig").splitlines()
    assert rows[0] == ",".join(run.BANK_FILE_COLUMNS)
    assert f"{to_pay},李秀英,招商银行,6222021234567890128,100.00,CNY," in rows[1] + rows[2]
    assert f"{to_bounce},李秀英,招商银行,6222021234567890128,120.00,CNY," in rows[1] + rows[2]

    result = {
        "lines": [
            {"withdrawal_id": to_pay, "status": "paid", "bank_reference": "CMB-0001"},
            {"withdrawal_id": to_bounce, "status": "failed", "reason": "户名不符"},
            {"withdrawal_id": "wd_not_in_this_run", "status": "paid"},
        ]
    }
    path = "/v1/admin/payout-runs/pr_20270119/bank-result"
    first = http.call("POST", path, result, token=admin)
    assert first.status_code == 200, first.json
    assert first.json == {"paid": 1, "failed": 1, "unchanged": 1}
    assert http.call("POST", path, result, token=admin).json == {"paid": 0, "failed": 0, "unchanged": 3}
    assert (status_of(to_pay), status_of(to_bounce)) == ("paid", "failed")
    assert earnings(http, token_of(paid_worker))["withdrawn"] == 10_000
    bounced = earnings(http, token_of(bounced_worker))
    assert (bounced["available"], bounced["withdrawn"]) == (NET, 0)
    assert (
        http.call("POST", "/v1/admin/payout-runs/pr_20990101/bank-result", result, token=admin).status_code
        == 404
    )
    assert http.call("POST", path, {"lines": []}, token=admin).status_code == 422
    assert_balances_match_ledger()


def test_dynamodb_throttling_in_a_step_is_retried_by_the_state_machine(
    runs: Runs, http: Http, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pynamodb.exceptions import UpdateError

    _, withdrawal_id = approved_withdrawal(http)
    real = run._claim
    throttled: list[int] = []

    def throttle_once(*args: Any, **kwargs: Any) -> Any:
        if not throttled:
            throttled.append(1)
            raise UpdateError(
                "ProvisionedThroughputExceededException: Rate of requests exceeds the allowed throughput"
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(run, "_claim", throttle_once)
    assert runs.run()["status"] == "SUCCEEDED"
    assert status_of(withdrawal_id) == "paid"
    assert len(runs.sleeps) == 1
    assert payouts_made() == 1
    assert_balances_match_ledger()


def test_reconciliation_finds_money_the_provider_sent_that_the_ledger_does_not_know(
    runs: Runs, http: Http
) -> None:
    from chalicelib.payouts.reconciliation import reconcile, run_scheduled

    _, paid = approved_withdrawal(http)
    _, lost = approved_withdrawal(http, 12_000)
    opened = run.begin(RUN_DATE)
    use_payout_provider(FaultyProvider(lambda call, request: None))
    [bounds] = opened["batches"]
    run.pay_batch(opened["run_id"], RUN_DATE, [bounds[0], bounds[0]])  # pays the first only
    day = NOW.date().isoformat()
    assert reconcile(day).mismatches == []
    assert run_scheduled({"scheduled_time": "2027-01-18T20:30:00Z"}, None) == {"day": day, "mismatches": 0}

    # the provider sends the second, but the answer never comes back and nothing is booked
    LocalPayoutProvider().pay(
        PayoutRequest(lost, "usr_x", 12_000, "CNY", lost, opened["run_id"], "bank_account")
    )
    result = reconcile(day)
    assert result.mismatches == [{"withdrawal_id": lost, "ledger": None, "provider": 12_000}]
    assert (result.ledger_total, result.provider_total) == (10_000, 22_000)
    alert = OpsAlertItem.get(*OpsAlertItem.key("payout_mismatch", day))
    assert alert.details["count"] == 1
    assert status_of(paid) == "paid"
