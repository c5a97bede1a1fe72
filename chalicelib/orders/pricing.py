"""What an order costs: computed on the server from the service, never taken from the client.

Rule per price unit (``price_min`` is the service's base rate in fen; ``price_max`` only tells
customers the range larger jobs may reach after an on-site quote, which is not an order's price):

| unit        | price                                  | duration                                   |
|-------------|----------------------------------------|--------------------------------------------|
| per_hour    | ``price_min × minutes / 60``, rounded half up to the fen | the customer's ``duration_minutes``, a multiple of 30, from the service's own duration up to 12 h |
| per_visit   | ``price_min``                          | the service's duration                    |
| per_day     | ``price_min`` (one day)                | the service's duration (one working day)   |
| per_month   | ``price_min`` (one month)              | the service's duration (the first day)     |
| per_term    | ``price_min`` (one 26-day term)        | the service's duration (the first day)     |

Only hourly services take a ``duration_minutes`` other than the service's own: any other unit
answers 422 ``duration_not_adjustable`` for a different one, since the price would not follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.errors import ValidationFailed

__all__ = ["GRID_MINUTES", "MAX_HOURLY_MINUTES", "Price", "quote"]

GRID_MINUTES = 30
MAX_HOURLY_MINUTES = 12 * 60


@dataclass(frozen=True)
class Price:
    """An order's price and the duration it pays for."""

    amount: int  # fen
    currency: str
    duration_minutes: int


def _invalid(code: str, message: str) -> ValidationFailed:
    return ValidationFailed(details=[{"field": "duration_minutes", "code": code, "message": message}])


def quote(
    *,
    price_unit: str,
    price_min: int,
    service_minutes: int,
    currency: str = "CNY",
    duration_minutes: int | None = None,
) -> Price:
    """The price of one order of a service; 422 on ``duration_minutes`` when it cannot apply."""
    if price_unit == "per_hour":
        minutes = service_minutes if duration_minutes is None else duration_minutes
        if minutes % GRID_MINUTES:
            raise _invalid("invalid_duration", f"a multiple of {GRID_MINUTES} minutes")
        if not service_minutes <= minutes <= MAX_HOURLY_MINUTES:
            raise _invalid("invalid_duration", f"between {service_minutes} and {MAX_HOURLY_MINUTES} minutes")
        amount = (price_min * minutes * 2 + 60) // 120  # half up, integers only
        return Price(amount, currency, minutes)
    if duration_minutes is not None and duration_minutes != service_minutes:
        raise _invalid("duration_not_adjustable", f"a {price_unit} service lasts {service_minutes} minutes")
    return Price(price_min, currency, service_minutes)
