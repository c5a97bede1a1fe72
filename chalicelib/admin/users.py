"""Admins manage accounts: details with masked PII, suspension, groups and levels, staff, the blacklist.

**Suspension** (``PATCH /v1/admin/users/{id}`` ``{"status": "suspended"}``) is one transaction:
the account's status (and its directory key), a verified worker's profile (``suspended``, so
she leaves search and cannot take pool orders: ``require_verified`` refuses her) and the audit
entry. Right after it, every session of the account is revoked, which kills her refresh tokens
and, since every request looks its session up, her access tokens at once; sign-in refuses a
suspended account (403 ``account_suspended``). Reactivation undoes what the suspension did
(the worker profile only if the account's suspension had suspended it).

**Concurrency**: every change is conditioned on the account's ``revision`` as read; a change
that loses a race re-reads and applies again, so two admins suspending and reactivating at once
end in one state (the later commit's) and both changes are in the audit log with the ``before``
each really saw.

**Staff** (``admin``, ``support``) are created here only, never self-registered: the account
(no password yet) and its e-mail claim are written with the audit entry, then an invitation
e-mail carries a ``reset_password`` code (valid 72 hours) that sets the password through
``POST /v1/auth/password/reset``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import audit, clock, i18n, kms
from chalicelib.accounts.sessions import revoke_all_sessions
from chalicelib.accounts.targets import target_from
from chalicelib.accounts.users import account_items
from chalicelib.admin.directory import UserSummary, summary
from chalicelib.audit import Actor, AuditItem
from chalicelib.crypto import digest
from chalicelib.errors import Conflict, NotFound
from chalicelib.models.accounts import CodeItem, IdentityItem, UserItem
from chalicelib.models.base import cancellation_reasons, transact_write
from chalicelib.models.workers import WorkerProfileItem
from chalicelib.notifications.outgoing import queue_message
from chalicelib.notifications.templates import register
from chalicelib.observability import logger, metrics
from chalicelib.workers.blacklist import BlacklistItem
from chalicelib.workers.profile import gsi2_keys, load_profile
from chalicelib.workers.search_index import refresh_search_entries

__all__ = [
    "INVITATION_HOURS",
    "UNCHANGED",
    "UserChange",
    "UserDetail",
    "blacklist_worker",
    "create_staff",
    "reveal_id_number",
    "update_user",
    "user_detail",
]

INVITATION_HOURS = 72
ATTEMPTS = 5
UNCHANGED: Any = object()
"""Marks a field of :class:`UserChange` the admin did not send."""

i18n.register(
    {
        "cannot_change_own_account": {
            "zh-CN": "不能修改自己的账号状态",
            "en": "You cannot change the status of your own account.",
        },
        "already_blacklisted": {
            "zh-CN": "该身份证号已在黑名单中",
            "en": "This ID number is blacklisted already.",
        },
        "no_id_number": {"zh-CN": "该服务人员尚未填写身份证号", "en": "The worker has no ID number on file."},
    }
)
register(
    {
        "staff_invitation": {
            "zh-CN": (
                "家政管理后台邀请",
                "【家政】{name}，您已被添加为家政平台{role_name}。请在 {hours} 小时内使用验证码 {code} "
                "通过“重置密码”设置登录密码。",
            ),
            "en": (
                "Your Jiazheng staff account",
                "[Jiazheng] {name}, you were added as {role_name}. Set your password with "
                '"reset password" and the code {code} within {hours} hours.',
            ),
        }
    }
)


@dataclass(frozen=True)
class UserChange:
    """What an admin changes (each field optional) and why."""

    status: Any = UNCHANGED
    groups: Any = UNCHANGED
    level: Any = UNCHANGED
    reason: str | None = None


@dataclass(frozen=True)
class UserDetail:
    user: UserSummary
    status_reason: str | None
    worker_status: str | None
    id_number: str | None  # masked; the number itself only through reveal_id_number
    blacklisted: bool


def _load(user_id: str) -> UserItem:
    try:
        return UserItem.get(*UserItem.key(user_id), consistent_read=True)
    except UserItem.DoesNotExist:
        raise NotFound() from None


def user_detail(user_id: str) -> UserDetail:
    """An account as an admin or support agent sees it: phone, e-mail and ID number masked."""
    user = _load(user_id)
    profile = load_profile(user_id) if user.role == "worker" else None
    blacklisted = False
    if profile is not None and profile.id_number_hash:
        try:
            BlacklistItem.get(*BlacklistItem.key(profile.id_number_hash), attributes_to_get=["pk"])
            blacklisted = True
        except BlacklistItem.DoesNotExist:
            pass
    return UserDetail(
        user=summary(user),
        status_reason=user.status_reason,
        worker_status=profile.status if profile else None,
        id_number=profile.id_number_masked if profile else None,
        blacklisted=blacklisted,
    )


def _state(user: UserItem) -> dict[str, Any]:
    return {"status": user.status, "groups": list(user.groups or []), "level": user.level}


def update_user(user_id: str, change: UserChange, actor: Actor) -> UserDetail:
    """Apply ``change`` with its audit entry (see the module docstring); the account as it now is."""
    if change.status is not UNCHANGED and user_id == actor.user_id:
        raise Conflict("cannot_change_own_account")
    for _ in range(ATTEMPTS):
        user = _load(user_id)
        before = _state(user)
        after = dict(before)
        actions: list[Any] = [UserItem.updated_at.set(clock.iso()), UserItem.revision.add(1)]
        if change.status is not UNCHANGED:
            after["status"] = change.status
            actions += [UserItem.status.set(change.status), UserItem.gsi1pk.set(f"USERS#{change.status}")]
            if change.status == "suspended" and change.reason:
                actions.append(UserItem.status_reason.set(change.reason))
            elif change.status == "active":
                actions.append(UserItem.status_reason.remove())
        if change.groups is not UNCHANGED:
            after["groups"] = list(dict.fromkeys(change.groups))
            actions.append(UserItem.groups.set(after["groups"]))
        if change.level is not UNCHANGED:
            after["level"] = change.level
            actions.append(UserItem.level.set(change.level) if change.level else UserItem.level.remove())
        status_changed = after["status"] != before["status"]
        profile = load_profile(user_id) if status_changed and user.role == "worker" else None
        profile_actions = _worker_actions(profile, after["status"]) if profile else None
        action = (
            {"suspended": "user.suspend", "active": "user.reactivate"}[after["status"]]
            if status_changed
            else "user.update"
        )
        entry = audit.entry(
            actor_id=actor.user_id,
            actor_role=actor.role,
            action=action,
            target_type="user",
            target_id=user_id,
            before=before,
            after=after,
            details={"reason": change.reason} if change.reason else None,
            request_id=actor.request_id,
            ip=actor.ip,
        )
        read_revision = user.revision
        condition = (
            UserItem.revision.does_not_exist()
            if read_revision is None
            else UserItem.revision == read_revision
        )
        try:
            with transact_write() as transaction:
                transaction.save(entry, condition=AuditItem.pk.does_not_exist())
                transaction.update(user, actions=actions, condition=condition)
                if profile is not None and profile_actions is not None:
                    transaction.update(
                        profile, actions=profile_actions, condition=WorkerProfileItem.status == profile.status
                    )
        except TransactWriteError as error:
            if "ConditionalCheckFailed" not in cancellation_reasons(
                error
            ) and "TransactionConflict" not in cancellation_reasons(error):
                raise
            continue  # another admin changed the account meanwhile: read again, apply again
        if after["status"] == "suspended":
            revoked = revoke_all_sessions(user_id)
            logger.info("account suspended; sessions revoked", user_id=user_id, revoked=revoked)
        if profile_actions is not None:
            _reindex(user_id)
        return user_detail(user_id)
    raise Conflict()


def _worker_actions(profile: WorkerProfileItem, account_status: str) -> list[Any] | None:
    """What the account's new status does to her worker profile (None: nothing)."""
    if account_status == "suspended" and profile.status == "verified":
        keys = gsi2_keys(profile, "suspended")
        return [
            WorkerProfileItem.status.set("suspended"),
            WorkerProfileItem.gsi2pk.set(keys[0]),
            WorkerProfileItem.gsi2sk.set(keys[1]),
            WorkerProfileItem.suspended_with_account.set(True),
            WorkerProfileItem.updated_at.set(clock.iso()),
        ]
    if account_status == "active" and profile.status == "suspended" and profile.suspended_with_account:
        keys = gsi2_keys(profile, "verified")
        return [
            WorkerProfileItem.status.set("verified"),
            WorkerProfileItem.gsi2pk.set(keys[0]),
            WorkerProfileItem.gsi2sk.set(keys[1]),
            WorkerProfileItem.suspended_with_account.remove(),
            WorkerProfileItem.updated_at.set(clock.iso()),
        ]
    return None


def _reindex(worker_id: str) -> None:
    """Search entries follow the profile; the change stands whatever happens here (re-runnable)."""
    try:
        refresh_search_entries(worker_id)
    except Exception:
        logger.exception("search re-index after an account change failed", worker_id=worker_id)
        metrics.add_metric(name="PostDecisionFailures", unit="Count", value=1)


def reveal_id_number(user_id: str, reason: str, actor: Actor) -> str:
    """A worker's ID number in clear, for an admin who says why; the audit entry is written first."""
    profile = load_profile(user_id)
    if profile is None or not profile.id_number_enc:
        raise NotFound()
    audit.record(
        actor_id=actor.user_id,
        actor_role=actor.role,
        action="user.reveal_id_number",
        target_type="user",
        target_id=user_id,
        details={"reason": reason},
        request_id=actor.request_id,
        ip=actor.ip,
    )
    return kms.decrypt(profile.id_number_enc, context={"worker_id": user_id})


def create_staff(role: str, email: str, name: str, actor: Actor, locale: str) -> UserSummary:
    """An ``admin`` or ``support`` account invited by e-mail (409 ``already_registered``)."""
    target = target_from(email=email)
    identity, user = account_items(role, name, target, None)
    entry = audit.entry(
        actor_id=actor.user_id,
        actor_role=actor.role,
        action="staff.create",
        target_type="user",
        target_id=user.user_id,
        after={"role": role, "name": name, "email": target.masked},
        request_id=actor.request_id,
        ip=actor.ip,
    )
    try:
        with transact_write() as transaction:
            transaction.save(entry, condition=AuditItem.pk.does_not_exist())
            transaction.save(identity, condition=IdentityItem.pk.does_not_exist())
            transaction.save(user, condition=UserItem.pk.does_not_exist())
    except TransactWriteError as error:
        raise Conflict("already_registered") from error
    _invite(target.value, target.blind, name, role, locale)
    return summary(user)


def _invite(email: str, blind: str, name: str, role: str, locale: str) -> None:
    """A ``reset_password`` code for the new account's e-mail, valid :data:`INVITATION_HOURS`."""
    now = int(clock.now().timestamp())
    code = f"{secrets.randbelow(10**6):06d}"
    expires = now + INVITATION_HOURS * 3600
    CodeItem(
        *CodeItem.key("reset_password", "email", blind),
        code_hash=digest(code),
        expires_at=expires,
        sent_at=now,
        tries=0,
        ttl=expires + 3600,
    ).save()
    role_name = {"admin": "管理员", "support": "客服"}[role] if locale == "zh-CN" else role
    queue_message(
        "email",
        email,
        "staff_invitation",
        locale,
        name=name,
        role_name=role_name,
        code=code,
        hours=INVITATION_HOURS,
    )


def blacklist_worker(user_id: str, reason: str, actor: Actor) -> UserDetail:
    """Bar the worker's ID number for good (audited), and suspend her account if it is active."""
    user = _load(user_id)
    profile = load_profile(user_id) if user.role == "worker" else None
    if profile is None:
        raise NotFound()
    if not profile.id_number_hash:
        raise Conflict("no_id_number")
    now = clock.iso()
    item = BlacklistItem(
        *BlacklistItem.key(profile.id_number_hash),
        worker_id=user_id,
        id_number_masked=profile.id_number_masked,
        reason=reason,
        by=actor.user_id,
        at=now,
        gsi1pk="BLACKLIST",
        gsi1sk=f"{now}#{user_id}",
    )
    entry = audit.entry(
        actor_id=actor.user_id,
        actor_role=actor.role,
        action="worker.blacklist",
        target_type="user",
        target_id=user_id,
        after={"blacklisted": True, "id_number": profile.id_number_masked},
        details={"reason": reason},
        request_id=actor.request_id,
        ip=actor.ip,
    )
    try:
        with transact_write() as transaction:
            transaction.save(entry, condition=AuditItem.pk.does_not_exist())
            transaction.save(item, condition=BlacklistItem.pk.does_not_exist())
    except TransactWriteError as error:
        raise Conflict("already_blacklisted") from error
    if user.status == "active":
        return update_user(user_id, UserChange(status="suspended", reason=reason), actor)
    return user_detail(user_id)
