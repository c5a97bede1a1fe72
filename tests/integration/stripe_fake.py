"""Stripe's API behind the real ``stripe`` library: a fake at its HTTP boundary (``stripe.HTTPClient``).

The library does everything it does against Stripe (encodes parameters, adds headers, retries
connection errors and 5xx with the same idempotency key, maps error bodies to its exceptions);
only the bytes on the wire come from here. The fake keeps PaymentIntents and Refunds, replays a
repeated idempotency key as Stripe does (and refuses it with other parameters), keeps the
Connect Transfers of the payout run, and can be told to time out or fail the next requests,
before or after doing their work.

Every POST must carry an ``Idempotency-Key`` the platform chose (``jz-…``, or a payout's
withdrawal id ``wd_…``): the library adds a random one to a POST sent without a key, which would defeat the persisted keys, so such a POST
fails the test at once (and is listed in ``violations``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import stripe

from chalicelib import clock

__all__ = ["Fault", "StripeFake"]

PLATFORM_KEYS = ("jz-", "wd_")
_INDEX = re.compile(r"\[([^\]]*)\]")


def _nested(form: str) -> dict[str, Any]:
    """``a[b][0]=x&c=y`` -> ``{"a": {"b": ["x"]}, "c": "y"}`` (Stripe's form encoding)."""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(form, keep_blank_values=True):
        head, _, rest = key.partition("[")
        parts = [head, *_INDEX.findall("[" + rest)] if rest else [head]
        node: Any = result
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            following = parts[index + 1] if not last else None
            if isinstance(node, list):
                position = int(part)
                while len(node) <= position:
                    node.append(None)
                if last:
                    node[position] = value
                else:
                    if node[position] is None:
                        node[position] = [] if following is not None and following.isdigit() else {}
                    node = node[position]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, [] if following is not None and following.isdigit() else {})
    return result


@dataclass
class Fault:
    """Fail the next ``times`` requests whose path starts with ``path``.

    ``kind``: ``timeout`` (nothing reaches "Stripe"), ``lost`` (Stripe does the work, the answer is
    lost: a timeout after the fact), ``500`` (an error answer), or ``card_declined`` (a 402).
    """

    path: str
    kind: str
    times: int = 1


class StripeFake(stripe.HTTPClient):
    """A stateful stand-in for ``https://api.stripe.com`` at the library's HTTP boundary."""

    name = "stripe-fake"

    def __init__(self) -> None:
        super().__init__()
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.transfers: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, str | None]] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self._keys: dict[str, tuple[str, tuple[str, int, dict[str, str]]]] = {}
        self._lock = threading.RLock()
        self._serial = 0

    # -- the library's interface -------------------------------------------------------------

    def _sleep_time_seconds(self, num_retries: int) -> float:
        return 0.0  # the library's back-off between retries, skipped in tests

    def request(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, **_: Any
    ) -> tuple[str, int, dict[str, str]]:
        path = url.split("://", 1)[-1].split("/", 1)[-1]
        path = "/" + path.split("?", 1)[0]
        key = (headers or {}).get("Idempotency-Key")
        with self._lock:
            self.requests.append((method.upper(), path, key))
            if method.lower() == "post" and not (key and key.startswith(PLATFORM_KEYS)):
                self.violations.append(f"{method.upper()} {path} without a persisted Idempotency-Key ({key})")
                raise AssertionError(self.violations[-1])
            fault = self._fault(path)
            if fault == "timeout":
                raise stripe.APIConnectionError("Request timed out (fake)", should_retry=True)
            if fault == "500":
                return self._error(500, "api_error", "fake server error")
            if fault == "card_declined":
                return self._error(402, "card_error", "Your card was declined.", code="card_declined")
            params = _nested(post_data.decode() if isinstance(post_data, bytes) else post_data or "")
            answer = self._idempotent(method, path, key, params)
            if fault == "lost":
                raise stripe.APIConnectionError(
                    "Read timed out after the request was sent (fake)", should_retry=True
                )
            return answer

    def request_stream(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        return None

    # -- what the tests drive ----------------------------------------------------------------

    def fail_next(self, path: str, kind: str, times: int = 1) -> None:
        self.faults.append(Fault(path, kind, times))

    def posts(self, path_prefix: str) -> list[tuple[str, str, str | None]]:
        return [r for r in self.requests if r[0] == "POST" and r[1].startswith(path_prefix)]

    def succeed(self, intent_id: str) -> dict[str, Any]:
        """The customer pays: the intent succeeds (as the wallet or card confirmation would make it)."""
        with self._lock:
            intent = self.intents[intent_id]
            intent.update(
                status="succeeded",
                amount_received=intent["amount"],
                latest_charge=self._id("ch"),
                next_action=None,
            )
            return json.loads(json.dumps(intent))

    def fail(self, intent_id: str, code: str = "card_declined") -> dict[str, Any]:
        with self._lock:
            intent = self.intents[intent_id]
            intent.update(
                status="requires_payment_method",
                last_payment_error={"code": code, "type": "card_error", "message": "declined (fake)"},
                next_action=None,
            )
            return json.loads(json.dumps(intent))

    def charge_of(self, intent_id: str) -> dict[str, Any]:
        """The charge of a paid intent, as ``charge.refunded`` carries it."""
        intent = self.intents[intent_id]
        refunded = sum(int(r["amount"]) for r in self.refunds.values() if r["payment_intent"] == intent_id)
        return {
            "id": intent["latest_charge"],
            "object": "charge",
            "amount": intent["amount_received"],
            "amount_refunded": refunded,
            "refunded": refunded >= int(intent["amount_received"]),
            "payment_intent": intent_id,
            "status": "succeeded",
        }

    # -- internals ---------------------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}_fake{self._serial:06d}"

    def _fault(self, path: str) -> str | None:
        for fault in self.faults:
            if path.startswith(fault.path) and fault.times > 0:
                fault.times -= 1
                return fault.kind
        return None

    @staticmethod
    def _error(
        status: int, kind: str, message: str, code: str | None = None
    ) -> tuple[str, int, dict[str, str]]:
        body = {"error": {"type": kind, "message": message, **({"code": code} if code else {})}}
        return json.dumps(body), status, {"request-id": "req_fake"}

    def _idempotent(
        self, method: str, path: str, key: str | None, params: dict[str, Any]
    ) -> tuple[str, int, dict[str, str]]:
        if method.lower() != "post" or key is None:
            return self._route(method, path, params)
        digest = hashlib.sha256(json.dumps([path, params], sort_keys=True).encode()).hexdigest()
        if key in self._keys:
            seen, answer = self._keys[key]
            if seen != digest:
                return self._error(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters.",
                )
            return answer[0], answer[1], {**answer[2], "idempotent-replayed": "true"}
        answer = self._route(method, path, params)
        if answer[1] < 500:
            self._keys[key] = (digest, answer)
        return answer

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[str, int, dict[str, str]]:
        parts = [part for part in path.split("/") if part]
        if method.lower() == "post" and parts == ["v1", "payment_intents"]:
            return self._create_intent(params)
        if (
            method.lower() == "post"
            and len(parts) == 4
            and parts[:2] == ["v1", "payment_intents"]
            and parts[3] == "cancel"
        ):
            return self._cancel(parts[2])
        if method.lower() == "get" and len(parts) == 3 and parts[:2] == ["v1", "payment_intents"]:
            found = self.intents.get(parts[2])
            return (
                (json.dumps(found), 200, {})
                if found
                else self._error(404, "invalid_request_error", "No such intent")
            )
        if method.lower() == "post" and parts == ["v1", "refunds"]:
            return self._refund(params)
        if method.lower() == "post" and parts == ["v1", "transfers"]:
            return self._transfer(params)
        return self._error(404, "invalid_request_error", f"Unrecognized request URL ({method} {path})")

    def _create_intent(self, params: dict[str, Any]) -> tuple[str, int, dict[str, str]]:
        intent_id = self._id("pi")
        method = (params.get("payment_method_types") or ["card"])[0]
        confirm = params.get("confirm") == "true"
        next_action: dict[str, Any] | None = None
        status = "requires_payment_method"
        if confirm and method == "alipay":
            status = "requires_action"
            next_action = {
                "type": "alipay_handle_redirect",
                "alipay_handle_redirect": {
                    "url": f"https://hooks.stripe.com/redirect/{intent_id}",
                    "return_url": params.get("return_url"),
                },
            }
        elif confirm and method == "wechat_pay":
            status = "requires_action"
            next_action = {
                "type": "wechat_pay_display_qr_code",
                "wechat_pay_display_qr_code": {
                    "data": f"weixin://wxpay/bizpayurl?pr={intent_id}",
                    "image_data_url": None,
                },
            }
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "amount_received": 0,
            "currency": params["currency"],
            "status": status,
            "client_secret": f"{intent_id}_secret_fake",
            "payment_method_types": params.get("payment_method_types"),
            "payment_method_options": params.get("payment_method_options"),
            "metadata": params.get("metadata") or {},
            "next_action": next_action,
            "latest_charge": None,
            "created": int(clock.now().timestamp()),
            "livemode": False,
        }
        self.intents[intent_id] = intent
        return json.dumps(intent), 200, {"request-id": "req_fake"}

    def _cancel(self, intent_id: str) -> tuple[str, int, dict[str, str]]:
        intent = self.intents.get(intent_id)
        if intent is None:
            return self._error(
                404, "invalid_request_error", "No such payment_intent", code="resource_missing"
            )
        if intent["status"] in {"succeeded", "processing"}:
            return self._error(
                400,
                "invalid_request_error",
                f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}.",
                code="payment_intent_unexpected_state",
            )
        intent.update(status="canceled", next_action=None)
        return json.dumps(intent), 200, {}

    def _refund(self, params: dict[str, Any]) -> tuple[str, int, dict[str, str]]:
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None or intent["status"] != "succeeded":
            return self._error(400, "invalid_request_error", "This PaymentIntent has no successful charge.")
        amount = int(params.get("amount") or intent["amount_received"])
        already = sum(int(r["amount"]) for r in self.refunds.values() if r["payment_intent"] == intent["id"])
        if already + amount > int(intent["amount_received"]):
            return self._error(
                400, "invalid_request_error", "Refund exceeds the charge.", code="charge_already_refunded"
            )
        refund = {
            "id": self._id("re"),
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "charge": intent["latest_charge"],
            "status": "pending" if (intent["payment_method_types"] or ["card"])[0] != "card" else "succeeded",
            "metadata": params.get("metadata") or {},
        }
        self.refunds[refund["id"]] = refund
        return json.dumps(refund), 200, {}

    def _transfer(self, params: dict[str, Any]) -> tuple[str, int, dict[str, str]]:
        transfer = {
            "id": self._id("tr"),
            "object": "transfer",
            "amount": int(params["amount"]),
            "currency": params["currency"],
            "destination": params["destination"],
            "transfer_group": params.get("transfer_group"),
            "metadata": params.get("metadata") or {},
            "created": int(clock.now().timestamp()),
        }
        self.transfers[transfer["id"]] = transfer
        return json.dumps(transfer), 200, {}
