"""The ledger's arithmetic: every transaction balances, commission rounds half up, refunds stay in bounds."""

from __future__ import annotations

import pytest

from chalicelib.payments import ledger
from chalicelib.payments.ledger import Line, UnbalancedTransaction
from chalicelib.payments.settings import PaymentSettings


@pytest.mark.parametrize("amount", [1, 99, 100, 12345, 20000, 999_999_99])
def test_every_transaction_of_an_order_sums_to_zero(amount: int) -> None:
    charge = ledger.charge_lines(amount)
    completion = ledger.completion_lines(amount, "usr_w")
    fee = amount // 5
    refund = ledger.refund_lines(amount, amount - fee)
    for lines in (charge, completion, refund, ledger.unowed_lines(amount), ledger.return_lines(amount)):
        assert sum(line.amount for line in lines) == 0
    # charged then completed: the prepayment is gone, commission and share are what was paid
    totals: dict[str, int] = {}
    for line in charge + completion:
        totals[line.account] = totals.get(line.account, 0) + line.amount
    assert totals["customer_prepayments"] == 0
    assert (
        -(totals.get("platform_commission", 0) + totals["worker_payable"])
        == amount
        == totals["stripe_balance"]
    )


def test_commission_is_twenty_percent_rounded_half_up() -> None:
    settings = PaymentSettings()
    assert settings.commission(20000) == 4000
    assert settings.commission(12345) == 2469  # 2469.0
    assert settings.commission(3) == 1  # 0.6 -> 1
    assert settings.commission(2) == 0  # 0.4 -> 0
    assert PaymentSettings(commission_basis_points=1250).commission(10000) == 1250


def test_the_workers_share_is_pending_and_hers() -> None:
    lines = ledger.completion_lines(20000, "usr_w")
    [share] = [line for line in lines if line.account == "worker_payable"]
    assert (share.amount, share.worker_id, share.earning_status) == (-16000, "usr_w", "pending")


def test_a_refund_releases_the_prepayment_and_keeps_the_fee() -> None:
    lines = {line.account: line.amount for line in ledger.refund_lines(20000, 16000)}
    assert lines == {"customer_prepayments": 20000, "stripe_balance": -16000, "cancellation_fees": -4000}
    full = {line.account: line.amount for line in ledger.refund_lines(20000, 20000)}
    assert full == {"customer_prepayments": 20000, "stripe_balance": -20000}  # no zero fee line


@pytest.mark.parametrize("refund", [-1, 20001])
def test_a_refund_outside_the_paid_amount_is_refused(refund: int) -> None:
    with pytest.raises(UnbalancedTransaction):
        ledger.refund_lines(20000, refund)


def test_unbalanced_or_unknown_lines_are_never_accepted() -> None:
    with pytest.raises(UnbalancedTransaction):
        ledger.balanced([Line("stripe_balance", 100), Line("customer_prepayments", -99)])
    with pytest.raises(UnbalancedTransaction):
        ledger.balanced([Line("stripe_balance", 100), Line("petty_cash", -100)])
