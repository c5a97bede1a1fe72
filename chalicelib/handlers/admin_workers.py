"""Admin review of workers: the queue, decisions, suspensions, groups, levels and certificates.

Admins decide; support agents may read the queue and profiles but get no document links and
cannot decide (403). Each decision answers with the worker as it now stands.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.lazy import lazy_import
from chalicelib.schemas.workers import (
    AdminWorkerItem,
    AdminWorkerOut,
    AdminWorkerPatch,
    AdminWorkerQuery,
    ReasonIn,
)
from chalicelib.web import Api, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.workers import review
else:
    review = lazy_import("chalicelib.workers.review")

api = Api("admin_workers")

ADMIN = ("admin",)
READERS = ("admin", "support")
WORKER_PATH = "/v1/admin/workers/{worker_id}"


def _actor(request: Request[Any]) -> review.Actor:
    principal = request.principal
    return review.Actor(user_id=principal.user_id, role=principal.role, request_id=request.request_id)


def _detail(request: Request[Any]) -> AdminWorkerOut:
    view = review.worker_detail(
        request.path["worker_id"], request.locale, downloads=request.principal.role == "admin"
    )
    extra = {key: value for key, value in asdict(view).items() if key != "profile"}
    return AdminWorkerOut.model_validate({**asdict(view.profile), **extra})


@api.get("/v1/admin/workers", roles=READERS, query=AdminWorkerQuery, response=Page[AdminWorkerItem])
def list_workers(request: Request[Any]) -> Page[AdminWorkerItem]:
    """Workers by status; ``pending_review`` (the default) is the review queue, oldest first."""
    query: AdminWorkerQuery = request.query
    items, cursor = review.list_workers(query.status, limit=query.limit, cursor=query.cursor)
    return Page[AdminWorkerItem](
        items=[AdminWorkerItem.model_validate(asdict(item)) for item in items], next_cursor=cursor
    )


@api.get(WORKER_PATH, roles=READERS, response=AdminWorkerOut, errors=(404,))
def get_worker(request: Request[Any]) -> AdminWorkerOut:
    """One worker with certificates (admins get 5-minute download links); ID number masked."""
    return _detail(request)


@api.post(f"{WORKER_PATH}/approve", roles=ADMIN, response=AdminWorkerOut, errors=(404, 409))
def approve_worker(request: Request[Any]) -> AdminWorkerOut:
    """Approve a worker under review: verified, searchable, notified."""
    review.approve(request.path["worker_id"], _actor(request))
    return _detail(request)


@api.post(f"{WORKER_PATH}/reject", roles=ADMIN, body=ReasonIn, response=AdminWorkerOut, errors=(404, 409))
def reject_worker(request: Request[ReasonIn]) -> AdminWorkerOut:
    """Reject a worker under review with a reason the worker sees."""
    review.reject(request.path["worker_id"], request.body.reason, _actor(request))
    return _detail(request)


@api.post(f"{WORKER_PATH}/suspend", roles=ADMIN, body=ReasonIn, response=AdminWorkerOut, errors=(404, 409))
def suspend_worker(request: Request[ReasonIn]) -> AdminWorkerOut:
    """Suspend a verified worker: out of search, no new orders."""
    review.suspend(request.path["worker_id"], request.body.reason, _actor(request))
    return _detail(request)


@api.post(f"{WORKER_PATH}/reinstate", roles=ADMIN, response=AdminWorkerOut, errors=(404, 409))
def reinstate_worker(request: Request[Any]) -> AdminWorkerOut:
    """Lift a suspension: verified and searchable again."""
    review.reinstate(request.path["worker_id"], _actor(request))
    return _detail(request)


@api.patch(WORKER_PATH, roles=ADMIN, body=AdminWorkerPatch, response=AdminWorkerOut, errors=(404,))
def patch_worker(request: Request[AdminWorkerPatch]) -> AdminWorkerOut:
    """Set groups and/or pin a level (``"level": null`` goes back to the derived level)."""
    body, sent = request.body, request.body.model_fields_set
    review.update_worker(
        request.path["worker_id"],
        _actor(request),
        groups=(body.groups or []) if "groups" in sent else review.UNCHANGED,
        level=body.level if "level" in sent else review.UNCHANGED,
    )
    return _detail(request)


@api.post(
    f"{WORKER_PATH}/certificates/{{certificate_id}}/verify",
    roles=ADMIN,
    response=AdminWorkerOut,
    errors=(404, 409),
)
def verify_certificate(request: Request[Any]) -> AdminWorkerOut:
    """Verify one uploaded certificate (e.g. one added after approval)."""
    review.verify_certificate(request.path["worker_id"], request.path["certificate_id"], _actor(request))
    return _detail(request)


@api.post(
    f"{WORKER_PATH}/certificates/{{certificate_id}}/reject",
    roles=ADMIN,
    body=ReasonIn,
    response=AdminWorkerOut,
    errors=(404, 409),
)
def reject_certificate(request: Request[ReasonIn]) -> AdminWorkerOut:
    """Reject one certificate with a reason the worker sees."""
    review.reject_certificate(
        request.path["worker_id"], request.path["certificate_id"], request.body.reason, _actor(request)
    )
    return _detail(request)
