"""Admin management of accounts: the directory, details, suspension, groups, levels, staff, blacklist.

Admins and support agents read; only admins change anything or create staff (support: 403).
Every change is audited in the transaction that makes it (``chalicelib.admin.users``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.lazy import lazy_import
from chalicelib.schemas.admin import (
    ReasonBody,
    RevealedIdNumber,
    StaffIn,
    StaffUserOut,
    UserDetailOut,
    UserPatch,
    UsersQuery,
)
from chalicelib.web import Api, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.admin import directory, users
else:
    directory = lazy_import("chalicelib.admin.directory")
    users = lazy_import("chalicelib.admin.users")

api = Api("admin_users")

ADMIN = ("admin",)
READERS = ("admin", "support")
USER_PATH = "/v1/admin/users/{user_id}"


def actor_of(request: Request[Any]) -> Any:
    """The audit log's actor for this request."""
    from chalicelib.audit import Actor

    principal = request.principal
    return Actor(principal.user_id, principal.role, request.request_id, request.client_ip)


def _detail(view: Any) -> UserDetailOut:
    fields = asdict(view)
    return UserDetailOut.model_validate({**fields.pop("user"), **fields})


@api.get("/v1/admin/users", roles=READERS, query=UsersQuery, response=Page[StaffUserOut], errors=(422,))
def list_users(request: Request[Any]) -> Page[StaffUserOut]:
    """Accounts by role, status and group, newest first; ``q`` finds a phone/e-mail or a name prefix."""
    query: UsersQuery = request.query
    found, cursor = directory.list_users(
        directory.UserFilter(role=query.role, status=query.status, group=query.group, q=query.q),
        limit=query.limit,
        cursor=query.cursor,
    )
    return Page[StaffUserOut](
        items=[StaffUserOut.model_validate(asdict(item)) for item in found], next_cursor=cursor
    )


@api.get(USER_PATH, roles=READERS, response=UserDetailOut, errors=(404,))
def get_user(request: Request[Any]) -> UserDetailOut:
    """One account; phone, e-mail and ID number masked."""
    return _detail(users.user_detail(request.path["user_id"]))


@api.patch(USER_PATH, roles=ADMIN, body=UserPatch, response=UserDetailOut, errors=(404, 409, 422))
def update_user(request: Request[UserPatch]) -> UserDetailOut:
    """Suspend / reactivate (a suspension signs the user out at once), set groups or level; audited."""
    body, sent = request.body, request.body.model_fields_set
    change = users.UserChange(
        status=body.status if "status" in sent else users.UNCHANGED,
        groups=(body.groups or []) if "groups" in sent else users.UNCHANGED,
        level=body.level if "level" in sent else users.UNCHANGED,
        reason=body.reason,
    )
    return _detail(users.update_user(request.path["user_id"], change, actor_of(request)))


@api.post("/v1/admin/users", roles=ADMIN, body=StaffIn, response=StaffUserOut, status=201, errors=(409, 422))
def create_staff(request: Request[StaffIn]) -> StaffUserOut:
    """Create an admin or support account; the invitation e-mail's code sets its password."""
    body = request.body
    created = users.create_staff(body.role, body.email, body.name, actor_of(request), request.locale)
    return StaffUserOut.model_validate(asdict(created))


@api.post(
    f"{USER_PATH}/reveal-id-number", roles=ADMIN, body=ReasonBody, response=RevealedIdNumber, errors=(404,)
)
def reveal_id_number(request: Request[ReasonBody]) -> RevealedIdNumber:
    """A worker's ID number unmasked, for a stated reason; the reveal is audited."""
    user_id = request.path["user_id"]
    number = users.reveal_id_number(user_id, request.body.reason, actor_of(request))
    return RevealedIdNumber(user_id=user_id, id_number=number)


@api.post(f"{USER_PATH}/blacklist", roles=ADMIN, body=ReasonBody, response=UserDetailOut, errors=(404, 409))
def blacklist_worker(request: Request[ReasonBody]) -> UserDetailOut:
    """Bar a worker's ID number for good (no onboarding with it again) and suspend the account."""
    return _detail(users.blacklist_worker(request.path["user_id"], request.body.reason, actor_of(request)))
