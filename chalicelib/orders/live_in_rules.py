"""The rule values of live-in work (月嫂 terms, 住家 months), in one place.

The deposit share and the rest days of a live-in month are admin settings
(``chalicelib.settings.current``, cached); the limits that keep a booking inside one DynamoDB
transaction stay in code. Every use case reads them through :func:`live_in_rules`, never the
constant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from chalicelib.settings.current import current_settings

__all__ = ["DEFAULTS", "LiveInRules", "live_in_rules"]


@dataclass(frozen=True)
class LiveInRules:
    """How long a live-in booking may hold a worker, and how its money is split.

    ``max_held_days``: the most days one booking (the term and its start window) holds; every
    held day is one item of the booking's transaction (100 items at most, four of which the
    order, its event, the unpaid slot and the idempotency record take), so it must stay <= 90.
    ``max_months``: how many months a ``per_month`` booking may name (more by extending).
    ``max_window_days``: a 月嫂 term may start this many days either side of the due date.
    ``max_extension_days``: the most days one extension adds (one transaction, as above).
    ``rest_days_per_month``: the worker's days off in a ``per_month`` live-in month (still held:
    she lives in, and the family plans around them).
    ``deposit_basis_points``: the deposit (定金) taken at booking, of the price.
    ``balance_due_hours``: the balance (尾款) is due this long before the start.
    ``contact_reveal_minutes``: the assigned worker sees the real phone this long before the start.
    """

    max_held_days: int = 90
    max_months: int = 2
    max_window_days: int = 7
    max_extension_days: int = 62
    rest_days_per_month: int = 4
    deposit_basis_points: int = 3000
    balance_due_hours: int = 72
    contact_reveal_minutes: int = 60


DEFAULTS = LiveInRules()


def live_in_rules() -> LiveInRules:
    """The rules in force: the admin settings' deposit share and rest days over the defaults."""
    settings = current_settings()
    return replace(
        DEFAULTS,
        deposit_basis_points=settings.live_in_deposit_basis_points,
        rest_days_per_month=settings.live_in_rest_days_per_month,
    )
