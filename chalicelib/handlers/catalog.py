"""Catalog: categories and services for everyone to browse, service upkeep for admins.

Browsing is public (a customer looks before signing up); texts come in the caller's language.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.catalog.categories import CATEGORIES, Category, category, localized
from chalicelib.lazy import lazy_import
from chalicelib.schemas.catalog import (
    AdminServiceOut,
    CategoryOut,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    ServiceQuery,
    SubTypeOut,
)
from chalicelib.web import Api, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.catalog import services
    from chalicelib.catalog.services import Actor, ServiceView
else:
    services = lazy_import("chalicelib.catalog.services")

api = Api("catalog")

ADMIN = ("admin",)


def _category_out(item: Category, locale: str) -> CategoryOut:
    return CategoryOut(
        code=item.code,
        name=item.name(locale),
        description=item.description(locale),
        sub_types=[SubTypeOut(code=sub.code, name=sub.name(locale)) for sub in item.sub_types],
        price_units=list(item.price_units),
        live_in=item.live_in,
    )


def _localized_fields(view: ServiceView, locale: str) -> dict[str, Any]:
    found = category(view.category)
    sub = found.sub_type(view.sub_type) if found and view.sub_type else None
    return {
        **asdict(view),
        "name": localized(view.name, locale),
        "description": localized(view.description, locale),
        "includes": [localized(line, locale) for line in view.includes],
        "sub_type_name": sub.name(locale) if sub else None,
    }


def _service_out(view: ServiceView, locale: str) -> ServiceOut:
    return ServiceOut.model_validate(_localized_fields(view, locale))


def _admin_out(view: ServiceView, locale: str) -> AdminServiceOut:
    texts = {"name": view.name, "description": view.description, "includes": view.includes}
    return AdminServiceOut.model_validate({**_localized_fields(view, locale), "texts": texts})


def _actor(request: Request[Any]) -> Actor:
    return services.Actor(request.principal.user_id, request.principal.role, request.request_id)


@api.get("/v1/categories", response=Page[CategoryOut])
def list_categories(request: Request[Any]) -> Page[CategoryOut]:
    """Every category with its sub-types and price units (a short fixed list: one page)."""
    return Page[CategoryOut](items=[_category_out(item, request.locale) for item in CATEGORIES])


@api.get("/v1/services", query=ServiceQuery, response=Page[ServiceOut])
def list_services(request: Request[Any]) -> Page[ServiceOut]:
    """Active services, filtered and sorted; retired ones are never listed."""
    query: ServiceQuery = request.query
    wanted = services.ServiceFilter(
        category=query.category,
        min_price=query.min_price,
        max_price=query.max_price,
        min_duration=query.min_duration,
        max_duration=query.max_duration,
        sort=query.sort,
    )
    views, cursor = services.list_services(wanted, limit=query.limit, cursor=query.cursor)
    return Page[ServiceOut](items=[_service_out(view, request.locale) for view in views], next_cursor=cursor)


@api.get("/v1/services/{service_id}", response=ServiceOut, errors=(404,))
def get_service(request: Request[Any]) -> ServiceOut:
    """One service; a retired one stays readable (past orders name it) with status ``retired``."""
    return _service_out(services.get_service(request.path["service_id"]), request.locale)


@api.get("/v1/admin/services/{service_id}", roles=ADMIN, response=AdminServiceOut, errors=(404,))
def admin_get_service(request: Request[Any]) -> AdminServiceOut:
    """One service with its texts in every language, as ``PATCH`` takes them."""
    return _admin_out(services.get_service(request.path["service_id"]), request.locale)


@api.post(
    "/v1/admin/services", roles=ADMIN, body=ServiceIn, response=AdminServiceOut, status=201, errors=(409,)
)
def create_service(request: Request[ServiceIn]) -> AdminServiceOut:
    """Add a service to the catalog (audited); 409 ``catalog_full`` past the active-service cap."""
    fields = request.body.model_dump(mode="json", by_alias=True)
    return _admin_out(services.create_service(fields, actor=_actor(request)), request.locale)


@api.patch(
    "/v1/admin/services/{service_id}",
    roles=ADMIN,
    body=ServicePatch,
    response=AdminServiceOut,
    errors=(404, 409),
)
def update_service(request: Request[ServicePatch]) -> AdminServiceOut:
    """Change some fields of an active service (audited); 409 once retired or on a concurrent edit."""
    changes = request.body.model_dump(mode="json", by_alias=True, exclude_unset=True)
    view = services.update_service(request.path["service_id"], changes, actor=_actor(request))
    return _admin_out(view, request.locale)


@api.delete("/v1/admin/services/{service_id}", roles=ADMIN, status=204, errors=(404, 409))
def retire_service(request: Request[Any]) -> None:
    """Retire a service (audited): unlisted and unbookable, still readable by id. Repeating is a no-op."""
    services.retire_service(request.path["service_id"], actor=_actor(request))
