"""The signed-in user's own profile and emergency contact."""

from __future__ import annotations

from typing import Any

from chalicelib import clock
from chalicelib.accounts.identifiers import normalize_phone
from chalicelib.accounts.users import USERS_BY_NAME, UserView, get_user, name_key, user_view
from chalicelib.crypto import encrypt
from chalicelib.errors import ValidationFailed
from chalicelib.models.accounts import UserItem

__all__ = ["update_profile"]


def update_profile(user_id: str, changes: dict[str, Any]) -> UserView:
    """Apply the fields present in ``changes`` (``None`` clears avatar or emergency contact)."""
    user = get_user(user_id)
    actions: list[Any] = [UserItem.updated_at.set(clock.iso())]
    if "name" in changes and changes["name"] is not None:
        actions.append(UserItem.name.set(changes["name"]))
        actions.append(UserItem.gsi3sk.set(f"{name_key(changes['name'])}#{user_id}"))  # the directory
        actions.append(UserItem.gsi3pk.set(USERS_BY_NAME))
    if "avatar_url" in changes:
        url = changes["avatar_url"]
        actions.append(UserItem.avatar_url.set(url) if url else UserItem.avatar_url.remove())
    if "emergency_contact" in changes:
        contact = changes["emergency_contact"]
        if contact is None:
            actions.append(UserItem.emergency_contact.remove())
        else:
            try:
                phone = normalize_phone(contact["phone"])
            except ValueError as error:
                raise ValidationFailed(
                    details=[{"field": "emergency_contact.phone", "code": "invalid", "message": str(error)}]
                ) from error
            stored = {
                "name": contact["name"],
                "relation": contact["relation"],
                "phone_enc": encrypt(phone, context=f"user:{user_id}:contact"),
            }
            actions.append(UserItem.emergency_contact.set(stored))
    user.update(actions=actions, condition=UserItem.pk.exists())
    return user_view(user)
