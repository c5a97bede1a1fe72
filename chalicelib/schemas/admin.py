"""Request and response shapes of the administration routes (API.md "Administration")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.basemodel import Model
from chalicelib.schemas.common import ListQuery
from chalicelib.settings.schema import PlatformSettings
from chalicelib.web.schemas import StrictModel

__all__ = [
    "ID_PATTERN",
    "AlertOut",
    "AlertsQuery",
    "AuditEntryOut",
    "AuditLogQuery",
    "HistoryQuery",
    "ReasonBody",
    "RevealedIdNumber",
    "SettingsOut",
    "SettingsPut",
    "SettingsQuery",
    "StaffIn",
    "StaffUserOut",
    "UserDetailOut",
    "UserPatch",
    "UsersQuery",
    "as_period_end",
    "as_period_start",
]

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def as_period_start(value: AwareDatetime | dt.date | None) -> dt.datetime | None:
    """A date means its first instant (Asia/Shanghai)."""
    from chalicelib.clock import SHANGHAI

    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time.min, tzinfo=SHANGHAI)


def as_period_end(value: AwareDatetime | dt.date | None) -> dt.datetime | None:
    """A date means its last instant (Asia/Shanghai): ``to`` is inclusive."""
    from chalicelib.clock import SHANGHAI

    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time.max, tzinfo=SHANGHAI)


class AuditLogQuery(ListQuery):
    actor_id: str | None = Field(None, pattern=ID_PATTERN, description="Who acted.")
    action: str | None = Field(
        None, pattern=r"^[a-z_]+(\.[a-z_]+)*$", max_length=64, description="e.g. `user.suspend`."
    )
    target_id: str | None = Field(None, pattern=ID_PATTERN, description="What was acted on.")
    date_from: AwareDatetime | dt.date | None = Field(None, alias="from", description="Inclusive.")
    to: AwareDatetime | dt.date | None = Field(None, description="Inclusive (a date: its whole day).")


class AuditEntryOut(Model):
    audit_id: str
    at: str
    actor_id: str
    actor_role: str
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    details: dict[str, Any] | None = None
    request_id: str | None = None
    ip: str | None = None


# --- users and staff ------------------------------------------------------------------------

Role = Literal["customer", "worker", "admin", "support"]
StaffRole = Literal["admin", "support"]
AccountStatus = Literal["active", "suspended"]
Group = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[\w\-\u4e00-\u9fff]+$")]


class UsersQuery(ListQuery):
    role: Role | None = None
    status: AccountStatus | None = None
    group: Group | None = None
    q: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="A full phone number or e-mail address finds that user; anything else is a name prefix.",
    )


class UserPatch(StrictModel):
    """Fields to change (each optional); a suspension signs the user out at once."""

    status: AccountStatus | None = None
    groups: list[Group] | None = Field(None, max_length=20)
    level: str | None = Field(None, min_length=1, max_length=32)
    reason: str | None = Field(None, min_length=1, max_length=500)

    @model_validator(mode="after")
    def _something(self) -> UserPatch:
        if not self.model_fields_set - {"reason"}:
            raise PydanticCustomError("nothing_to_change", "send status, groups or level")
        if "status" in self.model_fields_set and self.status is None:
            raise PydanticCustomError("status_required", "status may not be null")
        return self


class StaffIn(StrictModel):
    role: StaffRole
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(min_length=1, max_length=50)


class ReasonBody(StrictModel):
    reason: str = Field(min_length=1, max_length=500)


class StaffUserOut(Model):
    user_id: str
    role: str
    status: str
    name: str
    phone: str | None = Field(None, description="Masked, e.g. `138****5678`.")
    email: str | None = Field(None, description="Masked.")
    groups: list[str] = Field(default_factory=list)
    level: str | None = None
    created_at: str


class UserDetailOut(StaffUserOut):
    status_reason: str | None = None
    worker_status: str | None = None
    id_number: str | None = Field(None, description="Masked; `POST …/reveal-id-number` shows it (audited).")
    blacklisted: bool = False


class RevealedIdNumber(Model):
    user_id: str
    id_number: str


# --- settings -------------------------------------------------------------------------------


class SettingsQuery(Model):
    city: str | None = Field(None, min_length=1, max_length=30, description="Also show what applies there.")


class SettingsPut(StrictModel):
    """A new version: every setting, the per-city overrides, why, and the version it replaces."""

    version: int = Field(ge=0, description="The version read (`GET`); another one saved since is 409.")
    reason: str = Field(min_length=1, max_length=500)
    settings: PlatformSettings
    city_overrides: dict[Annotated[str, Field(min_length=1, max_length=30)], dict[str, Any]] = Field(
        default_factory=dict,
        max_length=100,
        description='Per city: top-level settings that differ there, e.g. `{"上海市": {"commission_basis_points": 1800}}`.',
    )


class SettingsOut(Model):
    version: int
    settings: PlatformSettings
    city_overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    updated_at: str | None = None
    updated_by: str | None = None
    reason: str | None = None
    effective: PlatformSettings | None = Field(
        None, description="With `?city=`: the settings in force there."
    )


class HistoryQuery(ListQuery):
    pass


# --- alerts ---------------------------------------------------------------------------------


class AlertsQuery(ListQuery):
    status: Literal["open", "acknowledged"] = "open"


class AlertOut(Model):
    alert_id: str
    kind: str = Field(description="e.g. `refund_failed`, `support_sla_breach`, `payout_failed`, `dlq_depth`.")
    subject: str
    status: str
    details: dict[str, Any] = Field(default_factory=dict)
    created_at: str
    acknowledged_at: str | None = None
    acknowledged_by: str | None = None
