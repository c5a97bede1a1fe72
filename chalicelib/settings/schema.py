"""What an admin may set, with the ranges that keep the platform sane (pydantic: 422 outside them).

The defaults are the rules the code shipped with, so a stage whose admins never saved settings
behaves exactly as before. Money in fen, rates in basis points (1/100 of a percent), so nothing
is a float.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.basemodel import Model
from chalicelib.catalog.categories import CATEGORY_CODES
from chalicelib.orders.policy import DEFAULT_POLICY, POLICIES

__all__ = [
    "CancellationTerms",
    "MatchingRound",
    "PlatformSettings",
    "WithdrawalRules",
    "apply_override",
    "validate_overrides",
]

_STRICT = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class CancellationTerms(Model):
    """One category's cancellation window and fee (``chalicelib.orders.policy``)."""

    model_config = _STRICT

    free_until_hours: int = Field(
        ge=0, le=720, description="Free cancellation until this long before the start."
    )
    fee_percent: int = Field(ge=0, le=100, description="Of the price, kept when cancelled later.")
    locked_within_hours: int = Field(ge=0, le=168, description="No customer change this close to the start.")

    @model_validator(mode="after")
    def _windows_nest(self) -> CancellationTerms:
        if self.locked_within_hours > self.free_until_hours:
            raise PydanticCustomError(
                "windows_overlap", "locked_within_hours may not exceed free_until_hours"
            )
        return self


class MatchingRound(Model):
    """How many more workers a matching round asks and how long it waits for one to accept."""

    model_config = _STRICT

    workers: int = Field(ge=1, le=100)
    minutes: int = Field(ge=1, le=240)


class WithdrawalRules(Model):
    """A worker's withdrawals (read through ``chalicelib.payouts.rules.payout_rules``)."""

    model_config = _STRICT

    minimum_fen: int = Field(10_000, ge=100, le=10_000_000)
    daily_cap_fen: int = Field(5_000_000, ge=100, le=100_000_000)
    fee_fen: int = Field(0, ge=0, le=10_000)

    @model_validator(mode="after")
    def _minimum_below_cap(self) -> WithdrawalRules:
        if self.minimum_fen > self.daily_cap_fen:
            raise PydanticCustomError("minimum_above_cap", "minimum_fen may not exceed daily_cap_fen")
        if self.fee_fen >= self.minimum_fen:
            raise PydanticCustomError("fee_above_minimum", "fee_fen must be below minimum_fen")
        return self


def _terms(policy: Any) -> CancellationTerms:
    return CancellationTerms(
        free_until_hours=policy.free_until_hours,
        fee_percent=policy.fee_percent,
        locked_within_hours=policy.locked_within_hours,
    )


Hours = Annotated[int, Field(ge=1, le=168)]


class PlatformSettings(Model):
    """Every editable rule. A PUT sends all of them (what it leaves out falls back to the default)."""

    model_config = _STRICT

    commission_basis_points: int = Field(
        2000, ge=0, le=5000, description="The platform's take of a completed order."
    )
    dispute_window_days: int = Field(
        2,
        ge=1,
        le=30,
        description="After completion, the worker's share stays pending this long (a customer may dispute).",
    )
    cancellation: dict[str, CancellationTerms] = Field(
        default_factory=lambda: {code: _terms(policy) for code, policy in POLICIES.items()},
        description="Per category code; categories not listed use `default_cancellation`.",
    )
    default_cancellation: CancellationTerms = Field(default_factory=lambda: _terms(DEFAULT_POLICY))
    acceptance_timeout_minutes: int = Field(
        60, ge=5, le=1440, description="A chosen worker's time to accept."
    )
    reminder_offsets_hours: list[Hours] = Field(
        default_factory=lambda: [24, 2],
        min_length=1,
        max_length=4,
        description="Reminders this long before the start.",
    )
    withdrawal: WithdrawalRules = Field(default_factory=WithdrawalRules)
    support_first_response_hours: int = Field(
        4, ge=1, le=72, description="SLA: a ticket's first staff reply."
    )
    matching_rounds: list[MatchingRound] = Field(
        default_factory=lambda: [
            MatchingRound(workers=3, minutes=20),
            MatchingRound(workers=10, minutes=20),
            MatchingRound(workers=30, minutes=30),
        ],
        min_length=1,
        max_length=5,
    )
    live_in_deposit_basis_points: int = Field(
        3000, ge=0, le=10000, description="Live-in orders: deposit share."
    )
    live_in_rest_days_per_month: int = Field(
        4, ge=0, le=8, description="Live-in months: the worker's days off a month (still held)."
    )

    @field_validator("cancellation")
    @classmethod
    def _known_categories(cls, value: dict[str, CancellationTerms]) -> dict[str, CancellationTerms]:
        unknown = sorted(set(value) - CATEGORY_CODES)
        if unknown:
            raise PydanticCustomError(
                "unknown_category", "unknown categories: {unknown}", {"unknown": unknown}
            )
        return value

    @field_validator("reminder_offsets_hours")
    @classmethod
    def _distinct_offsets(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise PydanticCustomError("duplicate_offsets", "reminder offsets must differ")
        return sorted(value, reverse=True)

    def commission(self, amount: int) -> int:
        """The platform's commission on ``amount`` fen, rounded half up to the fen."""
        return (amount * self.commission_basis_points + 5000) // 10000

    def cancellation_for(self, category: str) -> CancellationTerms:
        return self.cancellation.get(category, self.default_cancellation)


def apply_override(base: PlatformSettings, override: dict[str, Any]) -> PlatformSettings:
    """``base`` with a city's override (top-level keys replaced); validated as a whole."""
    return PlatformSettings.model_validate({**base.model_dump(), **override})


def validate_overrides(base: PlatformSettings, overrides: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """422 details for every city override that names an unknown key or breaks a range."""
    from pydantic import ValidationError

    details: list[dict[str, Any]] = []
    for city, override in overrides.items():
        for key in sorted(set(override) - set(PlatformSettings.model_fields)):
            details.append(
                {
                    "field": f"city_overrides.{city}.{key}",
                    "code": "extra_forbidden",
                    "message": "unknown setting",
                }
            )
        try:
            apply_override(
                base, {key: value for key, value in override.items() if key in PlatformSettings.model_fields}
            )
        except ValidationError as error:
            for item in error.errors(include_url=False, include_input=False):
                path = ".".join(str(part) for part in item["loc"])
                details.append(
                    {"field": f"city_overrides.{city}.{path}", "code": item["type"], "message": item["msg"]}
                )
    return details
