"""A worker's certificate files: upload slots in the private bucket and their review state.

A certificate goes ``awaiting_upload`` (an upload URL was handed out) → ``uploaded`` (S3 holds an
object of the declared type and size; found with HeadObject whenever the certificates are read,
so no S3 event wiring is needed) → ``verified`` or ``rejected`` by a reviewer. Approving a worker
verifies every uploaded certificate at once; certificates added later are verified one by one.

Identity documents and the health certificate are required of everyone; the other kinds are
professional qualifications, which count towards the worker's level
(``chalicelib.workers.levels``). Verified certificates cannot be deleted: they are what the
approval rested on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib import clock, i18n, uploads
from chalicelib.errors import Conflict, NotFound
from chalicelib.i18n import DEFAULT_LOCALE
from chalicelib.ids import new_id
from chalicelib.models.base import transact_write
from chalicelib.models.workers import CertificateItem, WorkerProfileItem
from chalicelib.workers.terms import MAX_SIZE_BYTES, CertificateKind, ContentType

__all__ = [
    "CONTENT_TYPES",
    "EDITABLE_STATUSES",
    "KINDS",
    "MAX_CERTIFICATES",
    "MAX_SIZE_BYTES",
    "CertificateKind",
    "CertificateView",
    "ContentType",
    "NewCertificate",
    "certificate_items",
    "certificate_view",
    "confirm_uploads",
    "create_certificate",
    "delete_certificate",
    "list_certificates",
    "safe_file_name",
    "verified_professional_count",
]

MAX_CERTIFICATES = 20
EDITABLE_STATUSES = ("draft", "rejected", "verified")
"""Profile statuses in which the worker may change certificates (not under review, not suspended)."""

CONTENT_TYPES: dict[str, str] = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


@dataclass(frozen=True)
class _Kind:
    names: dict[str, str]
    professional: bool


KINDS: dict[str, _Kind] = {  # the same kinds as CertificateKind (a unit test keeps them in step)
    "id_card_front": _Kind({"zh-CN": "身份证人像面", "en": "ID card (photo side)"}, professional=False),
    "id_card_back": _Kind({"zh-CN": "身份证国徽面", "en": "ID card (emblem side)"}, professional=False),
    "health_certificate": _Kind({"zh-CN": "健康证", "en": "Health certificate"}, professional=False),
    "housekeeping_cert": _Kind({"zh-CN": "家政服务员证", "en": "Housekeeper certificate"}, professional=True),
    "maternity_nurse_cert": _Kind(
        {"zh-CN": "月嫂证（母婴护理师）", "en": "Maternity nurse certificate"}, professional=True
    ),
    "infant_care_cert": _Kind({"zh-CN": "育婴师证", "en": "Infant carer certificate"}, professional=True),
    "childcare_cert": _Kind({"zh-CN": "保育员证", "en": "Childcare worker certificate"}, professional=True),
    "elder_care_cert": _Kind({"zh-CN": "养老护理员证", "en": "Elder carer certificate"}, professional=True),
    "dietitian_cert": _Kind({"zh-CN": "公共营养师证", "en": "Dietitian certificate"}, professional=True),
    "electrician_licence": _Kind({"zh-CN": "电工作业证", "en": "Electrician licence"}, professional=True),
    "other_qualification": _Kind(
        {"zh-CN": "其他职业资格证书", "en": "Other vocational qualification"}, professional=True
    ),
}

i18n.register(
    {
        "worker_profile_missing": {
            "zh-CN": "请先填写服务人员资料",
            "en": "Fill in your worker profile first.",
        },
        "profile_locked": {
            "zh-CN": "资料审核中或已暂停，当前不能修改（状态：{status}）",
            "en": "The profile cannot be changed while it is {status}.",
        },
        "too_many_certificates": {
            "zh-CN": "证书数量已达上限（{limit} 份）",
            "en": "You can keep at most {limit} certificates.",
        },
        "certificate_verified": {
            "zh-CN": "已审核通过的证书不能删除",
            "en": "A verified certificate cannot be deleted.",
        },
    }
)


@dataclass(frozen=True)
class CertificateView:
    certificate_id: str
    kind: str
    kind_name: str
    file_name: str
    content_type: str
    size_bytes: int
    status: str
    created_at: str
    uploaded_at: str | None
    reviewed_at: str | None
    reject_reason: str | None
    download_url: str | None = None


@dataclass(frozen=True)
class NewCertificate:
    certificate: CertificateView
    upload: uploads.PresignedUpload


def _kind_name(kind: str, locale: str) -> str:
    names = KINDS[kind].names
    return names.get(locale) or names[DEFAULT_LOCALE]


def certificate_view(item: CertificateItem, locale: str, *, download: bool = False) -> CertificateView:
    """The API shape; ``download`` adds a short-lived link to the file (reviewers only)."""
    has_file = item.status != "awaiting_upload"
    return CertificateView(
        certificate_id=item.certificate_id,
        kind=item.kind,
        kind_name=_kind_name(item.kind, locale),
        file_name=item.file_name,
        content_type=item.content_type,
        size_bytes=int(item.size_bytes),
        status=item.status,
        created_at=item.created_at,
        uploaded_at=item.uploaded_at,
        reviewed_at=item.reviewed_at,
        reject_reason=item.reject_reason,
        download_url=uploads.presign_download(item.s3_key, file_name=item.file_name)
        if download and has_file
        else None,
    )


def safe_file_name(file_name: str, content_type: str) -> str:
    """An S3-key-safe ASCII name with the extension of ``content_type`` (``健康证.JPG`` -> ``file.jpg``)."""
    base = re.split(r"[\\/]", file_name)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_-")[:60]
    return (stem or "file") + CONTENT_TYPES[content_type]


def certificate_items(worker_id: str) -> list[CertificateItem]:
    """The worker's certificates, oldest first (one Query of the worker's partition)."""
    pk, _ = WorkerProfileItem.key(worker_id)
    return list(CertificateItem.query(pk, CertificateItem.sk.startswith("CERT#"), consistent_read=True))


def confirm_uploads(items: list[CertificateItem]) -> list[CertificateItem]:
    """Mark ``awaiting_upload`` certificates ``uploaded`` where S3 holds the declared file.

    The object must have the declared type and size; S3 enforces both through the signed URL,
    and checking again here keeps the rule where the local stand-in does not check signatures.
    """
    confirmed = []
    for item in items:
        found = uploads.head(item.s3_key) if item.status == "awaiting_upload" else None
        if found is None or found.size_bytes != item.size_bytes or found.content_type != item.content_type:
            confirmed.append(item)
            continue
        try:
            item.update(
                actions=[
                    CertificateItem.status.set("uploaded"),
                    CertificateItem.uploaded_at.set(clock.iso()),
                ],
                condition=CertificateItem.status == "awaiting_upload",
            )
        except UpdateError as error:
            if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
                raise
            try:  # confirmed by a concurrent read, or deleted meanwhile
                item.refresh(consistent_read=True)
            except CertificateItem.DoesNotExist:
                continue
        confirmed.append(item)
    return confirmed


def verified_professional_count(items: list[CertificateItem]) -> int:
    """How many verified certificates are professional qualifications (an input of the level)."""
    return sum(1 for item in items if item.status == "verified" and KINDS[item.kind].professional)


def _editable_profile(worker_id: str) -> WorkerProfileItem:
    try:
        profile = WorkerProfileItem.get(*WorkerProfileItem.key(worker_id), consistent_read=True)
    except WorkerProfileItem.DoesNotExist:
        raise Conflict("worker_profile_missing") from None
    if profile.status not in EDITABLE_STATUSES:
        raise Conflict("profile_locked", status=profile.status)
    return profile


def create_certificate(
    worker_id: str,
    *,
    kind: str,
    file_name: str,
    content_type: str,
    size_bytes: int,
    locale: str,
) -> NewCertificate:
    """Reserve a certificate and hand out a presigned upload for its file.

    The certificate is written together with a check that the profile is still editable, so a
    submission racing this call cannot end up under review with a file added behind its back.
    """
    profile = _editable_profile(worker_id)
    # Counted, not reserved: only the worker adds their own certificates, so a race is with oneself.
    if len(certificate_items(worker_id)) >= MAX_CERTIFICATES:
        raise Conflict("too_many_certificates", limit=MAX_CERTIFICATES)
    certificate_id = new_id("cert")
    display_name = re.split(r"[\\/]", file_name)[-1].strip() or "file"
    s3_key = f"workers/{worker_id}/certificates/{certificate_id}/{safe_file_name(display_name, content_type)}"
    pk, sk = CertificateItem.key(worker_id, certificate_id)
    item = CertificateItem(
        pk,
        sk,
        certificate_id=certificate_id,
        worker_id=worker_id,
        kind=kind,
        file_name=display_name,
        content_type=content_type,
        size_bytes=size_bytes,
        s3_key=s3_key,
        status="awaiting_upload",
        created_at=clock.iso(),
    )
    try:
        with transact_write() as transaction:
            transaction.condition_check(
                WorkerProfileItem,
                profile.pk,
                profile.sk,
                condition=WorkerProfileItem.status.is_in(*EDITABLE_STATUSES),
            )
            transaction.save(item, condition=CertificateItem.pk.does_not_exist())
    except TransactWriteError as error:
        _editable_profile(worker_id)  # raises the 409 naming the new status
        raise Conflict() from error
    upload = uploads.presign_upload(s3_key, content_type=content_type, size_bytes=size_bytes)
    return NewCertificate(certificate=certificate_view(item, locale), upload=upload)


def list_certificates(worker_id: str, locale: str) -> list[CertificateView]:
    """The worker's certificates with uploads confirmed, oldest first."""
    return [certificate_view(item, locale) for item in confirm_uploads(certificate_items(worker_id))]


def _get_item(worker_id: str, certificate_id: str) -> CertificateItem:
    if len(certificate_id) > 64:  # no id is that long; DynamoDB would refuse the key
        raise NotFound()
    try:
        return CertificateItem.get(*CertificateItem.key(worker_id, certificate_id), consistent_read=True)
    except CertificateItem.DoesNotExist:
        raise NotFound() from None


def delete_certificate(worker_id: str, certificate_id: str) -> None:
    """Delete a certificate that is not verified, and its file; 404 when it is not the caller's."""
    item = _get_item(worker_id, certificate_id)
    if item.status == "verified":
        raise Conflict("certificate_verified")
    profile = _editable_profile(worker_id)
    try:
        with transact_write() as transaction:
            transaction.condition_check(
                WorkerProfileItem,
                profile.pk,
                profile.sk,
                condition=WorkerProfileItem.status.is_in(*EDITABLE_STATUSES),
            )
            transaction.delete(
                item, condition=CertificateItem.status.is_in("awaiting_upload", "uploaded", "rejected")
            )
    except TransactWriteError as error:
        # Something changed meanwhile: answer for the new state (locked, gone or verified).
        _editable_profile(worker_id)
        _get_item(worker_id, certificate_id)
        raise Conflict("certificate_verified") from error
    uploads.delete(item.s3_key)
