"""Structured logs, metrics and traces through Powertools, with personal data masked.

Every log line passes through :class:`MaskingFormatter`, so a phone number, e-mail address,
verification code or token never reaches CloudWatch in clear even if a careless ``logger.info``
includes one. The X-Ray SDK costs ~300 ms of import, so the tracer is created only on Lambda
with tracing switched on (see :func:`tracer`), never on the import path of ``app.py``.
"""

from __future__ import annotations

import logging
import os
import re
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import LogRecord

__all__ = [
    "flush_metrics",
    "logger",
    "mask_email",
    "mask_phone",
    "mask_text",
    "metrics",
    "powertools_middleware",
    "tracer",
]

_PHONE = re.compile(r"(?<![\w])(\+?86)?(1[3-9]\d)(\d{4})(\d{4})(?!\w)")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_REFRESH = re.compile(r"\brt_[A-Za-z0-9_.-]{8,}")
_ID_NUMBER = re.compile(r"(?<!\w)(\d{4})\d{10}(\d{3}[\dXx])(?!\w)")
_CODE = re.compile(r"(?<![\w.:-])\d{6}(?![\w.:-])")


def mask_phone(phone: str) -> str:
    """``13812345678`` -> ``138****5678``."""
    digits = phone[-11:]
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****"


def mask_email(email: str) -> str:
    """``zhang.wei@example.com`` -> ``z***@example.com``."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_text(text: str) -> str:
    """Mask every phone, e-mail, token and 6-digit code inside free text."""
    text = _JWT.sub("eyJ***", text)
    text = _REFRESH.sub("rt_***", text)
    text = _EMAIL.sub(r"\1***@\2", text)
    text = _ID_NUMBER.sub(r"\1**********\2", text)
    text = _PHONE.sub(lambda m: f"{m.group(2)}****{m.group(4)}", text)
    return _CODE.sub("******", text)


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter with :func:`mask_text` applied to the finished line."""

    def serialize(self, log: LogRecord) -> str:
        return mask_text(super().serialize(log))


logger = Logger(
    service=os.environ.get("POWERTOOLS_SERVICE_NAME", "jiazheng"), logger_formatter=MaskingFormatter()
)
# botocore reports every endpoint and credential look-up at INFO: noise, not events.
logging.getLogger("botocore").setLevel(logging.WARNING)

metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Jiazheng"))


@lru_cache(maxsize=1)
def tracer() -> Any:
    """The Powertools tracer, created on first use (only Lambda with X-Ray switched on uses it)."""
    from aws_lambda_powertools import Tracer

    return Tracer()


def _on_lambda_with_tracing() -> bool:
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and os.environ.get(
        "POWERTOOLS_TRACE_DISABLED", "false"
    ).lower() not in ("1", "true")


def flush_metrics() -> None:
    """Publish this invocation's metrics as EMF (or drop them where metrics are switched off)."""
    from aws_lambda_powertools.metrics.functions import is_metrics_disabled

    if not metrics.metric_set:
        return
    if is_metrics_disabled():
        metrics.clear_metrics()
    else:
        metrics.flush_metrics()


def powertools_middleware(event: Any, get_response: Any) -> Any:
    """Chalice middleware for every function: Lambda context in the logs, a trace, metrics out."""
    context = getattr(event, "lambda_context", None) or getattr(event, "context", None)
    request_id = getattr(context, "aws_request_id", None)
    # Per-thread keys: the local server runs requests on threads, and a process-global key would
    # label one request's lines with another's id (on Lambda the one thread is simply reused).
    logger.thread_safe_clear_keys()
    if request_id:
        logger.thread_safe_append_keys(function_request_id=request_id, cold_start=_cold_start())
    try:
        if _on_lambda_with_tracing():
            with tracer().provider.in_subsegment(f"## {type(event).__name__}"):
                return get_response(event)
        return get_response(event)
    finally:
        flush_metrics()


_warm = False


def _cold_start() -> bool:
    global _warm
    cold, _warm = not _warm, True
    return cold
