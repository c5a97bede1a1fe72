"""Request and response bodies of the Accounts endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, HttpUrl, field_validator, model_validator

from chalicelib.accounts.policy import POLICY, password_problem
from chalicelib.basemodel import Model
from chalicelib.schemas.common import ListQuery
from chalicelib.web.schemas import StrictModel

__all__ = [
    "AddressIn",
    "AddressOut",
    "AddressPatch",
    "AuthResult",
    "ChangePasswordRequest",
    "CodeRequest",
    "CodeSent",
    "EmergencyContact",
    "InboxQuery",
    "LoginRequest",
    "NotificationOut",
    "OAuthRequest",
    "ProfilePatch",
    "RefreshRequest",
    "RegisterRequest",
    "ResetPasswordRequest",
    "Tokens",
    "UserOut",
]

Phone = Field(None, min_length=5, max_length=32, description="Mobile number; mainland numbers may omit +86.")
Email = Field(None, min_length=3, max_length=254)
Code = Field(pattern=r"^\d{6}$", description="The 6-digit code that was sent.")
Name = Field(min_length=1, max_length=50)


def _strong(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    return password


def _coordinate(value: float | None) -> float | None:
    """Seven decimals (about 1 cm): DynamoDB cannot store numbers below 1e-130."""
    return None if value is None else round(value, 7)


Password = Field(min_length=POLICY.password_min_length, max_length=POLICY.password_max_length)


class CodeRequest(StrictModel):
    channel: Literal["sms", "email"]
    target: str = Field(min_length=3, max_length=254, description="Phone number for sms, address for email.")
    purpose: Literal["register", "login", "reset_password"]


class CodeSent(Model):
    expires_in: int = Field(description="Seconds the code stays valid.")


class RegisterRequest(StrictModel):
    phone: str | None = Phone
    email: str | None = Email
    code: str = Code
    password: str = Password
    name: str = Name
    role: Literal["customer", "worker"]

    _password = field_validator("password")(_strong)


class LoginRequest(StrictModel):
    """Give ``phone`` or ``email``, and ``password`` or ``code``."""

    phone: str | None = Phone
    email: str | None = Email
    password: str | None = Field(None, min_length=1, max_length=128)
    code: str | None = Field(None, pattern=r"^\d{6}$")

    @model_validator(mode="after")
    def _one_secret(self) -> LoginRequest:
        if (self.password is None) == (self.code is None):
            raise ValueError("give exactly one of password, code")
        return self


class OAuthRequest(StrictModel):
    id_token: str = Field(min_length=10, max_length=8192)


class RefreshRequest(StrictModel):
    refresh_token: str = Field(min_length=10, max_length=512)


class ResetPasswordRequest(StrictModel):
    phone: str | None = Phone
    email: str | None = Email
    code: str = Code
    new_password: str = Password

    _password = field_validator("new_password")(_strong)


class ChangePasswordRequest(StrictModel):
    old_password: str = Field(min_length=1, max_length=128)
    new_password: str = Password

    _password = field_validator("new_password")(_strong)


class EmergencyContact(StrictModel):
    name: str = Name
    phone: str = Field(min_length=5, max_length=32)
    relation: str = Field(min_length=1, max_length=20, description="e.g. 配偶, 子女, 父母, 朋友")


class UserOut(Model):
    user_id: str
    role: Literal["customer", "worker", "admin", "support"]
    status: str
    name: str
    phone: str | None
    email: str | None
    avatar_url: str | None
    emergency_contact: EmergencyContact | None
    created_at: datetime


class Tokens(Model):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class AuthResult(Tokens):
    user: UserOut


class ProfilePatch(StrictModel):
    name: str | None = Field(None, min_length=1, max_length=50)
    avatar_url: HttpUrl | None = None
    emergency_contact: EmergencyContact | None = None


class AddressIn(StrictModel):
    label: str | None = Field(None, max_length=20, description="e.g. 家, 父母家, 公司")
    contact_name: str = Name
    contact_phone: str = Field(min_length=5, max_length=32)
    city: str = Field(min_length=1, max_length=30)
    district: str = Field(min_length=1, max_length=30)
    detail: str = Field(min_length=1, max_length=200)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    is_default: bool = False

    _coordinates = field_validator("lat", "lng")(lambda value: _coordinate(value))


class AddressPatch(StrictModel):
    """Fields to change; ``label``, ``lat`` and ``lng`` may be cleared with ``null``, the rest not."""

    label: str | None = Field(None, max_length=20)
    contact_name: str = Field(None, min_length=1, max_length=50)  # type: ignore[assignment]
    contact_phone: str = Field(None, min_length=5, max_length=32)  # type: ignore[assignment]
    city: str = Field(None, min_length=1, max_length=30)  # type: ignore[assignment]
    district: str = Field(None, min_length=1, max_length=30)  # type: ignore[assignment]
    detail: str = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    is_default: bool = Field(None)  # type: ignore[assignment]

    _coordinates = field_validator("lat", "lng")(lambda value: _coordinate(value))


class AddressOut(Model):
    address_id: str
    label: str | None
    contact_name: str
    contact_phone: str
    city: str
    district: str
    detail: str
    lat: float | None
    lng: float | None
    is_default: bool
    created_at: datetime


class NotificationOut(Model):
    notification_id: str
    kind: str = Field(description="e.g. order.paid, order.assigned, order.reminder, worker.approved")
    title: str
    body: str
    order_id: str | None = None
    read: bool
    created_at: datetime


class InboxQuery(ListQuery):
    unread: bool = False
