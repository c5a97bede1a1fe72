"""Account use cases: register, sign in (password, code, third party), reset and change password."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib import clock
from chalicelib.accounts import guard
from chalicelib.accounts.codes import check_code, consume_code, consume_in
from chalicelib.accounts.passwords import check_password, dummy_check, hash_password, needs_rehash
from chalicelib.accounts.sessions import TokenPair, open_session, revoke_all_sessions
from chalicelib.accounts.targets import Target
from chalicelib.crypto import blind_index, decrypt, encrypt
from chalicelib.errors import AppError, Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.models.accounts import IdentityItem, UserItem
from chalicelib.models.base import cancellation_reasons, transact_write
from chalicelib.notifications.outgoing import queue_message
from chalicelib.observability import logger, metrics

__all__ = [
    "USERS_BY_NAME",
    "UserView",
    "account_items",
    "change_password",
    "create_user",
    "directory_keys",
    "get_user",
    "login_with_code",
    "login_with_oidc",
    "login_with_password",
    "name_key",
    "register",
    "reset_password",
    "user_view",
]

Role = Literal["customer", "worker", "admin", "support"]


@dataclass(frozen=True)
class UserView:
    """A user as its owner sees it (phone and e-mail decrypted)."""

    user_id: str
    role: str
    status: str
    name: str
    phone: str | None
    email: str | None
    avatar_url: str | None
    emergency_contact: dict[str, Any] | None
    created_at: str


def _invalid_code() -> AppError:
    return ValidationFailed(
        "invalid_code",
        details=[{"field": "code", "code": "invalid_code", "message": "wrong or expired code"}],
    )


def user_view(item: UserItem) -> UserView:
    contact = dict(item.emergency_contact) if item.emergency_contact else None
    if contact and contact.get("phone_enc"):
        contact["phone"] = decrypt(contact.pop("phone_enc"), context=f"user:{item.user_id}:contact")
    return UserView(
        user_id=item.user_id,
        role=item.role,
        status=item.status,
        name=item.name,
        phone=decrypt(item.phone_enc, context=f"user:{item.user_id}:phone") if item.phone_enc else None,
        email=decrypt(item.email_enc, context=f"user:{item.user_id}:email") if item.email_enc else None,
        avatar_url=item.avatar_url,
        emergency_contact=contact,
        created_at=item.created_at,
    )


def get_user(user_id: str) -> UserItem:
    try:
        return UserItem.get(*UserItem.key(user_id))
    except UserItem.DoesNotExist:
        raise NotFound() from None


def _new_user_item(
    user_id: str, role: str, name: str, target: Target | None, password: str | None
) -> UserItem:
    now = clock.iso()
    pk, sk = UserItem.key(user_id)
    item = UserItem(
        pk,
        sk,
        user_id=user_id,
        role=role,
        status="active",
        name=name,
        password_hash=hash_password(password) if password else None,
        created_at=now,
        gsi2pk=f"ROLE#{role}",
        gsi2sk=f"{now}#{user_id}",
        **directory_keys(user_id, "active", name, now),
    )
    if target is not None and target.kind == "phone":
        item.phone_enc = encrypt(target.value, context=f"user:{user_id}:phone")
        item.phone_masked = target.masked
    elif target is not None:
        item.email_enc = encrypt(target.value, context=f"user:{user_id}:email")
        item.email_masked = target.masked
    return item


def directory_keys(user_id: str, status: str, name: str, created_at: str) -> dict[str, Any]:
    """The admin user directory's index keys: gsi1 by status (newest first), gsi3 by name."""
    return {
        "gsi1pk": f"USERS#{status}",
        "gsi1sk": f"{created_at}#{user_id}",
        "gsi3pk": USERS_BY_NAME,
        "gsi3sk": f"{name_key(name)}#{user_id}",
    }


USERS_BY_NAME = "USERS#BYNAME"


def name_key(name: str) -> str:
    """A name as the directory sorts and prefix-matches it (case-folded)."""
    return name.strip().casefold()


def _identity(kind: str, blind: str, user_id: str) -> IdentityItem:
    pk, sk = IdentityItem.key(kind, blind)
    return IdentityItem(pk, sk, user_id=user_id, kind=kind)


def account_items(
    role: str, name: str, target: Target, password: str | None
) -> tuple[IdentityItem, UserItem]:
    """A new account's identity claim and profile, to save (condition: not exists) in one transaction."""
    user_id = new_id("usr")
    return _identity(target.kind, target.blind, user_id), _new_user_item(
        user_id, role, name, target, password
    )


def register(target: Target, code: str, password: str, name: str, role: Role) -> tuple[UserView, TokenPair]:
    """Create an account from a verified phone or e-mail, atomically with using up the code.

    One transaction uses the code, claims the identifier and writes the user, so two racing
    registrations of one phone cannot both win and a failure leaves nothing half-written.
    """
    code_hash = check_code(target, "register", code, error=_invalid_code())
    user_id = new_id("usr")
    user = _new_user_item(user_id, role, name, target, password)
    try:
        with transact_write() as transaction:
            consume_in(transaction, target, "register", code_hash)
            transaction.save(
                _identity(target.kind, target.blind, user_id), condition=IdentityItem.pk.does_not_exist()
            )
            transaction.save(user, condition=UserItem.pk.does_not_exist())
    except TransactWriteError as error:
        reasons = cancellation_reasons(error)
        if len(reasons) > 1 and reasons[1] in ("ConditionalCheckFailed", "TransactionConflict"):
            raise Conflict("already_registered") from error
        if reasons and reasons[0] in ("ConditionalCheckFailed", "TransactionConflict"):
            raise _invalid_code() from error
        raise
    metrics.add_metric(name="Registrations", unit="Count", value=1)
    logger.info("registered", user_id=user_id, role=role, via=target.kind)
    return user_view(user), open_session(user_id, role)


def create_user(target: Target, password: str, name: str, role: Role) -> UserView:
    """Create an account without a code: for the admin CLI and the demo seed, never the API."""
    user_id = new_id("usr")
    user = _new_user_item(user_id, role, name, target, password)
    try:
        with transact_write() as transaction:
            transaction.save(
                _identity(target.kind, target.blind, user_id), condition=IdentityItem.pk.does_not_exist()
            )
            transaction.save(user, condition=UserItem.pk.does_not_exist())
    except TransactWriteError as error:
        raise Conflict("already_registered") from error
    return user_view(user)


def _user_for(target: Target) -> UserItem | None:
    try:
        identity = IdentityItem.get(*IdentityItem.key(target.kind, target.blind))
    except IdentityItem.DoesNotExist:
        return None
    try:
        return UserItem.get(*UserItem.key(identity.user_id))
    except UserItem.DoesNotExist:
        return None


def _start(user: UserItem) -> TokenPair:
    if user.status != "active":
        raise Forbidden("account_suspended")
    return open_session(user.user_id, user.role)


def login_with_password(target: Target, password: str) -> tuple[UserView, TokenPair]:
    """401 for a wrong identifier or password alike; 429 while locked after repeated failures."""
    guard.ensure_not_locked(target.blind)
    user = _user_for(target)
    if user is None or not user.password_hash:
        dummy_check(password)
        ok = False
    else:
        ok = check_password(user.password_hash, password)
    if not ok or user is None:
        guard.record_failure(target.blind)
        metrics.add_metric(name="LoginFailures", unit="Count", value=1)
        raise Unauthorized("invalid_credentials")
    guard.clear_failures(target.blind)
    if user.password_hash and needs_rehash(user.password_hash):
        user.update(actions=[UserItem.password_hash.set(hash_password(password))])
    return user_view(user), _start(user)


def login_with_code(target: Target, code: str) -> tuple[UserView, TokenPair]:
    """Sign in with a one-time code sent to the phone or e-mail."""
    guard.ensure_not_locked(target.blind)
    try:
        consume_code(target, "login", code, error=Unauthorized("invalid_credentials"))
    except Unauthorized:
        guard.record_failure(target.blind)
        raise
    user = _user_for(target)
    if user is None:
        raise Unauthorized("invalid_credentials")
    guard.clear_failures(target.blind)
    return user_view(user), _start(user)


def login_with_oidc(provider: str, claims: dict[str, Any]) -> tuple[UserView, TokenPair]:
    """Sign in with verified OIDC claims; the first sign-in creates a customer account."""
    subject = f"{provider}:{claims['sub']}"
    blind = blind_index("oidc", subject)
    try:
        identity = IdentityItem.get(*IdentityItem.key("oidc", blind))
        user = get_user(identity.user_id)
        return user_view(user), _start(user)
    except IdentityItem.DoesNotExist:
        pass
    user_id = new_id("usr")
    name = str(claims.get("name") or claims.get("nickname") or f"用户{user_id[-4:]}")[:50]
    user = _new_user_item(user_id, "customer", name, None, None)
    try:
        with transact_write() as transaction:
            transaction.save(_identity("oidc", blind, user_id), condition=IdentityItem.pk.does_not_exist())
            transaction.save(user, condition=UserItem.pk.does_not_exist())
    except TransactWriteError as error:
        # A concurrent first sign-in of the same subject won: use its account.
        identity = IdentityItem.get(*IdentityItem.key("oidc", blind), consistent_read=True)
        user = get_user(identity.user_id)
        logger.info("concurrent first oidc sign-in", error=str(error))
        return user_view(user), _start(user)
    metrics.add_metric(name="Registrations", unit="Count", value=1)
    return user_view(user), _start(user)


def reset_password(target: Target, code: str, new_password: str) -> None:
    """Set a new password with a reset code; every session of the account is signed out."""
    consume_code(target, "reset_password", code, error=_invalid_code())
    user = _user_for(target)
    if user is None:
        raise _invalid_code()
    _set_password(user, new_password)
    revoke_all_sessions(user.user_id)
    guard.clear_failures(target.blind)


def change_password(user_id: str, session_id: str, old_password: str, new_password: str, locale: str) -> None:
    """Change the password; other sessions are signed out, this one stays."""
    user = get_user(user_id)
    if not user.password_hash or not check_password(user.password_hash, old_password):
        raise ValidationFailed(
            "wrong_password",
            details=[
                {
                    "field": "old_password",
                    "code": "wrong_password",
                    "message": "the current password is wrong",
                }
            ],
        )
    _set_password(user, new_password, expected_hash=user.password_hash)
    revoke_all_sessions(user_id, keep=session_id)
    view = user_view(user)
    if view.phone:
        queue_message("sms", view.phone, "password_changed", locale)
    elif view.email:
        queue_message("email", view.email, "password_changed", locale)


def _set_password(user: UserItem, password: str, *, expected_hash: str | None = None) -> None:
    condition = UserItem.pk.exists()
    if expected_hash is not None:
        condition &= UserItem.password_hash == expected_hash
    try:
        user.update(
            actions=[
                UserItem.password_hash.set(hash_password(password)),
                UserItem.updated_at.set(clock.iso()),
            ],
            condition=condition,
        )
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise Conflict() from error
        raise
