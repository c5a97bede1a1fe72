"""The payout run against DynamoDB Local: 10,000 approved withdrawals, duration and round trips each.

Starts its own DynamoDB Local (in memory; the helpers of :mod:`bench.slots_and_search`), creates
the main table as the local stack does and writes, with batch writes, what 10,000 requests and
approvals leave behind: per worker a bank payout account (off hold), a balance item with the
amount ``in_withdrawal``, and one ``approved`` withdrawal. Then it runs the payout run's steps
in process, as the state machine's tasks call them (``chalicelib.payouts.run``): Begin, the
Map's PayBatch over :data:`CONCURRENCY` threads (its ``MaxConcurrency``), and the report that
Finish builds (its S3 writes left out: only DynamoDB is measured). The provider is the local one
(a conditional put per payout, its own round trip, counted apart as the provider's).

Round trips are HTTP requests to DynamoDB counted with botocore's ``before-send`` event
(retries included). Target: at most 3 of the run's own per withdrawal.

Run: ``python -m bench.payout_run`` (``make bench``). Exits 1 when a withdrawal is not paid once
or the target is missed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.slots_and_search import _dynamodb_local, _environment, _write
from local import aws, provision

WITHDRAWALS = 10_000
CONCURRENCY = 4
AMOUNT = 15_000
TARGET = 3.0

_lock = threading.Lock()
_requests: Counter[str] = Counter()
_current = threading.local()


def _install_meter() -> None:
    """Count every DynamoDB request by operation, and apart those the provider makes."""
    from botocore.session import Session

    create_client = Session.create_client

    def started(model: Any, **_: Any) -> None:
        _current.operation = model.name

    def sent(**_: Any) -> None:
        who = "provider" if getattr(_current, "provider", False) else "run"
        with _lock:
            _requests[f"{who}:{_current.operation}"] += 1

    def metered_client(session: Any, *args: Any, **kwargs: Any) -> Any:
        client = create_client(session, *args, **kwargs)
        client.meta.events.register("before-parameter-build.dynamodb", started)
        client.meta.events.register("before-send.dynamodb", sent)
        return client

    Session.create_client = metered_client


def _seed(today: str) -> None:
    from chalicelib import clock
    from chalicelib.ids import new_id
    from chalicelib.models.payouts import PayoutAccountItem, WithdrawalItem, WorkerBalanceItem

    at = clock.iso()
    items: list[Any] = []
    for number in range(WITHDRAWALS):
        worker_id, withdrawal_id = f"usr_bench{number:05d}", new_id("wd")
        items.append(
            PayoutAccountItem(
                *PayoutAccountItem.key(worker_id),
                worker_id=worker_id,
                type="bank_account",
                bank_name="招商银行",
                account_name="李秀英",
                number_encrypted="-",
                number_masked="**** 0128",
                hold_until=at,
                hold_until_epoch=0,
                updated_at=at,
            )
        )
        items.append(WorkerBalanceItem(*WorkerBalanceItem.key(worker_id), in_withdrawal=AMOUNT, version=1))
        items.append(
            WithdrawalItem(
                *WithdrawalItem.key(withdrawal_id),
                withdrawal_id=withdrawal_id,
                worker_id=worker_id,
                amount=AMOUNT,
                fee=0,
                status="approved",
                account_type="bank_account",
                account_masked="**** 0128",
                requested_at=at,
                updated_at=at,
                gsi1pk=WithdrawalItem.status_key("approved"),
                gsi1sk=f"{at}#{withdrawal_id}",
                gsi2pk=WithdrawalItem.worker_key(worker_id),
                gsi2sk=f"{at}#{withdrawal_id}",
            )
        )
    _write(items)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-payouts-") as temp, _dynamodb_local(Path(temp)) as url:
        os.environ.update(_environment(url, Path(temp)))
        for name in [key for key in os.environ if key.startswith("AWS_PROFILE")]:
            del os.environ[name]
        _install_meter()

        from chalicelib import clock, resources
        from chalicelib.payouts import providers, run
        from tests.integration.scheduling_steps import NOW

        ddb = aws.client("dynamodb", os.environ)
        for spec in resources.TABLES:
            provision.create_table(ddb, spec)
        clock.freeze(NOW)
        seeding = time.perf_counter()
        _seed(NOW.date().isoformat())
        seeded = time.perf_counter() - seeding

        class MeteredLocal(providers.LocalPayoutProvider):
            def pay(self, request: providers.PayoutRequest) -> providers.PayoutResult:
                _current.provider = True
                try:
                    return super().pay(request)
                finally:
                    _current.provider = False

        providers.use_payout_provider(MeteredLocal())
        _requests.clear()
        run_date = NOW.date().isoformat()
        began = time.perf_counter()
        opened = run.begin(run_date)
        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            outcomes = list(
                pool.map(lambda bounds: run.pay_batch(opened["run_id"], run_date, bounds), opened["batches"])
            )
        report = run.build_report(opened["run_id"], run_date, run._outcomes(opened["run_id"]))
        seconds = time.perf_counter() - began

        paid = sum(outcome["paid"] for outcome in outcomes)
        own = {key.split(":", 1)[1]: count for key, count in _requests.items() if key.startswith("run:")}
        provider = sum(count for key, count in _requests.items() if key.startswith("provider:"))
        per_withdrawal = sum(own.values()) / WITHDRAWALS
        print(
            f"payout run: {WITHDRAWALS:,} approved withdrawals, {len(opened['batches'])} batches of "
            f"{run.payout_rules().payout_batch_size}, {CONCURRENCY} at once (DynamoDB Local, in memory)"
        )
        print(f"  set-up (batch writes)      {seeded:8.1f} s")
        print(f"  run (Begin, Map, report)   {seconds:8.1f} s   {WITHDRAWALS / seconds:,.0f} withdrawals/s")
        print(
            f"  paid                       {paid:8,d}   report paid_count {report['totals']['paid_count']:,}"
        )
        print(
            f"  DynamoDB round trips       {sum(own.values()):8,d}   {per_withdrawal:.2f} per withdrawal "
            f"(target <= {TARGET:.0f})"
        )
        for operation, count in sorted(own.items()):
            print(f"    {operation:<24} {count:8,d}   {count / WITHDRAWALS:.3f} each")
        print(f"  local provider's own       {provider:8,d}   (its conditional put: not the run's)")
        ok = paid == WITHDRAWALS == report["totals"]["paid_count"] and per_withdrawal <= TARGET
        print("  target met" if ok else "  TARGET MISSED")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
