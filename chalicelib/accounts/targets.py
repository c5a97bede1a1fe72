"""A sign-in target: a normalised phone number or e-mail address and its blind index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chalicelib.accounts.identifiers import check_deliverable_email, normalize_email, normalize_phone
from chalicelib.crypto import blind_index
from chalicelib.errors import ValidationFailed
from chalicelib.observability import mask_email, mask_phone

__all__ = ["Channel", "Target", "target_from"]

Channel = Literal["sms", "email"]


@dataclass(frozen=True)
class Target:
    """``kind`` is ``phone`` or ``email``; ``value`` is normalised."""

    kind: Literal["phone", "email"]
    value: str

    @property
    def channel(self) -> Channel:
        return "sms" if self.kind == "phone" else "email"

    @property
    def blind(self) -> str:
        return blind_index(self.kind, self.value)

    @property
    def masked(self) -> str:
        return mask_phone(self.value) if self.kind == "phone" else mask_email(self.value)


def target_from(
    *, phone: str | None = None, email: str | None = None, field: str | None = None, new_account: bool = False
) -> Target:
    """Exactly one of ``phone``/``email``, normalised; 422 naming the field otherwise.

    Look-ups (sign-in, reset, codes for them) only normalise, so every address the platform holds
    is found again. ``new_account`` also refuses an e-mail address mail cannot reach, because a
    new account's address is where its codes go.
    """
    if bool(phone) == bool(email):
        raise ValidationFailed(
            details=[
                {
                    "field": "phone|email",
                    "code": "one_required",
                    "message": "give exactly one of phone, email",
                }
            ]
        )
    try:
        if phone:
            return Target("phone", normalize_phone(phone))
        address = normalize_email(email or "")
        if new_account:
            check_deliverable_email(address)
        return Target("email", address)
    except ValueError as error:
        raise ValidationFailed(
            details=[
                {"field": field or ("phone" if phone else "email"), "code": "invalid", "message": str(error)}
            ]
        ) from error
