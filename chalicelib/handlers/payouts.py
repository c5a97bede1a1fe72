"""Earnings and payouts: the worker's earnings, payout account and withdrawals; the admin's review
of withdrawals and the payout runs (API.md "Earnings and payouts").

Handlers only parse, call one use case of ``chalicelib.payouts`` and map its view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.handlers.payments import _idempotency_key
from chalicelib.lazy import lazy_import
from chalicelib.schemas.common import ListQuery
from chalicelib.schemas.payouts import (
    AccountOut,
    BankAccountIn,
    BankResultIn,
    BankResultOut,
    DecisionIn,
    EarningItemOut,
    EarningsOut,
    EarningsQuery,
    PayoutAccountIn,
    RunOut,
    SeriesPointOut,
    StatementOut,
    StatementQuery,
    WithdrawalIn,
    WithdrawalOut,
    WithdrawalsQuery,
)
from chalicelib.web import Api, Reply, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.payouts import accounts, earnings, run, statements, withdrawals
    from chalicelib.payouts.accounts import AccountView
    from chalicelib.payouts.withdrawals import WithdrawalView
else:
    accounts = lazy_import("chalicelib.payouts.accounts")
    earnings = lazy_import("chalicelib.payouts.earnings")
    run = lazy_import("chalicelib.payouts.run")
    statements = lazy_import("chalicelib.payouts.statements")
    withdrawals = lazy_import("chalicelib.payouts.withdrawals")

api = Api("payouts")

WORKER = ("worker",)
ADMIN = ("admin",)


def _actor(request: Request[Any]) -> Any:
    """The admin as the audit log records her (``chalicelib.audit.Actor``, loaded with the use case)."""
    principal = request.principal
    return withdrawals.Actor(user_id=principal.user_id, role=principal.role, request_id=request.request_id)


@api.get("/v1/worker/earnings", roles=WORKER, query=EarningsQuery, response=EarningsOut, errors=(403, 422))
def worker_earnings(request: Request[Any]) -> EarningsOut:
    """Balances (pending, available, withdrawn), the series of the period for charts, and its items.

    Without ``from``/``to``: the current month. ``granularity`` buckets the series by day, week
    (Monday) or month. Items are newest first, paged with ``cursor``.
    """
    query: EarningsQuery = request.query
    view = earnings.earnings(
        request.principal.user_id,
        query.from_,
        query.to,
        query.granularity,
        query.limit,
        query.cursor,
        locale=request.locale,
    )
    return EarningsOut(
        pending=view.balance.pending,
        available=view.balance.available,
        withdrawn=view.balance.withdrawn,
        in_withdrawal=view.balance.in_withdrawal,
        from_=view.period_from,
        to=view.period_to,
        granularity=query.granularity,
        series=[SeriesPointOut(date=p.date, amount=p.amount, orders=p.orders) for p in view.series],
        items=[
            EarningItemOut(
                order_id=item.order_id,
                service_name=item.service_name,
                date=item.date,
                gross=item.gross,
                commission=item.commission,
                net=item.net,
                status=item.status,
            )
            for item in view.items
        ],
        next_cursor=view.next_cursor,
    )


@api.get(
    "/v1/worker/statements/{month}",
    roles=WORKER,
    query=StatementQuery,
    response=StatementOut,
    errors=(403, 422),
)
def worker_statement(request: Request[Any]) -> StatementOut:
    """A 15-minute link to the month's statement: ``format=pdf`` (with a chart of the month) or
    ``xlsx``; 422 for another format or a month that is not ``YYYY-MM`` up to this one."""
    link = statements.statement_link(request.principal.user_id, request.path["month"], request.query.format)
    return StatementOut(download_url=link.url, expires_at=link.expires_at)


def _account_out(view: AccountView) -> AccountOut:
    return AccountOut(
        type=view.type,
        bank_name=view.bank_name,
        account_name=view.account_name,
        account_number=view.account_number,
        stripe_account_id=view.stripe_account_id,
        onboarding_url=view.onboarding_url,
        hold_until=view.hold_until,
        updated_at=view.updated_at,
    )


@api.put(
    "/v1/worker/payout-account",
    roles=WORKER,
    body=PayoutAccountIn,
    response=AccountOut,
    errors=(403, 409, 422),
)
def put_payout_account(request: Request[PayoutAccountIn]) -> AccountOut:
    """Set the payout account: a bank card (Luhn-checked, stored encrypted, shown `**** 5678`) or
    Stripe Connect (answers `onboarding_url`). A change is audited and holds withdrawals 24 h."""
    body, worker_id = request.body.root, request.principal.user_id
    if isinstance(body, BankAccountIn):
        view = accounts.set_bank_account(
            worker_id, body.bank_name, body.account_name, body.account_number, request_id=request.request_id
        )
    else:
        view = accounts.set_stripe_account(worker_id, request_id=request.request_id)
    return _account_out(view)


@api.get("/v1/worker/payout-account", roles=WORKER, response=AccountOut, errors=(403, 404))
def get_payout_account(request: Request[Any]) -> AccountOut:
    """The payout account, masked; 404 ``no_payout_account`` before one is set."""
    return _account_out(accounts.get_account(request.principal.user_id))


def withdrawal_out(view: WithdrawalView) -> WithdrawalOut:
    return WithdrawalOut(
        withdrawal_id=view.withdrawal_id,
        worker_id=view.worker_id,
        amount=view.amount,
        fee=view.fee,
        status=view.status,
        account_type=view.account_type,
        account_number=view.account_number,
        requested_at=view.requested_at,
        decided_at=view.decided_at,
        reason=view.reason,
        paid_at=view.paid_at,
        run_id=view.run_id,
    )


@api.post(
    "/v1/worker/withdrawals",
    roles=WORKER,
    body=WithdrawalIn,
    response=WithdrawalOut,
    status=201,
    errors=(403, 409, 422, 429),
)
def create_withdrawal(request: Request[WithdrawalIn]) -> Reply:
    """Withdraw ``amount`` fen of ``available`` (the fee comes out of it): ``pending_review``.

    409 ``insufficient_balance``, ``no_payout_account``, ``payout_account_on_hold``,
    ``daily_cap_exceeded``; 422 ``below_minimum``. ``Idempotency-Key`` replays the first answer.
    429 past ``withdrawals_per_worker_per_hour`` requests.
    """
    from chalicelib.accounts.policy import POLICY
    from chalicelib.ratelimit import hit_window

    hit_window(
        "withdraw", request.principal.user_id, limit=POLICY.withdrawals_per_worker_per_hour, seconds=3600
    )
    view, replayed = withdrawals.request_withdrawal(
        request.principal.user_id, request.body.amount, _idempotency_key(request)
    )
    return Reply(withdrawal_out(view), 201, {"Idempotent-Replayed": "true"} if replayed else {})


@api.get(
    "/v1/worker/withdrawals", roles=WORKER, query=ListQuery, response=Page[WithdrawalOut], errors=(403, 422)
)
def list_withdrawals(request: Request[Any]) -> Page[WithdrawalOut]:
    """The caller's withdrawals, newest first."""
    items, cursor = withdrawals.list_for_worker(
        request.principal.user_id, request.query.limit, request.query.cursor
    )
    return Page[WithdrawalOut](items=[withdrawal_out(view) for view in items], next_cursor=cursor)


@api.get("/v1/worker/withdrawals/{withdrawal_id}", roles=WORKER, response=WithdrawalOut, errors=(403, 404))
def get_withdrawal(request: Request[Any]) -> WithdrawalOut:
    """One of the caller's withdrawals (another worker's is 404)."""
    return withdrawal_out(
        withdrawals.get_withdrawal(request.path["withdrawal_id"], request.principal.user_id)
    )


@api.get(
    "/v1/admin/withdrawals",
    roles=ADMIN,
    query=WithdrawalsQuery,
    response=Page[WithdrawalOut],
    errors=(403, 422),
)
def admin_withdrawals(request: Request[Any]) -> Page[WithdrawalOut]:
    """Withdrawals by status (default ``pending_review``), oldest first: the review queue."""
    query: WithdrawalsQuery = request.query
    items, cursor = withdrawals.list_for_admin(query.status, query.limit, query.cursor)
    return Page[WithdrawalOut](items=[withdrawal_out(view) for view in items], next_cursor=cursor)


@api.post(
    "/v1/admin/withdrawals/{withdrawal_id}/approve",
    roles=ADMIN,
    body=DecisionIn,
    response=WithdrawalOut,
    errors=(403, 404, 409),
)
def approve_withdrawal(request: Request[DecisionIn]) -> WithdrawalOut:
    """``pending_review → approved`` (audited); the next daily payout run pays it."""
    view = withdrawals.approve(request.path["withdrawal_id"], _actor(request), request.body.reason)
    return withdrawal_out(view)


@api.post(
    "/v1/admin/withdrawals/{withdrawal_id}/reject",
    roles=ADMIN,
    body=DecisionIn,
    response=WithdrawalOut,
    errors=(403, 404, 409, 422),
)
def reject_withdrawal(request: Request[DecisionIn]) -> WithdrawalOut:
    """``pending_review → rejected`` with a ``reason`` (audited); the amount is available again."""
    view = withdrawals.reject(request.path["withdrawal_id"], _actor(request), request.body.reason)
    return withdrawal_out(view)


def _run_out(item: Any, report: dict[str, Any] | None = None) -> RunOut:
    report = report or {}
    return RunOut(
        run_id=item.run_id,
        run_date=item.run_date,
        status=item.status,
        started_at=item.started_at,
        finished_at=item.finished_at,
        totals=report.get("totals") or (dict(item.report).get("totals") if item.report else None),
        report_key=item.report_key,
        bank_file_key=item.bank_file_key,
        paid=report.get("paid"),
        failed=report.get("failed"),
        skipped=report.get("skipped"),
        submitted=report.get("submitted"),
    )


@api.get("/v1/admin/payout-runs", roles=ADMIN, query=ListQuery, response=Page[RunOut], errors=(403, 422))
def payout_runs(request: Request[Any]) -> Page[RunOut]:
    """The daily payout runs, newest first, with their totals."""
    items, cursor = run.list_runs(request.query.limit, request.query.cursor)
    return Page[RunOut](items=[_run_out(item) for item in items], next_cursor=cursor)


@api.get("/v1/admin/payout-runs/{run_id}", roles=ADMIN, response=RunOut, errors=(403, 404))
def payout_run(request: Request[Any]) -> RunOut:
    """One run: totals and the paid, failed, skipped (and bank-submitted) withdrawals."""
    item, report = run.run_detail(request.path["run_id"])
    return _run_out(item, report)


@api.post(
    "/v1/admin/payout-runs/{run_id}/bank-result",
    roles=ADMIN,
    body=BankResultIn,
    response=BankResultOut,
    errors=(403, 404, 422),
)
def bank_result(request: Request[BankResultIn]) -> BankResultOut:
    """Import the bank's result for the run's batch file: each line ``paid`` or ``failed`` (then the
    amount is available again), matched by withdrawal id; importing the same file again changes nothing."""
    counts = run.import_bank_result(
        request.path["run_id"], [line.model_dump() for line in request.body.lines], actor=_actor(request)
    )
    return BankResultOut(**counts)
