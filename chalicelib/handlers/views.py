"""Mapping domain views to API response models (one place, so handlers stay one-liners)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from chalicelib.schemas.accounts import AddressOut, AuthResult, NotificationOut, Tokens, UserOut

if TYPE_CHECKING:
    from chalicelib.accounts.addresses import AddressView
    from chalicelib.accounts.inbox import InboxEntry
    from chalicelib.accounts.sessions import TokenPair
    from chalicelib.accounts.users import UserView

__all__ = ["address_out", "auth_result", "notification_out", "tokens_out", "user_out"]


def user_out(view: UserView) -> UserOut:
    return UserOut.model_validate(asdict(view))


def tokens_out(pair: TokenPair) -> Tokens:
    return Tokens(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


def auth_result(view: UserView, pair: TokenPair) -> AuthResult:
    return AuthResult(
        user=user_out(view),
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
    )


def address_out(view: AddressView) -> AddressOut:
    return AddressOut.model_validate(asdict(view))


def notification_out(entry: InboxEntry) -> NotificationOut:
    return NotificationOut.model_validate(asdict(entry))
