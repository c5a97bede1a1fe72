"""A customer's service addresses, with exactly one default.

The default is a single attribute of the user item (``default_address_id``), so "only one
default" holds by construction; each change that touches it is a transaction with the address
write, and the user item also counts addresses so the cap cannot be raced past.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import clock
from chalicelib.accounts.identifiers import normalize_phone
from chalicelib.accounts.users import get_user
from chalicelib.crypto import decrypt, encrypt
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.models.accounts import AddressItem, UserItem
from chalicelib.models.base import cancellation_reasons, transact_write

__all__ = [
    "MAX_ADDRESSES",
    "AddressView",
    "SavedAddress",
    "create_address",
    "delete_address",
    "list_addresses",
    "update_address",
]

MAX_ADDRESSES = 20
_CLEARABLE = frozenset({"label", "lat", "lng"})


@dataclass(frozen=True)
class AddressView:
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
    created_at: str


@dataclass(frozen=True)
class SavedAddress:
    """A saved address as an order takes it, read straight from the item DynamoDB returned.

    Booking reads the address in its one batched read; building the pynamodb item only to copy
    nine of its values out was a tenth of a millisecond of every booking.
    """

    address_id: str
    label: str | None
    contact_name: str
    contact_phone_enc: str
    contact_phone_masked: str
    city: str
    district: str
    detail: str
    lat: float | None
    lng: float | None

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> SavedAddress:
        def text(name: str) -> str:
            return str(raw[name]["S"])

        def number(name: str) -> float | None:
            held = raw.get(name)
            return float(held["N"]) if held and "N" in held else None

        label = raw.get("label")
        return cls(
            address_id=text("address_id"),
            label=str(label["S"]) if label and "S" in label else None,
            contact_name=text("contact_name"),
            contact_phone_enc=text("contact_phone_enc"),
            contact_phone_masked=text("contact_phone_masked"),
            city=text("city"),
            district=text("district"),
            detail=text("detail"),
            lat=number("lat"),
            lng=number("lng"),
        )


def _view(item: AddressItem, default_id: str | None) -> AddressView:
    return AddressView(
        address_id=item.address_id,
        label=item.label,
        contact_name=item.contact_name,
        contact_phone=decrypt(item.contact_phone_enc, context=f"address:{item.address_id}"),
        city=item.city,
        district=item.district,
        detail=item.detail,
        lat=item.lat,
        lng=item.lng,
        is_default=item.address_id == default_id,
        created_at=item.created_at,
    )


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except ValueError as error:
        raise ValidationFailed(
            details=[{"field": "contact_phone", "code": "invalid", "message": str(error)}]
        ) from error


def _items(user_id: str) -> list[AddressItem]:
    return list(AddressItem.query(f"USER#{user_id}", AddressItem.sk.startswith("ADDR#")))


def list_addresses(user_id: str) -> list[AddressView]:
    """All addresses, the default first, then newest first (at most ``MAX_ADDRESSES``)."""
    default_id = get_user(user_id).default_address_id
    views = sorted(
        (_view(item, default_id) for item in _items(user_id)), key=lambda v: v.created_at, reverse=True
    )
    return sorted(views, key=lambda view: not view.is_default)


def _get(user_id: str, address_id: str) -> AddressItem:
    try:
        return AddressItem.get(*AddressItem.key(user_id, address_id))
    except AddressItem.DoesNotExist:
        raise NotFound() from None


def create_address(user_id: str, fields: dict[str, Any]) -> AddressView:
    """Add an address; the first one, or one marked ``is_default``, becomes the default."""
    user = get_user(user_id)
    address_id = new_id("adr")
    phone = _phone(fields["contact_phone"])
    pk, sk = AddressItem.key(user_id, address_id)
    item = AddressItem(
        pk,
        sk,
        address_id=address_id,
        user_id=user_id,
        label=fields.get("label"),
        contact_name=fields["contact_name"],
        contact_phone_enc=encrypt(phone, context=f"address:{address_id}"),
        contact_phone_masked=phone[:-8] + "****" + phone[-4:],
        city=fields["city"],
        district=fields["district"],
        detail=fields["detail"],
        lat=fields.get("lat"),
        lng=fields.get("lng"),
        created_at=clock.iso(),
    )
    make_default = bool(fields.get("is_default")) or not user.default_address_id
    user_actions: list[Any] = [UserItem.address_count.add(1)]
    if make_default:
        user_actions.append(UserItem.default_address_id.set(address_id))
    try:
        with transact_write() as transaction:
            transaction.save(item, condition=AddressItem.pk.does_not_exist())
            transaction.update(
                UserItem(*UserItem.key(user_id)),
                actions=user_actions,
                condition=UserItem.pk.exists()
                & (UserItem.address_count.does_not_exist() | (UserItem.address_count < MAX_ADDRESSES)),
            )
    except TransactWriteError as error:
        reasons = cancellation_reasons(error)
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            raise Conflict("too_many_addresses", limit=MAX_ADDRESSES) from error
        raise
    return _view(item, address_id if make_default else user.default_address_id)


def update_address(user_id: str, address_id: str, changes: dict[str, Any]) -> AddressView:
    """Change the given fields; ``is_default: true`` moves the default here."""
    item = _get(user_id, address_id)
    actions: list[Any] = []
    for name in ("label", "contact_name", "city", "district", "detail", "lat", "lng"):
        if name in changes:
            value = changes[name]
            attribute = getattr(AddressItem, name)
            if value is not None:
                actions.append(attribute.set(value))
            elif name in _CLEARABLE:
                actions.append(attribute.remove())
    if changes.get("contact_phone"):
        phone = _phone(changes["contact_phone"])
        actions.append(AddressItem.contact_phone_enc.set(encrypt(phone, context=f"address:{address_id}")))
        actions.append(AddressItem.contact_phone_masked.set(phone[:-8] + "****" + phone[-4:]))
    with transact_write() as transaction:
        if actions:
            transaction.update(item, actions=actions, condition=AddressItem.pk.exists())
        else:
            transaction.condition_check(AddressItem, item.pk, item.sk, condition=AddressItem.pk.exists())
        if changes.get("is_default"):
            transaction.update(
                UserItem(*UserItem.key(user_id)),
                actions=[UserItem.default_address_id.set(address_id)],
                condition=UserItem.pk.exists(),
            )
    return _view(_get(user_id, address_id), get_user(user_id).default_address_id)


def delete_address(user_id: str, address_id: str) -> None:
    """Remove an address; if it was the default, the newest remaining one takes over."""
    user = get_user(user_id)
    _get(user_id, address_id)
    user_actions: list[Any] = [UserItem.address_count.add(-1)]
    if user.default_address_id == address_id:
        others = [item for item in _items(user_id) if item.address_id != address_id]
        successor = max(others, key=lambda item: item.created_at).address_id if others else None
        user_actions.append(
            UserItem.default_address_id.set(successor) if successor else UserItem.default_address_id.remove()
        )
    try:
        with transact_write() as transaction:
            transaction.delete(
                AddressItem(*AddressItem.key(user_id, address_id)), condition=AddressItem.pk.exists()
            )
            transaction.update(
                UserItem(*UserItem.key(user_id)),
                actions=user_actions,
                condition=UserItem.pk.exists() & (UserItem.default_address_id == user.default_address_id)
                if user.default_address_id
                else UserItem.pk.exists(),
            )
    except TransactWriteError as error:
        raise Conflict() from error
