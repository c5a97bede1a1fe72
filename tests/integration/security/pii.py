"""What a run wrote where a reader other than the data's owner could see it, and a PII scanner.

:class:`Capture` records every answer an :class:`Http` gave, every log line of the app's logger
(at DEBUG, through the app's own masking formatter) and the body of every message the app sent
to EventBridge, SQS, SNS, Step Functions and the Scheduler (botocore's ``before-send``).
:func:`findings` looks for full phone numbers, e-mail addresses, resident ID numbers, card
numbers (Luhn-valid runs of 13-19 digits) and tokens (JWTs, refresh tokens).
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

PATTERNS = {
    # Numbers stand alone: the same digits inside an id (a UUID's hex, a ULID) are no phone.
    "phone": re.compile(r"(?<![\dA-Za-z])(?:\+?86)?1[3-9]\d{9}(?![\dA-Za-z])"),
    "e-mail": re.compile(r"[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    "id number": re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])"),
    "token": re.compile(
        r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+|\brt_[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"
    ),
}
_DIGITS = re.compile(r"(?<![\dA-Za-z])\d{13,19}(?![\dA-Za-z])")
SENDING = (
    "PutEvents",
    "SendMessage",
    "SendMessageBatch",
    "Publish",
    "SendEmail",
    "StartExecution",
    "CreateSchedule",
)


def luhn(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def findings(text: str) -> list[tuple[str, str]]:
    """``(kind, match)`` for every piece of PII in ``text``."""
    found = [(kind, m.group(0)) for kind, pattern in PATTERNS.items() for m in pattern.finditer(text)]
    found += [("card number", m.group(0)) for m in _DIGITS.finditer(text) if luhn(m.group(0))]
    return found


@dataclass
class Capture:
    responses: list[tuple[str, str, int, str]] = field(default_factory=list)  # method, path, status, body
    logs: io.StringIO = field(default_factory=io.StringIO)
    messages: list[tuple[str, str]] = field(default_factory=list)  # operation, body

    def record_message(self, request: Any, **_: Any) -> None:
        target = str(request.headers.get("X-Amz-Target", b"") or "")
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        operation = next((name for name in SENDING if name in target or f"Action={name}" in body), None)
        if operation:
            self.messages.append((operation, body))


@contextmanager
def captured(http: Any, monkeypatch: Any) -> Iterator[Capture]:
    """Record what ``http`` answers, what the app logs and what it sends, for the block's length."""
    from chalicelib.observability import logger
    from tests.integration.boundary import hooked_clients

    capture = Capture()
    handler = logging.StreamHandler(capture.logs)
    handler.setFormatter(logger.registered_formatter)
    inner = logging.getLogger(logger.name)
    level = inner.level
    inner.addHandler(handler)
    inner.setLevel(logging.DEBUG)
    original = http.call

    def call(method: str, path: str, body: Any = None, token: str | None = None, **headers: str) -> Any:
        response = original(method, path, body, token, **headers)
        text = json.dumps(response.json, ensure_ascii=False)
        capture.responses.append((method, path, response.status_code, text))
        return response

    http.call = call
    try:
        with hooked_clients(monkeypatch, {"before-send": capture.record_message}):
            yield capture
    finally:
        http.call = original
        inner.removeHandler(handler)
        inner.setLevel(level)
