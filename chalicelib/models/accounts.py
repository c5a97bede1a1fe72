"""Account items: users, their unique identifiers, sessions, codes, guards and addresses."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from chalicelib.models.base import MainItem

__all__ = [
    "AddressItem",
    "CodeItem",
    "CounterItem",
    "IdentityItem",
    "LoginGuardItem",
    "NotificationItem",
    "OutboxItem",
    "SessionItem",
    "UserItem",
]


class UserItem(MainItem):
    """``USER#<id> / PROFILE``; gsi2 lists users by role, newest first."""

    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    status = UnicodeAttribute(default="active")
    name = UnicodeAttribute()
    phone_enc = UnicodeAttribute(null=True)
    email_enc = UnicodeAttribute(null=True)
    phone_masked = UnicodeAttribute(null=True)
    email_masked = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute(null=True)
    avatar_url = UnicodeAttribute(null=True)
    emergency_contact = JSONAttribute(null=True)
    default_address_id = UnicodeAttribute(null=True)
    address_count = NumberAttribute(null=True)
    groups = ListAttribute(of=UnicodeAttribute, null=True)
    level = UnicodeAttribute(null=True)
    status_reason = UnicodeAttribute(null=True)  # why an admin suspended the account
    revision = NumberAttribute(null=True)  # bumped by every admin change (optimistic concurrency)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", "PROFILE"


class IdentityItem(MainItem):
    """``IDENT#<kind>#<blind index> / IDENT``: makes a phone, e-mail or OIDC subject unique."""

    user_id = UnicodeAttribute()
    kind = UnicodeAttribute()

    @staticmethod
    def key(kind: str, blind: str) -> tuple[str, str]:
        return f"IDENT#{kind}#{blind}", "IDENT"


class CodeItem(MainItem):
    """``CODE#<purpose>#<channel>#<blind> / CODE``: the one live verification code of a target."""

    code_hash = UnicodeAttribute()
    expires_at = NumberAttribute()
    sent_at = NumberAttribute()
    tries = NumberAttribute(default=0)

    @staticmethod
    def key(purpose: str, channel: str, blind: str) -> tuple[str, str]:
        return f"CODE#{purpose}#{channel}#{blind}", "CODE"


class CounterItem(MainItem):
    """``RATE#<scope>#<key>#<window> / RATE``: a fixed-window counter, gone by TTL."""

    hits = NumberAttribute(default=0)


class LoginGuardItem(MainItem):
    """``LOGIN#<blind> / GUARD``: failed sign-ins of one identifier, existing account or not."""

    failures = NumberAttribute(default=0)
    window_started = NumberAttribute(default=0)
    locked_until = NumberAttribute(default=0)

    @staticmethod
    def key(blind: str) -> tuple[str, str]:
        return f"LOGIN#{blind}", "GUARD"


class SessionItem(MainItem):
    """``SESSION#<id> / SESSION``: one refresh-token family; gsi1 lists a user's sessions."""

    session_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    token_hash = UnicodeAttribute()
    revoked = BooleanAttribute(default=False)
    expires_at = NumberAttribute()
    created_at = UnicodeAttribute()
    rotated_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(session_id: str) -> tuple[str, str]:
        return f"SESSION#{session_id}", "SESSION"


class AddressItem(MainItem):
    """``USER#<id> / ADDR#<address id>``: a service address of a customer."""

    address_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    contact_name = UnicodeAttribute()
    contact_phone_enc = UnicodeAttribute()
    contact_phone_masked = UnicodeAttribute()
    city = UnicodeAttribute()
    district = UnicodeAttribute()
    detail = UnicodeAttribute()
    lat = NumberAttribute(null=True)
    lng = NumberAttribute(null=True)
    created_at = UnicodeAttribute()

    @staticmethod
    def key(user_id: str, address_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"ADDR#{address_id}"


class NotificationItem(MainItem):
    """``USER#<id> / NOTIF#<ulid>``: one entry of the in-app inbox (ULIDs sort by time)."""

    notification_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)
    read = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()


class OutboxItem(MainItem):
    """``OUTBOX / <sent at>#<id>``, gsi1 ``OUTBOX#<target>``: what the local stage "sent"."""

    channel = UnicodeAttribute()
    target = UnicodeAttribute()
    subject = UnicodeAttribute(null=True)
    body = UnicodeAttribute()
    sent_at = UnicodeAttribute()
