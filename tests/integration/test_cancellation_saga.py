"""The order cancellation saga, run by moto's ASL interpreter in process with our real step code.

moto executes the deployed ASL file (``execute_state_machine``); its simple Lambda backend is
pointed at ``chalicelib.workflows.steps.handler`` exactly as ``local.moto_server`` does it, so
every task runs the real step against the in-process DynamoDB and SQS. The retrier's pauses are
recorded instead of slept. Payments are another area's: where a test needs the refund to fail
or succeed in a given way, ``chalicelib.payments.refunds`` is replaced by a stand-in that records
its calls; the order that owes nothing goes through the real payments code.
"""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import clock
from chalicelib.accounts.inbox import list_inbox
from chalicelib.accounts.targets import target_from
from chalicelib.accounts.users import create_user
from chalicelib.errors import Conflict
from chalicelib.orders import payment_port
from chalicelib.orders.booking import BookOrder, book_order
from chalicelib.payments.refunds import RefundFailed
from chalicelib.scheduling.availability import set_availability
from chalicelib.workflows import cancellation, steps
from chalicelib.workflows.alerts import OPEN_ALERTS, OpsAlertItem
from tests.integration.conftest import Http, deliver_notifications
from tests.integration.scheduling_steps import (
    NOW,
    PEOPLES_SQUARE,
    account,
    address,
    at,
    every_day,
    service,
    worker,
)
from tests.integration.state_machines import executing

PRICE = 20000  # the scheduling steps' service: 100 yuan an hour, 2 hours
REFUNDS_MODULE = "chalicelib.payments.refunds"
REFUND_RETRIES = 6  # MaxAttempts of the Refund state's States.ALL retrier


@dataclass
class Saga:
    sfn: Any
    arn: str
    sleeps: list[float]

    def run(self, order_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """Start the saga of ``order_id`` and wait for its execution to end."""
        cancellation.start(order_id)
        execution = self.execution(order_id)
        deadline = time.monotonic() + timeout
        while execution["status"] == "RUNNING":
            assert time.monotonic() < deadline, f"still running: {execution}"
            time.sleep(0.05)
            execution = self.execution(order_id)
        return execution

    def execution(self, order_id: str) -> dict[str, Any]:
        arn = (
            f"{self.arn.replace(':stateMachine:', ':execution:')}:{cancellation.execution_name_for(order_id)}"
        )
        return dict(self.sfn.describe_execution(executionArn=arn))

    def states(self, execution: dict[str, Any]) -> list[str]:
        """The names of the states the execution entered, in order."""
        events = self.sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
        return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


@pytest.fixture
def saga(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Saga]:
    with executing(cancellation.WORKFLOW, monkeypatch) as (sfn, arn, sleeps):
        clock.freeze(NOW)
        yield Saga(sfn, arn, sleeps)


@dataclass
class Customer:
    user_id: str
    token: str
    address_id: str


@pytest.fixture
def customer(saga: Saga) -> Customer:
    user_id, token = account("customer")
    return Customer(user_id, token, address(user_id, *PEOPLES_SQUARE))


def booked(customer: Customer, *, paid: bool) -> str:
    """An order of a chosen worker tomorrow (free to cancel until then), paid or not."""
    worker_id = worker()
    set_availability(worker_id, every_day([["08:00", "18:00"]]), [])
    start = at(NOW.date() + timedelta(days=1), "10:00")
    order, _ = book_order(
        BookOrder(customer.user_id, service(), customer.address_id, start, worker_id=worker_id)
    )
    if paid:
        payment_port.mark_paid(order.order_id, f"pi_{order.order_id}")
    return order.order_id


def cancel(http: Http, customer: Customer, order_id: str) -> dict[str, Any]:
    response = http.call(
        "POST", f"/v1/orders/{order_id}/cancel", {"reason": "临时有事"}, token=customer.token
    )
    assert response.status_code == 200, response.json
    return dict(response.json)


def payments(monkeypatch: pytest.MonkeyPatch, outcome: Callable[[int], bool]) -> list[str]:
    """Stand in for the payments area's refund function; ``outcome(call number)`` returns or raises."""
    calls: list[str] = []

    def refund_cancelled_order(order_id: str) -> bool:
        calls.append(order_id)
        return outcome(len(calls))

    module = types.ModuleType(REFUNDS_MODULE)
    module.refund_cancelled_order = refund_cancelled_order  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, REFUNDS_MODULE, module)
    return calls


class ProviderDown(Exception):
    """What a payment provider outage looks like to the saga: any error that is not a refusal."""


def inbox_kinds(user_id: str) -> list[str]:
    entries, _ = list_inbox(user_id, limit=20, cursor=None)
    return [entry.kind for entry in entries]


def admin_with_email(email: str) -> str:
    return create_user(target_from(email=email), "secret123", "运营", "admin").user_id


def test_an_unpaid_order_settles_with_nothing_to_refund(
    saga: Saga, http: Http, customer: Customer, api: Client, aws: dict[str, str]
) -> None:
    order_id = booked(customer, paid=False)
    assert cancel(http, customer, order_id)["cancellation"]["refund"]["amount"] == 0

    execution = saga.run(order_id)

    assert execution["status"] == "SUCCEEDED", execution
    assert saga.states(execution) == ["Refund", "NotifyCustomer", "Done"]
    assert inbox_kinds(customer.user_id) == ["cancellation_no_refund"]
    assert deliver_notifications(api, aws) == []  # nothing to refund: no SMS or e-mail


def test_a_paid_order_is_refunded_after_provider_errors_and_the_customer_told_once(
    saga: Saga,
    http: Http,
    customer: Customer,
    api: Client,
    aws: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order_id = booked(customer, paid=True)
    assert cancel(http, customer, order_id)["cancellation"]["refund"]["amount"] == PRICE

    def outcome(call: int) -> bool:
        if call < 3:
            raise ProviderDown("stripe timed out")
        return True

    calls = payments(monkeypatch, outcome)
    execution = saga.run(order_id)

    assert execution["status"] == "SUCCEEDED", execution
    assert calls == [order_id] * 3
    assert len(saga.sleeps) == 2  # two retries, each after a (jittered) exponential pause
    assert 0 <= saga.sleeps[0] <= 5 and 0 <= saga.sleeps[1] <= 10
    assert saga.states(execution) == ["Refund", "NotifyCustomer", "Done"]
    assert inbox_kinds(customer.user_id) == ["cancellation_refunded"]
    sent = deliver_notifications(api, aws)
    assert len(sent) == 1 and sent[0]["channel"] == "sms"
    assert "200.00" in sent[0]["body"]

    # The step again (a retry after a lost answer) leaves one inbox entry and sends nothing new.
    steps.handler({"step": "order_cancellation.notify_customer", "order_id": order_id}, None)
    assert inbox_kinds(customer.user_id) == ["cancellation_refunded"]
    assert deliver_notifications(api, aws) == sent


def test_a_refund_that_keeps_failing_is_escalated_not_dropped(
    saga: Saga,
    http: Http,
    customer: Customer,
    api: Client,
    aws: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin_id = admin_with_email("ops@jiazheng.example")
    order_id = booked(customer, paid=True)
    cancel(http, customer, order_id)

    def outcome(call: int) -> bool:
        raise ProviderDown("stripe is down")

    calls = payments(monkeypatch, outcome)
    execution = saga.run(order_id)

    assert execution["status"] == "FAILED"
    assert execution["error"] == "RefundEscalated"
    assert len(calls) == 1 + REFUND_RETRIES
    assert len(saga.sleeps) == REFUND_RETRIES
    assert all(pause <= min(5 * 2**n, 120) for n, pause in enumerate(saga.sleeps))
    assert saga.states(execution) == ["Refund", "Escalate", "RefundFailed"]

    alert = OpsAlertItem.get(*OpsAlertItem.key("refund_failed", order_id))
    assert alert.details["amount"] == PRICE
    assert alert.details["error"] == "ProviderDown"
    assert alert.details["cause"] == "stripe is down"
    assert [item.subject for item in OpsAlertItem.gsi1.query(OPEN_ALERTS)] == [order_id]
    timeline = http.call("GET", f"/v1/orders/{order_id}", token=customer.token).json["timeline"]
    assert [(e["event"], e["by"]) for e in timeline][-1] == ("refund_escalated", "system")
    assert inbox_kinds(admin_id) == ["refund_escalated"]
    assert inbox_kinds(customer.user_id) == []  # not told of a refund that has not happened
    sent = deliver_notifications(api, aws)
    assert [(m["channel"], m["target"]) for m in sent] == [("email", "ops@jiazheng.example")]
    assert order_id in sent[0]["body"]

    # Escalating again (a retried step) opens no second alert, event or message.
    steps.handler(
        {"step": "order_cancellation.escalate_refund", "order_id": order_id, "failure": {"Error": "X"}}, None
    )
    assert [item.subject for item in OpsAlertItem.gsi1.query(OPEN_ALERTS)] == [order_id]
    again = http.call("GET", f"/v1/orders/{order_id}", token=customer.token).json["timeline"]
    assert again == timeline
    assert inbox_kinds(admin_id) == ["refund_escalated"]
    assert deliver_notifications(api, aws) == sent


@pytest.mark.parametrize(
    ("refusal", "error"),
    [
        (Conflict("invalid_status", status="refunded"), "StepRejected"),  # a refusal of the domain
        (RefundFailed("ord_x", "charge_disputed"), "RefundFailed"),  # the provider refused the refund
    ],
)
def test_a_refusal_is_escalated_at_once_without_retries(
    saga: Saga,
    http: Http,
    customer: Customer,
    monkeypatch: pytest.MonkeyPatch,
    refusal: Exception,
    error: str,
) -> None:
    order_id = booked(customer, paid=True)
    cancel(http, customer, order_id)

    def outcome(call: int) -> bool:
        raise refusal

    calls = payments(monkeypatch, outcome)
    execution = saga.run(order_id)

    assert (execution["status"], execution["error"]) == ("FAILED", "RefundEscalated")
    assert calls == [order_id]
    assert saga.sleeps == []
    assert saga.states(execution) == ["Refund", "Escalate", "RefundFailed"]
    alert = OpsAlertItem.get(*OpsAlertItem.key("refund_failed", order_id))
    assert alert.details["error"] == error


def test_starting_twice_runs_one_saga(saga: Saga, http: Http, customer: Customer) -> None:
    order_id = booked(customer, paid=False)
    cancel(http, customer, order_id)

    first = saga.run(order_id)
    cancellation.start(order_id)  # a consumer seeing order.cancelled again, after the saga ended

    executions = saga.sfn.list_executions(stateMachineArn=saga.arn)["executions"]
    assert [e["executionArn"] for e in executions] == [first["executionArn"]]
    assert inbox_kinds(customer.user_id) == ["cancellation_no_refund"]
