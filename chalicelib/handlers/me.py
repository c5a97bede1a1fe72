"""The signed-in user's own account: profile, password, addresses and inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.handlers.views import address_out, notification_out, user_out
from chalicelib.lazy import lazy_import
from chalicelib.schemas.accounts import (
    AddressIn,
    AddressOut,
    AddressPatch,
    ChangePasswordRequest,
    InboxQuery,
    NotificationOut,
    ProfilePatch,
    UserOut,
)
from chalicelib.web import ANY_ROLE, Api, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.accounts import addresses, inbox, profile, users
else:
    addresses = lazy_import("chalicelib.accounts.addresses")
    inbox = lazy_import("chalicelib.accounts.inbox")
    profile = lazy_import("chalicelib.accounts.profile")
    users = lazy_import("chalicelib.accounts.users")

api = Api("me")


@api.get("/v1/me", roles=ANY_ROLE, response=UserOut)
def get_me(request: Request[Any]) -> UserOut:
    """The caller's profile."""
    return user_out(users.user_view(users.get_user(request.principal.user_id)))


@api.patch("/v1/me", roles=ANY_ROLE, body=ProfilePatch, response=UserOut)
def patch_me(request: Request[ProfilePatch]) -> UserOut:
    """Change name, avatar or emergency contact (send ``null`` to clear avatar or contact)."""
    changes = request.body.model_dump(mode="json", exclude_unset=True)
    return user_out(profile.update_profile(request.principal.user_id, changes))


@api.put("/v1/me/password", roles=ANY_ROLE, body=ChangePasswordRequest, status=204)
def change_password(request: Request[ChangePasswordRequest]) -> None:
    """Change the password; every other session is signed out."""
    principal = request.principal
    users.change_password(
        principal.user_id,
        principal.session_id,
        request.body.old_password,
        request.body.new_password,
        request.locale,
    )


@api.get("/v1/me/addresses", roles=ANY_ROLE, response=Page[AddressOut])
def list_addresses(request: Request[Any]) -> Page[AddressOut]:
    """Saved service addresses, the default first (at most 20, so one page)."""
    items = [address_out(view) for view in addresses.list_addresses(request.principal.user_id)]
    return Page[AddressOut](items=items, next_cursor=None)


@api.post("/v1/me/addresses", roles=ANY_ROLE, body=AddressIn, response=AddressOut, status=201, errors=(409,))
def create_address(request: Request[AddressIn]) -> AddressOut:
    """Save an address; the first one becomes the default."""
    return address_out(addresses.create_address(request.principal.user_id, request.body.model_dump()))


@api.patch(
    "/v1/me/addresses/{address_id}", roles=ANY_ROLE, body=AddressPatch, response=AddressOut, errors=(404,)
)
def update_address(request: Request[AddressPatch]) -> AddressOut:
    """Edit an address; ``is_default: true`` makes it the default."""
    changes = request.body.model_dump(exclude_unset=True)
    return address_out(
        addresses.update_address(request.principal.user_id, request.path["address_id"], changes)
    )


@api.delete("/v1/me/addresses/{address_id}", roles=ANY_ROLE, status=204, errors=(404, 409))
def delete_address(request: Request[Any]) -> None:
    """Delete an address; if it was the default, the newest other one becomes the default."""
    addresses.delete_address(request.principal.user_id, request.path["address_id"])


@api.get("/v1/me/notifications", roles=ANY_ROLE, query=InboxQuery, response=Page[NotificationOut])
def list_notifications(request: Request[Any]) -> Page[NotificationOut]:
    """The in-app inbox, newest first (``?unread=true`` for unread only)."""
    query: InboxQuery = request.query
    entries, cursor = inbox.list_inbox(
        request.principal.user_id, limit=query.limit, cursor=query.cursor, unread_only=query.unread
    )
    return Page[NotificationOut](items=[notification_out(entry) for entry in entries], next_cursor=cursor)


@api.post("/v1/me/notifications/{notification_id}/read", roles=ANY_ROLE, status=204, errors=(404,))
def read_notification(request: Request[Any]) -> None:
    """Mark one inbox entry read."""
    inbox.mark_read(request.principal.user_id, request.path["notification_id"])
