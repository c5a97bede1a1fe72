"""A worker's own profile: editing it, submitting it for review, its level, and "is verified?".

Statuses (docs/workers.md has the full table): ``draft`` → ``pending_review`` → ``verified`` or
``rejected``; ``verified`` ⇄ ``suspended`` by an admin. The profile item carries its status on
gsi2 (``WORKERS#<status>`` / ``<submitted_at or created_at>#<id>``), and every write that changes
the status changes gsi2 with it, so the admin review queue is one Query.

Editing rules, as a platform that vouches for its workers needs them:

- ``draft`` and ``rejected`` profiles can be saved freely, incomplete too (the app saves as the
  worker goes); completeness is required on submit.
- ``pending_review`` and ``suspended`` profiles are locked (409 ``profile_locked``): the reviewer
  must decide on what the worker submitted, and a suspension is not lifted by editing.
- A ``verified`` profile stays complete (422 otherwise). Changes to what the reviewer checked --
  real name, ID number, years of experience, or a skill the worker did not have -- send it back to
  ``pending_review`` (and out of search) until re-approved. Everything else (bio, service areas,
  home location, dropping a skill) applies at once and the search entries follow.

The ID number is validated by the request schema (``chalicelib.workers.id_number``), encrypted with
KMS bound to the worker, kept masked for display, and indexed by a keyed hash so that one person
cannot run two worker accounts (409 ``id_number_in_use``); the hash also tells whether an edit
changed the number without decrypting it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib import clock, i18n, kms
from chalicelib.accounts.users import get_user
from chalicelib.crypto import blind_index
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.geo import encode_geohash
from chalicelib.models.accounts import IdentityItem
from chalicelib.models.base import cancellation_reasons, transact_write
from chalicelib.models.workers import CertificateItem, WorkerProfileItem
from chalicelib.workers.blacklist import BlacklistItem, is_blacklisted
from chalicelib.workers.certificates import (
    EDITABLE_STATUSES,
    CertificateView,
    certificate_items,
    certificate_view,
    confirm_uploads,
    verified_professional_count,
)
from chalicelib.workers.id_number import mask_id_number
from chalicelib.workers.levels import LevelInputs, derive_level, level_name
from chalicelib.workers.search_index import refresh_search_entries
from chalicelib.workers.terms import ProfileFields

__all__ = [
    "GEOHASH_PRECISION",
    "MAX_ID_LENGTH",
    "ProfileFields",
    "Rating",
    "WorkerProfileView",
    "get_profile",
    "gsi2_keys",
    "is_verified",
    "level_for",
    "load_profile",
    "missing_fields",
    "profile_view",
    "rating_of",
    "refresh_level",
    "require_verified",
    "save_profile",
    "submit_profile",
]

GEOHASH_PRECISION = 7
MAX_ID_LENGTH = 64
"""Longer path ids are unknown without asking DynamoDB (whose key size limit would turn them into 500s)."""
SUBMITTABLE_STATUSES = ("draft", "rejected")
_ID_INDEX_KIND = "id_number"
_EDITED_ATTRIBUTES = (
    "name",
    "real_name",
    "skills",
    "experience_years",
    "bio",
    "service_areas",
    "home_lat",
    "home_lng",
    "home_geohash",
    "level",
    "updated_at",
)

i18n.register(
    {
        "profile_incomplete": {
            "zh-CN": "资料不完整，请补充后再提交",
            "en": "The profile is incomplete: fill in the fields listed in details.",
        },
        "certificate_required": {
            "zh-CN": "请至少上传一份证书后再提交审核",
            "en": "Upload at least one certificate before submitting.",
        },
        "invalid_worker_status": {
            "zh-CN": "当前状态（{status}）不允许此操作",
            "en": "Not allowed while the worker is {status}.",
        },
        "id_number_in_use": {
            "zh-CN": "该身份证号已绑定其他服务人员账号",
            "en": "This ID number belongs to another worker account.",
        },
        "id_number_blacklisted": {
            "zh-CN": "该身份证号已被平台禁止注册服务人员",
            "en": "This ID number is barred from working on the platform.",
        },
        "worker_not_verified": {
            "zh-CN": "服务人员尚未通过认证",
            "en": "The worker is not verified.",
        },
    }
)


@dataclass(frozen=True)
class Rating:
    overall: float
    quality: float
    attitude: float
    skill: float
    count: int


@dataclass(frozen=True)
class WorkerProfileView:
    worker_id: str
    name: str
    status: str
    real_name: str | None
    id_number: str | None  # masked, never the number itself
    skills: list[str]
    experience_years: int | None
    bio: str | None
    service_areas: list[dict[str, str]]
    home_location: dict[str, float] | None
    level: str
    level_name: str
    level_pinned: bool
    groups: list[str]
    rating: Rating
    submitted_at: str | None
    reviewed_at: str | None
    reject_reason: str | None
    created_at: str | None
    updated_at: str | None
    certificates: list[CertificateView] = field(default_factory=list)


def load_profile(worker_id: str) -> WorkerProfileItem | None:
    """The profile item, or None (also for ids no user can have, e.g. from a mangled URL)."""
    if not worker_id or len(worker_id) > MAX_ID_LENGTH:
        return None
    try:
        return WorkerProfileItem.get(*WorkerProfileItem.key(worker_id), consistent_read=True)
    except WorkerProfileItem.DoesNotExist:
        return None


def gsi2_keys(profile: WorkerProfileItem, status: str) -> tuple[str, str]:
    """The review-queue keys of ``profile`` in ``status``: oldest submission sorts first."""
    return f"WORKERS#{status}", f"{profile.submitted_at or profile.created_at}#{profile.worker_id}"


def rating_of(profile: WorkerProfileItem) -> Rating:
    """Average ratings from the kept sums (``overall`` is the mean of the three aspects)."""
    count = int(profile.rating_count or 0)
    if not count:
        return Rating(overall=0.0, quality=0.0, attitude=0.0, skill=0.0, count=0)
    quality = profile.rating_quality_sum / count
    attitude = profile.rating_attitude_sum / count
    skill = profile.rating_skill_sum / count
    return Rating(
        overall=round((quality + attitude + skill) / 3, 2),
        quality=round(quality, 2),
        attitude=round(attitude, 2),
        skill=round(skill, 2),
        count=count,
    )


def verified_kinds(certificates: list[CertificateItem]) -> list[str]:
    """The kinds of the verified certificates, as the public profile shows them."""
    return sorted({str(item.kind) for item in certificates if item.status == "verified"})


def level_for(profile: WorkerProfileItem, certificates: list[CertificateItem]) -> str:
    """The admin's pinned level, or the one derived from experience, certificates and ratings."""
    if profile.level_override:
        return str(profile.level_override)
    count = int(profile.rating_count or 0)
    sums = profile.rating_quality_sum + profile.rating_attitude_sum + profile.rating_skill_sum
    return derive_level(
        LevelInputs(
            experience_years=int(profile.experience_years or 0),
            verified_certificates=verified_professional_count(certificates),
            rating_average=sums / (3 * count) if count else 0.0,
            rating_count=count,
        )
    )


def missing_fields(profile: WorkerProfileItem) -> list[str]:
    """The fields a complete profile needs that ``profile`` lacks (the bio is optional)."""
    present = {
        "real_name": bool(profile.real_name),
        "id_number": bool(profile.id_number_enc),
        "skills": bool(profile.skills),
        "experience_years": profile.experience_years is not None,
        "service_areas": bool(profile.service_areas),
        "home_location": profile.home_lat is not None and profile.home_lng is not None,
    }
    return [name for name, ok in present.items() if not ok]


def _strings(values: Any) -> list[str]:
    """A pynamodb string list as plain strings (empty when unset)."""
    return [str(value) for value in values or []]


def _missing_details(missing: list[str]) -> list[dict[str, Any]]:
    return [{"field": name, "code": "missing", "message": "required before review"} for name in missing]


def profile_view(
    profile: WorkerProfileItem,
    certificates: list[CertificateItem],
    locale: str,
    *,
    downloads: bool = False,
) -> WorkerProfileView:
    """The profile as its owner (or, with ``downloads``, a reviewer) sees it."""
    level = profile.level or level_for(profile, certificates)
    home = (
        {"lat": float(profile.home_lat), "lng": float(profile.home_lng)}
        if profile.home_lat is not None and profile.home_lng is not None
        else None
    )
    return WorkerProfileView(
        worker_id=profile.worker_id,
        name=profile.name,
        status=profile.status,
        real_name=profile.real_name,
        id_number=profile.id_number_masked,
        skills=_strings(profile.skills),
        experience_years=int(profile.experience_years) if profile.experience_years is not None else None,
        bio=profile.bio,
        service_areas=list(profile.service_areas or []),
        home_location=home,
        level=level,
        level_name=level_name(level, locale),
        level_pinned=bool(profile.level_override),
        groups=_strings(profile.groups),
        rating=rating_of(profile),
        submitted_at=profile.submitted_at,
        reviewed_at=profile.reviewed_at,
        reject_reason=profile.reject_reason if profile.status == "rejected" else None,
        created_at=profile.created_at,
        updated_at=profile.updated_at,
        certificates=[certificate_view(item, locale, download=downloads) for item in certificates],
    )


def get_profile(worker_id: str, locale: str) -> WorkerProfileView:
    """The caller's profile; before the first save, an empty draft under the account's name."""
    profile = load_profile(worker_id)
    if profile is None:
        user = get_user(worker_id)
        pk, sk = WorkerProfileItem.key(worker_id)
        profile = WorkerProfileItem(pk, sk, worker_id=worker_id, name=user.name, status="draft")
        return profile_view(profile, [], locale)
    return profile_view(profile, confirm_uploads(certificate_items(worker_id)), locale)


def _needs_review(before: WorkerProfileItem, fields: ProfileFields, id_changed: bool) -> bool:
    """Whether an edit of a verified profile touches what the reviewer checked."""
    added_skills = set(fields.skills) - set(_strings(before.skills))
    return (
        id_changed
        or fields.real_name != before.real_name
        or fields.experience_years
        != (int(before.experience_years) if before.experience_years is not None else None)
        or bool(added_skills)
    )


def _apply(profile: WorkerProfileItem, fields: ProfileFields, name: str, now: str) -> None:
    profile.name = name
    profile.real_name = fields.real_name
    profile.skills = cast(Any, list(fields.skills))  # pynamodb types list items as attributes
    profile.experience_years = fields.experience_years
    profile.bio = fields.bio
    profile.service_areas = [dict(area) for area in fields.service_areas]
    if fields.home_location is None:
        profile.home_lat = profile.home_lng = profile.home_geohash = None
    else:
        lat, lng = fields.home_location["lat"], fields.home_location["lng"]
        profile.home_lat, profile.home_lng = lat, lng
        profile.home_geohash = encode_geohash(lat, lng, GEOHASH_PRECISION)
    profile.updated_at = now


def _set_or_remove(attribute: Any, value: Any) -> Any:
    return attribute.remove() if value is None else attribute.set(value)


def save_profile(worker_id: str, fields: ProfileFields, locale: str) -> WorkerProfileView:
    """Create or replace the caller's profile (``PUT`` semantics; see the module docstring).

    One transaction writes the profile (conditional on the status it was read in) and, when the
    ID number changes, claims the new number's index entry and releases the old one.
    """
    user = get_user(worker_id)
    before = load_profile(worker_id)
    if before is not None and before.status not in EDITABLE_STATUSES:
        raise Conflict("profile_locked", status=before.status)
    now = clock.iso()
    pk, sk = WorkerProfileItem.key(worker_id)
    profile = before or WorkerProfileItem(
        pk, sk, worker_id=worker_id, name=user.name, status="draft", created_at=now
    )
    old_status, old_hash = profile.status, profile.id_number_hash
    new_hash = blind_index(_ID_INDEX_KIND, fields.id_number) if fields.id_number else None
    id_changed = new_hash is not None and new_hash != old_hash
    if id_changed and new_hash and is_blacklisted(new_hash):
        raise Forbidden(
            "id_number_blacklisted",
            details=[{"field": "id_number", "code": "blacklisted", "message": "barred by the platform"}],
        )
    back_to_review = old_status == "verified" and _needs_review(profile, fields, id_changed)
    _apply(profile, fields, user.name, now)
    if id_changed and fields.id_number:
        profile.id_number_enc = kms.encrypt(fields.id_number, context={"worker_id": worker_id})
        profile.id_number_masked = mask_id_number(fields.id_number)
        profile.id_number_hash = new_hash
    if old_status == "verified" and (missing := missing_fields(profile)):
        raise ValidationFailed("profile_incomplete", details=_missing_details(missing))
    certificates = certificate_items(worker_id) if before is not None else []
    profile.level = level_for(profile, certificates)
    if back_to_review:
        profile.status, profile.submitted_at = "pending_review", now
    profile.gsi2pk, profile.gsi2sk = gsi2_keys(profile, profile.status)

    releases_old = id_changed and old_hash is not None
    # condition checks come first in the transaction, then deletes, then puts
    claim_index = (1 if id_changed else 0) + (1 if releases_old else 0)
    try:
        with transact_write() as transaction:
            if id_changed and new_hash:  # barred meanwhile: the claim below is refused too
                transaction.condition_check(
                    BlacklistItem, *BlacklistItem.key(new_hash), condition=BlacklistItem.pk.does_not_exist()
                )
            if releases_old:
                transaction.delete(IdentityItem(*IdentityItem.key(_ID_INDEX_KIND, str(old_hash))))
            if id_changed and new_hash:
                claim = IdentityItem(
                    *IdentityItem.key(_ID_INDEX_KIND, new_hash), user_id=worker_id, kind=_ID_INDEX_KIND
                )
                transaction.save(
                    claim, condition=IdentityItem.pk.does_not_exist() | (IdentityItem.user_id == worker_id)
                )
            if before is None:
                transaction.save(profile, condition=WorkerProfileItem.pk.does_not_exist())
            else:
                transaction.update(
                    profile,
                    actions=_update_actions(profile, id_changed, back_to_review),
                    condition=WorkerProfileItem.status == old_status,
                )
    except TransactWriteError as error:
        reasons = cancellation_reasons(error)
        if id_changed and reasons and reasons[0] == "ConditionalCheckFailed":
            raise Forbidden("id_number_blacklisted") from error
        if id_changed and len(reasons) > claim_index and reasons[claim_index] == "ConditionalCheckFailed":
            raise Conflict(
                "id_number_in_use",
                details=[{"field": "id_number", "code": "in_use", "message": "used by another account"}],
            ) from error
        current = load_profile(worker_id)
        raise Conflict("profile_locked", status=current.status if current else "draft") from error
    if old_status == "verified":
        refresh_search_entries(worker_id)
    return profile_view(profile, certificates, locale)


def _update_actions(profile: WorkerProfileItem, id_changed: bool, back_to_review: bool) -> list[Any]:
    names = list(_EDITED_ATTRIBUTES)
    if id_changed:
        names += ["id_number_enc", "id_number_masked", "id_number_hash"]
    if back_to_review:
        names += ["status", "submitted_at"]
    actions = [_set_or_remove(getattr(WorkerProfileItem, name), getattr(profile, name)) for name in names]
    actions += [WorkerProfileItem.gsi2pk.set(profile.gsi2pk), WorkerProfileItem.gsi2sk.set(profile.gsi2sk)]
    return actions


def submit_profile(worker_id: str, locale: str) -> WorkerProfileView:
    """Send a complete ``draft`` or ``rejected`` profile with an uploaded certificate to review.

    Every failure is a 409 (the call has no input; the profile's state is what is wrong):
    ``invalid_worker_status``, ``profile_incomplete`` (details name the fields) or
    ``certificate_required``.
    """
    profile = load_profile(worker_id)
    if profile is None:
        all_fields = [
            "real_name",
            "id_number",
            "skills",
            "experience_years",
            "service_areas",
            "home_location",
        ]
        raise Conflict("profile_incomplete", details=_missing_details(all_fields))
    if profile.status not in SUBMITTABLE_STATUSES:
        raise Conflict("invalid_worker_status", status=profile.status)
    if missing := missing_fields(profile):
        raise Conflict("profile_incomplete", details=_missing_details(missing))
    certificates = confirm_uploads(certificate_items(worker_id))
    if not any(item.status in ("uploaded", "verified") for item in certificates):
        raise Conflict(
            "certificate_required",
            details=[{"field": "certificates", "code": "missing", "message": "no uploaded certificate"}],
        )
    now = clock.iso()
    old_status = profile.status
    profile.submitted_at = now
    gsi2pk, gsi2sk = gsi2_keys(profile, "pending_review")
    try:
        profile.update(
            actions=[
                WorkerProfileItem.status.set("pending_review"),
                WorkerProfileItem.submitted_at.set(now),
                WorkerProfileItem.updated_at.set(now),
                WorkerProfileItem.reject_reason.remove(),
                WorkerProfileItem.gsi2pk.set(gsi2pk),
                WorkerProfileItem.gsi2sk.set(gsi2sk),
            ],
            condition=WorkerProfileItem.status == old_status,
        )
    except UpdateError as error:
        current = load_profile(worker_id)
        raise Conflict("invalid_worker_status", status=current.status if current else "draft") from error
    return profile_view(profile, certificates, locale)


def refresh_level(worker_id: str) -> str:
    """Re-derive and store the worker's level; call it after any of its inputs changes.

    Its inputs are experience, verified certificates and ratings: the review flow (later issues)
    calls this after adding a rating. A verified worker's search entries follow the new level.
    """
    profile = load_profile(worker_id)
    if profile is None:
        raise NotFound()
    level = level_for(profile, certificate_items(worker_id))
    if level != profile.level:
        profile.update(actions=[WorkerProfileItem.level.set(level)], condition=WorkerProfileItem.pk.exists())
        if profile.status == "verified":
            refresh_search_entries(worker_id)
    return level


def is_verified(worker_id: str) -> bool:
    """Whether ``worker_id`` is a verified worker: only those appear in search and take orders."""
    profile = load_profile(worker_id)
    return profile is not None and profile.status == "verified"


def require_verified(worker_id: str) -> None:
    """403 ``worker_not_verified`` unless the worker is verified (e.g. before accepting an order)."""
    if not is_verified(worker_id):
        raise Forbidden("worker_not_verified")
