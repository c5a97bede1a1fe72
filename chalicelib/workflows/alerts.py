"""Ops alerts: something operators must act on (a refund that kept failing), recorded once.

``ALERT#<kind>#<subject> / ALERT`` is written with a must-not-exist condition, in one transaction
with whatever else records the failure (the order's timeline event), so a retried step opens
one alert and writes one event. gsi1 ``ALERTS#open`` / ``<created_at>#<kind>#<subject>`` lists
the open alerts newest first, for operators, without a Scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError

from chalicelib import clock
from chalicelib.models.base import MainItem, cancellation_reasons, transact_write

__all__ = ["OPEN_ALERTS", "Alert", "OpsAlertItem", "open_alert"]

OPEN_ALERTS = "ALERTS#open"


class OpsAlertItem(MainItem):
    """``ALERT#<kind>#<subject> / ALERT``; gsi1 ``ALERTS#open`` / ``<created_at>#<kind>#<subject>``."""

    kind = UnicodeAttribute()
    subject = UnicodeAttribute()
    status = UnicodeAttribute(default="open")
    details = JSONAttribute(null=True)
    created_at = UnicodeAttribute()
    acknowledged_at = UnicodeAttribute(null=True)  # by an operator (``chalicelib.admin.alerts``)
    acknowledged_by = UnicodeAttribute(null=True)

    @staticmethod
    def key(kind: str, subject: str) -> tuple[str, str]:
        return f"ALERT#{kind}#{subject}", "ALERT"


@dataclass(frozen=True)
class Alert:
    """An alert as opened; ``new`` is False when an earlier attempt had opened it already."""

    kind: str
    subject: str
    created_at: str
    details: dict[str, Any]
    new: bool


def _alert(item: OpsAlertItem, *, new: bool) -> Alert:
    return Alert(
        kind=item.kind,
        subject=item.subject,
        created_at=item.created_at,
        details=dict(item.details or {}),
        new=new,
    )


def open_alert(
    kind: str,
    subject: str,
    details: dict[str, Any],
    *,
    at: str | None = None,
    together_with: Sequence[MainItem] = (),
) -> Alert:
    """Open the ``kind`` alert about ``subject`` and save ``together_with`` in the same transaction.

    When the alert is open already nothing is written and the existing alert is returned, so the
    items of ``together_with`` are written exactly once too. ``at`` defaults to now.
    """
    at = at or clock.iso()
    pk, sk = OpsAlertItem.key(kind, subject)
    item = OpsAlertItem(
        pk,
        sk,
        kind=kind,
        subject=subject,
        details=details,
        created_at=at,
        gsi1pk=OPEN_ALERTS,
        gsi1sk=f"{at}#{kind}#{subject}",
    )
    try:
        with transact_write() as transaction:
            transaction.save(item, condition=OpsAlertItem.pk.does_not_exist())
            for other in together_with:
                transaction.save(other)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" not in cancellation_reasons(error):
            raise
        return _alert(OpsAlertItem.get(pk, sk, consistent_read=True), new=False)
    return _alert(item, new=True)
