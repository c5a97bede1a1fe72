"""Admin review of workers: the review queue, decisions, suspensions, groups and levels.

Every decision is one transaction: the profile's status changes only from the status the rule
allows (a conditional update, so two admins deciding at once cannot both win), and its audit
entry is written with it, so there is never a decision without a record or a record without a
decision. After the commit the worker's search entries are rewritten and the worker is told (in
the app's inbox, and by SMS and/or e-mail to whatever the account has). The worker's language is
not stored, so those messages go out in zh-CN, the platform's default.

Transitions (anything else is 409 ``invalid_worker_status`` naming the current status):

=========  ==================  ===========  ===================================================
action     from                to           also
=========  ==================  ===========  ===================================================
approve    pending_review      verified     uploaded certificates become verified; level set
reject     pending_review      rejected     ``reason`` shown to the worker
suspend    verified            suspended    ``reason``; leaves search, cannot take orders
reinstate  suspended           verified     back in search
=========  ==================  ===========  ===================================================

Support agents may read the queue and profiles (to answer a customer's or worker's question)
but decide nothing and get no links to the documents: those are for reviewers (admins).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import audit, clock, i18n
from chalicelib.accounts.inbox import post_to_inbox
from chalicelib.accounts.users import get_user, user_view
from chalicelib.audit import Actor, AuditItem
from chalicelib.errors import Conflict, NotFound
from chalicelib.i18n import DEFAULT_LOCALE
from chalicelib.models.base import transact_write
from chalicelib.models.workers import CertificateItem, WorkerProfileItem
from chalicelib.notifications.outgoing import queue_message
from chalicelib.notifications.templates import render
from chalicelib.observability import logger, metrics
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.workers.certificates import certificate_items, confirm_uploads
from chalicelib.workers.profile import (
    WorkerProfileView,
    gsi2_keys,
    level_for,
    load_profile,
    profile_view,
    verified_kinds,
)
from chalicelib.workers.search_index import refresh_search_entries

__all__ = [
    "UNCHANGED",
    "Actor",
    "AdminWorkerView",
    "WorkerSummary",
    "approve",
    "list_workers",
    "reinstate",
    "reject",
    "reject_certificate",
    "suspend",
    "update_worker",
    "verify_certificate",
    "worker_detail",
]

i18n.register(
    {
        "invalid_certificate_status": {
            "zh-CN": "证书当前状态（{status}）不允许此操作",
            "en": "Not allowed while the certificate is {status}.",
        },
    }
)

UNCHANGED: Any = object()
"""Marks a field of :func:`update_worker` the admin did not send."""


@dataclass(frozen=True)
class WorkerSummary:
    worker_id: str
    name: str
    real_name: str | None
    status: str
    skills: list[str]
    level: str | None
    groups: list[str]
    submitted_at: str | None


@dataclass(frozen=True)
class AdminWorkerView:
    profile: WorkerProfileView
    phone: str | None  # masked
    email: str | None  # masked
    account_status: str
    reviewed_by: str | None


@dataclass(frozen=True)
class _Transition:
    sources: tuple[str, ...]
    target: str
    template: str
    inbox_kind: str


_TRANSITIONS = {
    "approve": _Transition(("pending_review",), "verified", "worker_approved", "worker.approved"),
    "reject": _Transition(("pending_review",), "rejected", "worker_rejected", "worker.rejected"),
    "suspend": _Transition(("verified",), "suspended", "worker_suspended", "worker.suspended"),
    "reinstate": _Transition(("suspended",), "verified", "worker_reinstated", "worker.reinstated"),
}


def _profile(worker_id: str) -> WorkerProfileItem:
    profile = load_profile(worker_id)
    if profile is None:
        raise NotFound()
    return profile


def list_workers(status: str, *, limit: int, cursor: str | None) -> tuple[list[WorkerSummary], str | None]:
    """One page of workers in ``status``: the review queue oldest first, other lists newest first."""
    scope = f"admin-workers:{status}"
    results = WorkerProfileItem.gsi2.query(
        f"WORKERS#{status}",
        scan_index_forward=status == "pending_review",
        limit=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
    )
    items = [
        WorkerSummary(
            worker_id=item.worker_id,
            name=item.name,
            real_name=item.real_name,
            status=item.status,
            skills=list(item.skills or []),
            level=item.level,
            groups=list(item.groups or []),
            submitted_at=item.submitted_at,
        )
        for item in results
    ]
    return items, encode_cursor(scope, results.last_evaluated_key)


def worker_detail(worker_id: str, locale: str, *, downloads: bool) -> AdminWorkerView:
    """A worker as a reviewer sees it: ID number masked, contact masked, links to the files."""
    profile = _profile(worker_id)
    user = get_user(worker_id)
    certificates = confirm_uploads(certificate_items(worker_id))
    return AdminWorkerView(
        profile=profile_view(profile, certificates, locale, downloads=downloads),
        phone=user.phone_masked,
        email=user.email_masked,
        account_status=user.status,
        reviewed_by=profile.reviewed_by,
    )


def approve(worker_id: str, actor: Actor) -> None:
    """``pending_review`` → ``verified``; the uploaded certificates are verified with it."""
    _decide(worker_id, "approve", actor, reason=None)


def reject(worker_id: str, reason: str, actor: Actor) -> None:
    """``pending_review`` → ``rejected`` with a reason the worker sees."""
    _decide(worker_id, "reject", actor, reason=reason)


def suspend(worker_id: str, reason: str, actor: Actor) -> None:
    """``verified`` → ``suspended``: out of search, no new orders."""
    _decide(worker_id, "suspend", actor, reason=reason)


def reinstate(worker_id: str, actor: Actor) -> None:
    """``suspended`` → ``verified``."""
    _decide(worker_id, "reinstate", actor, reason=None)


def _decide(worker_id: str, action: str, actor: Actor, *, reason: str | None) -> None:
    rule = _TRANSITIONS[action]
    profile = _profile(worker_id)
    current = profile.status
    if current not in rule.sources:
        raise Conflict("invalid_worker_status", status=current, details=[{"current_status": current}])
    now = clock.iso()
    # What the reviewer saw: files uploaded after the submission count once S3 holds them.
    certificates = confirm_uploads(certificate_items(worker_id))
    newly_verified = (
        [item for item in certificates if item.status == "uploaded"] if action == "approve" else []
    )
    for item in newly_verified:
        item.status = "verified"  # in memory, so the level below counts them
    gsi2pk, gsi2sk = gsi2_keys(profile, rule.target)
    actions: list[Any] = [
        WorkerProfileItem.status.set(rule.target),
        WorkerProfileItem.gsi2pk.set(gsi2pk),
        WorkerProfileItem.gsi2sk.set(gsi2sk),
        WorkerProfileItem.level.set(level_for(profile, certificates)),
        WorkerProfileItem.certificate_kinds.set(verified_kinds(certificates)),
        WorkerProfileItem.updated_at.set(now),
    ]
    if action in ("approve", "reject"):
        actions += [WorkerProfileItem.reviewed_at.set(now), WorkerProfileItem.reviewed_by.set(actor.user_id)]
    if action == "reject":
        actions.append(WorkerProfileItem.reject_reason.set(str(reason)))
    elif action == "approve":
        actions.append(WorkerProfileItem.reject_reason.remove())
    details: dict[str, Any] = {"from": current, "to": rule.target}
    if reason:
        details["reason"] = reason
    if newly_verified:
        details["verified_certificates"] = [item.certificate_id for item in newly_verified]
    entry = _audit_entry(actor, f"worker.{action}", "worker", worker_id, details)
    try:
        with transact_write() as transaction:
            transaction.save(entry, condition=AuditItem.pk.does_not_exist())
            transaction.update(profile, actions=actions, condition=WorkerProfileItem.status == current)
            for item in newly_verified:
                transaction.update(
                    item,
                    actions=[
                        CertificateItem.status.set("verified"),
                        CertificateItem.reviewed_at.set(now),
                        CertificateItem.reviewed_by.set(actor.user_id),
                    ],
                    condition=CertificateItem.status == "uploaded",
                )
    except TransactWriteError as error:
        latest = _profile(worker_id).status
        raise Conflict(
            "invalid_worker_status", status=latest, details=[{"current_status": latest}]
        ) from error
    _after_decision(worker_id, profile.name, rule, reason)


def _after_decision(worker_id: str, name: str, rule: _Transition, reason: str | None) -> None:
    """Re-index and notify once the decision is committed.

    The decision stands whatever happens here, so a failure must not turn it into an error the
    admin would retry (and get 409 for): it is logged and counted for operators instead; both
    steps are idempotent and can be re-run.
    """
    try:
        refresh_search_entries(worker_id)
        _notify(worker_id, name, rule, reason)
    except Exception:
        logger.exception("post-decision step failed", worker_id=worker_id, decision=rule.template)
        metrics.add_metric(name="PostDecisionFailures", unit="Count", value=1)


def _audit_entry(
    actor: Actor, action: str, target_type: str, target_id: str, details: dict[str, Any]
) -> AuditItem:
    return audit.entry(
        actor_id=actor.user_id,
        actor_role=actor.role,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
        request_id=actor.request_id,
    )


def _notify(worker_id: str, name: str, rule: _Transition, reason: str | None) -> None:
    """Tell the worker in the inbox and by SMS / e-mail, in the platform's default language."""
    params = {"name": name, "reason": reason or ""}
    rendered = render(rule.template, DEFAULT_LOCALE, **params)
    post_to_inbox(worker_id, rule.inbox_kind, rendered.subject, rendered.body)
    account = user_view(get_user(worker_id))
    if account.phone:
        queue_message("sms", account.phone, rule.template, DEFAULT_LOCALE, **params)
    if account.email:
        queue_message("email", account.email, rule.template, DEFAULT_LOCALE, **params)


def update_worker(worker_id: str, actor: Actor, *, groups: Any = UNCHANGED, level: Any = UNCHANGED) -> None:
    """Set the worker's groups and/or pin a level (``level=None`` unpins it: derived again)."""
    profile = _profile(worker_id)
    details: dict[str, Any] = {}
    actions: list[Any] = [WorkerProfileItem.updated_at.set(clock.iso())]
    if groups is not UNCHANGED:
        profile.groups = list(dict.fromkeys(groups))
        actions.append(WorkerProfileItem.groups.set(profile.groups))
        details["groups"] = profile.groups
    if level is not UNCHANGED:
        profile.level_override = level
        actions.append(
            WorkerProfileItem.level_override.set(level)
            if level
            else WorkerProfileItem.level_override.remove()
        )
        details["level"] = level
    actions.append(WorkerProfileItem.level.set(level_for(profile, certificate_items(worker_id))))
    with transact_write() as transaction:
        transaction.save(
            _audit_entry(actor, "worker.update", "worker", worker_id, details),
            condition=AuditItem.pk.does_not_exist(),
        )
        transaction.update(profile, actions=actions, condition=WorkerProfileItem.pk.exists())
    if profile.status == "verified":
        refresh_search_entries(worker_id)


def verify_certificate(worker_id: str, certificate_id: str, actor: Actor) -> None:
    """Verify one uploaded certificate (one added after approval, say); the level follows."""
    _decide_certificate(worker_id, certificate_id, actor, verified=True, reason=None)


def reject_certificate(worker_id: str, certificate_id: str, reason: str, actor: Actor) -> None:
    """Reject one certificate (unreadable, expired, forged); a verified one stops counting."""
    _decide_certificate(worker_id, certificate_id, actor, verified=False, reason=reason)


def _decide_certificate(
    worker_id: str, certificate_id: str, actor: Actor, *, verified: bool, reason: str | None
) -> None:
    profile = _profile(worker_id)
    certificates = confirm_uploads(certificate_items(worker_id))
    item = next((cert for cert in certificates if cert.certificate_id == certificate_id), None)
    if item is None:
        raise NotFound()
    sources = ("uploaded",) if verified else ("uploaded", "verified")
    if item.status not in sources:
        raise Conflict("invalid_certificate_status", status=item.status)
    current, target, now = item.status, ("verified" if verified else "rejected"), clock.iso()
    item.status = target
    cert_actions: list[Any] = [
        CertificateItem.status.set(target),
        CertificateItem.reviewed_at.set(now),
        CertificateItem.reviewed_by.set(actor.user_id),
        CertificateItem.reject_reason.set(reason) if reason else CertificateItem.reject_reason.remove(),
    ]
    details: dict[str, Any] = {"worker_id": worker_id, "from": current, "to": target}
    if reason:
        details["reason"] = reason
    action = "worker.certificate.verify" if verified else "worker.certificate.reject"
    try:
        with transact_write() as transaction:
            transaction.save(
                _audit_entry(actor, action, "certificate", certificate_id, details),
                condition=AuditItem.pk.does_not_exist(),
            )
            transaction.update(item, actions=cert_actions, condition=CertificateItem.status == current)
            transaction.update(
                profile,
                actions=[
                    WorkerProfileItem.level.set(level_for(profile, certificates)),
                    WorkerProfileItem.certificate_kinds.set(verified_kinds(certificates)),
                ],
                condition=WorkerProfileItem.pk.exists(),
            )
    except TransactWriteError as error:
        try:
            latest = CertificateItem.get(
                *CertificateItem.key(worker_id, certificate_id), consistent_read=True
            )
        except CertificateItem.DoesNotExist:
            raise NotFound() from error
        raise Conflict("invalid_certificate_status", status=latest.status) from error
    if profile.status == "verified":
        refresh_search_entries(worker_id)
