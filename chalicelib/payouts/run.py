"""The daily payout run: the steps of the ``payout-run`` workflow and how it is started.

``payout_run.asl.json``: Begin → Map over batches of approved withdrawals (bounded concurrency)
→ PayBatch (retried with backoff; after that FailBatch) → Finish. One execution per run date
(``payout-<yyyy-mm-dd>``), started by the daily 02:00 Asia/Shanghai schedule; a second start of
the same date starts nothing, and Begin answers ``done`` for a date whose run completed.

Per withdrawal, two DynamoDB round trips on the way to ``paid``:

1. the claim (UpdateItem, condition ``status in (approved, paying)``): ``paying``, the run, the
   provider and the idempotency key (the withdrawal id), persisted **before** the provider call;
2. the provider call with that key (a retry, a crash or another run repeating it gets the first
   payout back);
3. one TransactWriteItems: the ``payout`` ledger lines (not exists), the balance move,
   ``paid`` (condition ``paying``) and the worker's inbox entry.

The batch's withdrawals come from one Query and their accounts from one BatchGetItem. A
transient provider failure leaves the withdrawal ``paying`` and makes the batch raise
:class:`PayoutRetryLater` once its others are done, so the state machine retries it with
backoff; once the attempts are spent, FailBatch asks the provider one last time and then makes
it ``failed``: the money is ``available`` again and the worker is told (an ops alert names the
key, for the reconciliation). A refusal fails it at once. Every outcome is written on the
withdrawal (gsi3 ``PAYOUTRUN#<run id>`` / ``<outcome>#<id>``), from which Finish builds the
report (S3 ``payouts/<date>/report.json``) and the bank file for mainland cards.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import audit, clock
from chalicelib.audit import Actor
from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.errors import NotFound
from chalicelib.ids import stable_id
from chalicelib.models.accounts import NotificationItem, UserItem
from chalicelib.models.payouts import BankResultLineItem, PayoutAccountItem, PayoutRunItem, WithdrawalItem
from chalicelib.notifications.templates import render
from chalicelib.observability import logger, metrics
from chalicelib.orders.transactions import commit
from chalicelib.payments import ledger
from chalicelib.payments.ledger import Line
from chalicelib.payments.messages import yuan
from chalicelib.payouts.balance import withdrawal_partition
from chalicelib.payouts.notices import TEMPLATES, tell_worker, text_worker
from chalicelib.payouts.providers import (
    PayoutRejected,
    PayoutRequest,
    PayoutResult,
    PayoutUnavailable,
    provider_for,
)
from chalicelib.payouts.rules import payout_rules
from chalicelib.resources import WORKFLOWS, WorkflowSpec
from chalicelib.workflows.alerts import open_alert
from chalicelib.workflows.executions import execution_name, start_once

__all__ = [
    "WORKFLOW",
    "PayoutRetryLater",
    "begin",
    "fail_batch",
    "finish",
    "import_bank_result",
    "pay_batch",
    "run_id_of",
    "start",
    "start_scheduled",
]

assert TEMPLATES  # imported for its registration
WORKFLOW: WorkflowSpec = next(spec for spec in WORKFLOWS if spec.name == "payout-run")
APPROVED = WithdrawalItem.status_key("approved")
SUBMITTED = WithdrawalItem.status_key("submitted")
BANK_FILE_COLUMNS = (
    "withdrawal_id",
    "account_name",
    "bank_name",
    "account_number",
    "amount_yuan",
    "currency",
    "memo",
)


class PayoutRetryLater(Exception):
    """Some withdrawals of the batch met a transient provider failure: retry the batch later."""


def run_id_of(run_date: str) -> str:
    return f"pr_{run_date.replace('-', '')}"


def run_key(run_id: str) -> str:
    return f"PAYOUTRUN#{run_id}"


# -- start ------------------------------------------------------------------------------------


def start(run_date: str) -> None:
    """Start the run of ``run_date`` (``payout-<date>``); a second start of that date starts nothing."""
    start_once(WORKFLOW, execution_name("payout", run_date), {"run_date": run_date})


def start_scheduled(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The schedule's target: the run date is the Shanghai date of the scheduled time (else today)."""
    raw = str(event.get("scheduled_time") or "")
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(clock.SHANGHAI)
    except ValueError:
        at = clock.now()
    run_date = at.date().isoformat()
    start(run_date)
    return {"run_date": run_date}


# -- Begin --------------------------------------------------------------------------------------


def begin(run_date: str) -> dict[str, Any]:
    """Open the run (once) and cut the approved withdrawals into batches of gsi1 sort-key ranges."""
    run_id = run_id_of(run_date)
    now = clock.iso()
    item = PayoutRunItem(
        *PayoutRunItem.key(run_date),
        run_id=run_id,
        run_date=run_date,
        status="running",
        started_at=now,
        gsi1pk="PAYOUTRUNS",
        gsi1sk=run_date,
    )
    try:
        item.save(condition=PayoutRunItem.pk.does_not_exist())
    except PutError:
        existing = PayoutRunItem.get(*PayoutRunItem.key(run_date), consistent_read=True)
        if existing.status == "completed":
            return {"run_id": run_id, "run_date": run_date, "done": True, "batches": []}
    size = payout_rules().payout_batch_size
    keys = [
        str(found.gsi1sk)
        for found in WithdrawalItem.gsi1.query(APPROVED, attributes_to_get=["pk", "sk", "gsi1pk", "gsi1sk"])
    ]
    batches = [[chunk[0], chunk[-1]] for chunk in (keys[i : i + size] for i in range(0, len(keys), size))]
    logger.info("payout run begins", run_id=run_id, withdrawals=len(keys), batches=len(batches))
    return {"run_id": run_id, "run_date": run_date, "done": False, "batches": batches}


# -- PayBatch ---------------------------------------------------------------------------------


def _in_range(bounds: list[str]) -> list[WithdrawalItem]:
    low, high = bounds
    return list(WithdrawalItem.gsi1.query(APPROVED, WithdrawalItem.gsi1sk.between(low, high)))


def _accounts(items: list[WithdrawalItem]) -> dict[str, PayoutAccountItem]:
    keys = {PayoutAccountItem.key(item.worker_id) for item in items}
    return {account.worker_id: account for account in PayoutAccountItem.batch_get(list(keys))} if keys else {}


def _workers(items: list[WithdrawalItem]) -> dict[str, UserItem]:
    """The batch's workers (for the paid text's phone or e-mail): one BatchGetItem, not a GetItem
    per payment."""
    keys = {(f"USER#{item.worker_id}", "PROFILE") for item in items}
    return {user.user_id: user for user in UserItem.batch_get(list(keys))} if keys else {}


def _claim(item: WithdrawalItem, run_id: str, provider: str) -> WithdrawalItem | None:
    """Persist the run, the provider and the key before the call; None when no longer payable."""
    try:
        item.update(
            actions=[
                WithdrawalItem.status.set("paying"),
                WithdrawalItem.run_id.set(run_id),
                WithdrawalItem.provider.set(provider),
                WithdrawalItem.provider_key.set(item.withdrawal_id),
                WithdrawalItem.attempts.add(1),
                WithdrawalItem.updated_at.set(clock.iso()),
                WithdrawalItem.gsi3pk.set(run_key(run_id)),
                WithdrawalItem.gsi3sk.set(f"paying#{item.withdrawal_id}"),
            ],
            condition=WithdrawalItem.status.is_in("approved", "paying"),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return item


def _request(item: WithdrawalItem, account: PayoutAccountItem, run_id: str) -> PayoutRequest:
    return PayoutRequest(
        withdrawal_id=item.withdrawal_id,
        worker_id=item.worker_id,
        amount=int(item.amount) - int(item.fee),
        currency=item.currency,
        idempotency_key=item.withdrawal_id,
        run_id=run_id,
        account_type=account.type,
        stripe_account_id=account.stripe_account_id,
    )


def pay_batch(run_id: str, run_date: str, bounds: list[str]) -> dict[str, Any]:
    """Pay the approved withdrawals whose gsi1 sort key lies in ``bounds``; see the module doc."""
    items = _in_range(bounds)
    accounts = _accounts(items)
    workers = _workers(items)
    counts = {"paid": 0, "submitted": 0, "failed": 0, "skipped": 0, "retry": 0}
    now = clock.now()
    for item in items:
        account = accounts.get(item.worker_id)
        if account is None or now.timestamp() < int(account.hold_until_epoch):
            _skip(item, run_id, "payout_account_on_hold" if account else "no_payout_account")
            counts["skipped"] += 1
            continue
        provider = provider_for(account.type)
        claimed = _claim(item, run_id, provider.name)
        if claimed is None:
            continue
        try:
            result = provider.pay(_request(claimed, account, run_id))
        except PayoutUnavailable as error:
            logger.warning("payout provider unavailable", withdrawal_id=item.withdrawal_id, error=str(error))
            counts["retry"] += 1
            continue
        except PayoutRejected as error:
            fail(claimed, run_id, error.reason)
            counts["failed"] += 1
            continue
        outcome = settle(claimed, run_id, result, provider.name, workers=workers)
        counts[outcome] = counts.get(outcome, 0) + 1
    metrics.add_metric(name="PayoutsPaid", unit="Count", value=counts["paid"])
    if counts["retry"]:
        raise PayoutRetryLater(f"{counts['retry']} withdrawal(s) of {bounds[0]}..{bounds[1]} to retry")
    return counts


def _skip(item: WithdrawalItem, run_id: str, reason: str) -> None:
    """Not paid this run (the account is missing or on hold): it stays approved for the next one."""
    with contextlib.suppress(UpdateError):
        item.update(
            actions=[
                WithdrawalItem.failure.set(reason),
                WithdrawalItem.gsi3pk.set(run_key(run_id)),
                WithdrawalItem.gsi3sk.set(f"skipped#{item.withdrawal_id}"),
            ],
            condition=WithdrawalItem.status == "approved",
        )


def settle(
    item: WithdrawalItem,
    run_id: str,
    result: PayoutResult,
    provider: str,
    *,
    workers: Mapping[str, UserItem] | None = None,
) -> str:
    """Book what the provider answered: ``paid`` (ledger + status + inbox, one transaction) or
    ``submitted``. ``workers``: the user items the caller already read (for the text); a worker
    not among them has no user item, so there is nobody to text."""
    at = clock.iso()
    if result.status == "submitted":
        item.update(
            actions=[
                WithdrawalItem.provider_ref.set(result.provider_ref),
                WithdrawalItem.gsi1pk.set(SUBMITTED),
                WithdrawalItem.gsi3sk.set(f"submitted#{item.withdrawal_id}"),
                WithdrawalItem.updated_at.set(at),
            ],
            condition=WithdrawalItem.status == "paying",
        )
        return "submitted"
    try:
        commit(lambda tx: book_paid(tx, item, run_id, result.provider_ref, at))
    except TransactWriteError:
        current = WithdrawalItem.get(*WithdrawalItem.key(item.withdrawal_id), consistent_read=True)
        if current.status == "paid":
            return "skipped"  # another attempt or run booked it: paid once
        raise
    if workers is None:
        text_worker(item, "withdrawal_paid")
    elif item.worker_id in workers:
        text_worker(item, "withdrawal_paid", worker=workers[item.worker_id])
    return "paid"


def book_paid(tx: TransactWrite, item: WithdrawalItem, run_id: str, provider_ref: str, at: str) -> None:
    """The payout's ledger lines, ``paying → paid`` and the worker's inbox entry, in ``tx``."""
    amount, fee = int(item.amount), int(item.fee)
    ledger.record(
        tx,
        order_id=item.withdrawal_id,
        txn_id=f"payout-{item.withdrawal_id}",
        kind="payout",
        lines=[
            Line("worker_payable", amount, worker_id=item.worker_id, earning_status="in_withdrawal"),
            Line("payouts_sent", -(amount - fee)),
            Line("withdrawal_fees", -fee),
        ],
        at=at,
        ref=provider_ref,
        partition=withdrawal_partition(item.withdrawal_id),
    )
    tx.update(
        item,
        [
            WithdrawalItem.status.set("paid"),
            WithdrawalItem.provider_ref.set(provider_ref),
            WithdrawalItem.paid_at.set(at),
            WithdrawalItem.updated_at.set(at),
            WithdrawalItem.gsi1pk.set(WithdrawalItem.status_key("paid")),
            WithdrawalItem.gsi3pk.set(run_key(run_id)),
            WithdrawalItem.gsi3sk.set(f"paid#{item.withdrawal_id}"),
        ],
        condition=WithdrawalItem.status == "paying",
    )
    rendered = render("withdrawal_paid", "zh-CN", amount=yuan(amount), fee=yuan(fee))
    notification_id = stable_id(
        "ntf", datetime.fromisoformat(item.requested_at), f"withdrawal_paid:{item.withdrawal_id}"
    )
    tx.save(
        NotificationItem(
            f"USER#{item.worker_id}",
            f"NOTIF#{notification_id}",
            notification_id=notification_id,
            kind="withdrawal_paid",
            title=rendered.subject,
            body=rendered.body,
            read=False,
            created_at=at,
            ttl=int((clock.now() + timedelta(days=180)).timestamp()),
        ),
        condition=NotificationItem.sk.does_not_exist(),
    )


def fail(item: WithdrawalItem, run_id: str, reason: str) -> bool:
    """``failed``: the amount is available again (ledger + balance) and the worker is told."""
    from chalicelib.payouts.withdrawals import book_return

    at = clock.iso()

    def build(tx: TransactWrite) -> None:
        tx.update(
            item,
            [
                WithdrawalItem.status.set("failed"),
                WithdrawalItem.failure.set(reason[:200]),
                WithdrawalItem.updated_at.set(at),
                WithdrawalItem.gsi1pk.set(WithdrawalItem.status_key("failed")),
                WithdrawalItem.gsi3pk.set(run_key(run_id)),
                WithdrawalItem.gsi3sk.set(f"failed#{item.withdrawal_id}"),
            ],
            condition=WithdrawalItem.status.is_in("approved", "paying"),
        )
        book_return(tx, item, at)

    try:
        commit(build)
    except TransactWriteError:
        return False  # paid or failed meanwhile
    metrics.add_metric(name="PayoutsFailed", unit="Count", value=1)
    tell_worker(item, "withdrawal_failed", reason=reason)
    return True


def fail_batch(
    run_id: str, run_date: str, bounds: list[str], failure: dict[str, Any] | None = None
) -> dict[str, Any]:
    """After the retries: ask the provider one last time, then fail what is still unpaid."""
    items = [item for item in _in_range(bounds) if item.status == "paying" and item.run_id == run_id]
    accounts = _accounts(items)
    failed = 0
    for item in items:
        account = accounts.get(item.worker_id)
        reason = "provider_unavailable"
        if account is not None:
            provider = provider_for(account.type)
            try:
                settle(item, run_id, provider.pay(_request(item, account, run_id)), provider.name)
                continue
            except PayoutUnavailable:
                pass
            except PayoutRejected as error:
                reason = error.reason
        if fail(item, run_id, reason):
            failed += 1
            open_alert(
                "payout_failed",
                item.withdrawal_id,
                {
                    "withdrawal_id": item.withdrawal_id,
                    "provider_key": item.withdrawal_id,
                    "reason": reason,
                    "amount": int(item.amount),
                    "run_id": run_id,
                },
            )
    return {"failed": failed}


# -- Finish -----------------------------------------------------------------------------------


def _outcomes(run_id: str) -> list[WithdrawalItem]:
    return list(WithdrawalItem.gsi3.query(run_key(run_id)))


def finish(run_id: str, run_date: str) -> dict[str, Any]:
    """Write the report (and the bank file) to S3 and close the run; safe to repeat."""
    items = _outcomes(run_id)
    report = build_report(run_id, run_date, items)
    bucket = settings().buckets["exports"]
    s3 = client("s3")
    report_key = f"payouts/{run_date}/report.json"
    s3.put_object(
        Bucket=bucket,
        Key=report_key,
        Body=json.dumps(report, ensure_ascii=False).encode(),
        ContentType="application/json",
    )
    bank_key = None
    submitted = [item for item in items if item.gsi3sk.startswith("submitted#") and item.status == "paying"]
    if submitted:
        bank_key = f"payouts/{run_date}/bank-batch.csv"
        s3.put_object(
            Bucket=bucket, Key=bank_key, Body=bank_file(submitted).encode("utf-8-sig"), ContentType="text/csv"
        )
    PayoutRunItem(*PayoutRunItem.key(run_date)).update(
        actions=[
            PayoutRunItem.status.set("completed"),
            PayoutRunItem.finished_at.set(clock.iso()),
            PayoutRunItem.report.set({"totals": report["totals"]}),
            PayoutRunItem.report_key.set(report_key),
            *([PayoutRunItem.bank_file_key.set(bank_key)] if bank_key else []),
        ]
    )
    return {"totals": report["totals"], "report_key": report_key}


def build_report(run_id: str, run_date: str, items: list[WithdrawalItem]) -> dict[str, Any]:
    """``{run_id, run_date, totals, paid, failed, skipped, submitted}`` from the withdrawals' outcomes."""
    groups: dict[str, list[dict[str, Any]]] = {"paid": [], "failed": [], "skipped": [], "submitted": []}
    for item in items:
        outcome = str(item.gsi3sk).split("#", 1)[0]
        if outcome == "paying":
            outcome = "submitted" if item.provider_ref else "failed"
        entry: dict[str, Any] = {
            "withdrawal_id": item.withdrawal_id,
            "amount": int(item.amount),
            "fee": int(item.fee),
        }
        if outcome in ("failed", "skipped"):
            entry["reason"] = item.failure
        groups.setdefault(outcome, []).append(entry)
    totals = {
        "count": len(items),
        "currency": "CNY",
        **{f"{name}_count": len(entries) for name, entries in groups.items()},
        **{f"{name}_amount": sum(entry["amount"] for entry in entries) for name, entries in groups.items()},
        "fees": sum(entry["fee"] for entry in groups["paid"]),
    }
    return {"run_id": run_id, "run_date": run_date, "totals": totals, **groups}


def bank_file(items: list[WithdrawalItem]) -> str:
    """The batch-payout CSV for finance (docs/payouts.md "Bank file"): one line per withdrawal."""
    from chalicelib.payouts.accounts import bank_number

    accounts = _accounts(items)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(BANK_FILE_COLUMNS)
    for item in items:
        account = accounts[item.worker_id]
        net = int(item.amount) - int(item.fee)
        writer.writerow(
            (
                item.withdrawal_id,
                account.account_name,
                account.bank_name,
                bank_number(account),
                f"{net // 100}.{net % 100:02d}",
                item.currency,
                f"Jiazheng payout {item.withdrawal_id}",
            )
        )
    return out.getvalue()


# -- bank results -------------------------------------------------------------------------------


def import_bank_result(
    run_id: str, lines: list[dict[str, Any]], *, actor: Actor | None = None
) -> dict[str, int]:
    """Apply the bank's result file: each line ``paid`` or ``failed``, matched by withdrawal id, once.

    Each line is recorded (``BANKLINE#<withdrawal id>``, not exists) in the transaction that
    books it, so importing the same file again changes nothing. Audited.
    """
    run = _run_by_id(run_id)
    counts = {"paid": 0, "failed": 0, "unchanged": 0}
    for line in lines:
        counts[_import_line(run, line)] += 1
    if actor is not None:
        audit.record(
            actor_id=actor.user_id,
            actor_role=actor.role,
            action="payout_run.bank_result",
            target_type="payout_run",
            target_id=run_id,
            details={"lines": len(lines), **counts},
            request_id=actor.request_id,
        )
    return counts


def _import_line(run: PayoutRunItem, line: dict[str, Any]) -> str:
    """``paid``, ``failed`` or ``unchanged`` (unknown, not this run's, or imported before)."""
    withdrawal_id, outcome = str(line["withdrawal_id"]), str(line["status"])
    try:
        item = WithdrawalItem.get(*WithdrawalItem.key(withdrawal_id), consistent_read=True)
    except WithdrawalItem.DoesNotExist:
        return "unchanged"
    if item.run_id != run.run_id or item.status != "paying" or not item.provider_ref:
        return "unchanged"
    marker = BankResultLineItem(
        *BankResultLineItem.key(run.run_date, withdrawal_id),
        withdrawal_id=withdrawal_id,
        outcome=outcome,
        imported_at=clock.iso(),
    )
    if outcome == "paid":
        reference = str(line.get("bank_reference") or item.provider_ref)

        def build(tx: TransactWrite) -> None:
            tx.save(marker, condition=BankResultLineItem.pk.does_not_exist())
            book_paid(tx, item, run.run_id, reference, clock.iso())

        try:
            commit(build)
        except TransactWriteError:
            return "unchanged"
        text_worker(item, "withdrawal_paid")
        return "paid"
    try:
        marker.save(condition=BankResultLineItem.pk.does_not_exist())
    except PutError:
        return "unchanged"
    return "failed" if fail(item, run.run_id, str(line.get("reason") or "bank_rejected")) else "unchanged"


def _run_by_id(run_id: str) -> PayoutRunItem:
    if not run_id.startswith("pr_") or len(run_id) != 11 or not run_id[3:].isdigit():
        raise NotFound("unknown_run")
    digits = run_id[3:]
    run_date = f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    try:
        return PayoutRunItem.get(*PayoutRunItem.key(run_date), consistent_read=True)
    except PayoutRunItem.DoesNotExist:
        raise NotFound("unknown_run") from None


def list_runs(limit: int, cursor: str | None) -> tuple[list[PayoutRunItem], str | None]:
    """Runs, newest first (gsi1 ``PAYOUTRUNS``)."""
    from chalicelib.pagination import decode_cursor, encode_cursor

    query = PayoutRunItem.gsi1.query(
        "PAYOUTRUNS",
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor("payout-runs", cursor),
    )
    return list(query), encode_cursor("payout-runs", query.last_evaluated_key)


def run_detail(run_id: str) -> tuple[PayoutRunItem, dict[str, Any]]:
    """A run and its report (from S3 once finished; from the withdrawals while it runs)."""
    run = _run_by_id(run_id)
    if run.report_key:
        body = (
            client("s3").get_object(Bucket=settings().buckets["exports"], Key=run.report_key)["Body"].read()
        )
        return run, dict(json.loads(body))
    return run, build_report(run_id, run.run_date, _outcomes(run_id))
