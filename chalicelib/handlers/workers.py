"""A worker's own onboarding: profile, certificate uploads, submission for review.

Every route acts on the caller (``worker_id`` is the caller's ``user_id``), so a worker cannot
reach another worker's profile or files: their certificate ids simply are not found (404).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.lazy import lazy_import
from chalicelib.schemas.workers import (
    CertificateIn,
    CertificateOut,
    CertificateUpload,
    WorkerProfileIn,
    WorkerProfileOut,
)
from chalicelib.web import Api, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.workers import certificates, profile
else:
    certificates = lazy_import("chalicelib.workers.certificates")
    profile = lazy_import("chalicelib.workers.profile")

api = Api("workers")

WORKER = ("worker",)


def profile_out(view: profile.WorkerProfileView) -> WorkerProfileOut:
    return WorkerProfileOut.model_validate(asdict(view))


@api.get("/v1/worker/profile", roles=WORKER, response=WorkerProfileOut)
def get_profile(request: Request[Any]) -> WorkerProfileOut:
    """The caller's worker profile (an empty draft before the first save); ID number masked."""
    return profile_out(profile.get_profile(request.principal.user_id, request.locale))


@api.put(
    "/v1/worker/profile", roles=WORKER, body=WorkerProfileIn, response=WorkerProfileOut, errors=(409, 422)
)
def put_profile(request: Request[WorkerProfileIn]) -> WorkerProfileOut:
    """Save the whole profile. Locked while under review or suspended (409); editing a verified
    profile's name, ID number, experience or adding a skill sends it back to review."""
    view = profile.save_profile(request.principal.user_id, request.body.fields(), request.locale)
    return profile_out(view)


@api.post("/v1/worker/profile/submit", roles=WORKER, response=WorkerProfileOut, status=202, errors=(409,))
def submit_profile(request: Request[Any]) -> WorkerProfileOut:
    """Submit a complete profile with at least one uploaded certificate for review."""
    return profile_out(profile.submit_profile(request.principal.user_id, request.locale))


@api.post(
    "/v1/worker/certificates",
    roles=WORKER,
    body=CertificateIn,
    response=CertificateUpload,
    status=201,
    errors=(409, 422),
)
def create_certificate(request: Request[CertificateIn]) -> CertificateUpload:
    """Get a presigned upload for a certificate file (JPEG, PNG or PDF, at most 10 MiB)."""
    body = request.body
    created = certificates.create_certificate(
        request.principal.user_id,
        kind=body.kind,
        file_name=body.file_name,
        content_type=body.content_type,
        size_bytes=body.size_bytes,
        locale=request.locale,
    )
    return CertificateUpload(
        certificate_id=created.certificate.certificate_id,
        upload_url=created.upload.url,
        expires_in=created.upload.expires_in,
        headers_to_send=created.upload.headers,
        certificate=CertificateOut.model_validate(asdict(created.certificate)),
    )


@api.get("/v1/worker/certificates", roles=WORKER, response=Page[CertificateOut])
def list_certificates(request: Request[Any]) -> Page[CertificateOut]:
    """The caller's certificates, oldest first (at most 20, so one page)."""
    views = certificates.list_certificates(request.principal.user_id, request.locale)
    return Page[CertificateOut](items=[CertificateOut.model_validate(asdict(v)) for v in views])


@api.delete("/v1/worker/certificates/{certificate_id}", roles=WORKER, status=204, errors=(404, 409))
def delete_certificate(request: Request[Any]) -> None:
    """Delete a certificate that is not verified yet (to replace a wrong or unreadable file)."""
    certificates.delete_certificate(request.principal.user_id, request.path["certificate_id"])
