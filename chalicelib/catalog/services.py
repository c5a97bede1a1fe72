"""The services of the catalog: what admins offer, what customers browse and book.

Reads: one GetItem by id (retired services included, since past orders name them), and the
listing, which Queries the sparse index of *active* services (gsi1 ``CATALOG#ACTIVE``) and then
filters, sorts and pages in memory. That is affordable because the partition is bounded: a
counter item, checked in the same transaction as every create, caps the active catalog at
:data:`MAX_ACTIVE_SERVICES` (docs/catalog.md).

Writes are transactions with their audit entry. Edits ``SET`` only the fields they change and
are conditioned on the ``version`` they read, so two admins cannot silently overwrite each
other, and the counters the order and review flows ``ADD`` to are never written back stale.
Retiring is not deleting: the item stays, leaves the index, and stops being bookable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import audit, clock, i18n
from chalicelib.audit import Actor
from chalicelib.catalog.categories import (
    CATEGORIES,
    DEFAULT_SORT,
    LIVE_IN_UNITS,
    TERM_DAYS,
    Sort,
    category,
)
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.models.base import transact_write
from chalicelib.models.catalog import ACTIVE_CATALOG_PK, CatalogCounterItem, ServiceItem
from chalicelib.pagination import decode_cursor, encode_cursor

__all__ = [
    "DEFAULT_SORT",
    "MAX_ACTIVE_SERVICES",
    "TERMS_ATTRIBUTES",
    "Actor",
    "ServiceFilter",
    "ServiceTerms",
    "ServiceView",
    "Sort",
    "bookable_service",
    "bookable_terms",
    "create_service",
    "get_service",
    "is_bookable",
    "list_services",
    "occupancy_of",
    "retire_service",
    "update_service",
]

MAX_ACTIVE_SERVICES = 300
"""The cap on active services: it keeps the listing one small Query (about 1 KB a service)."""


i18n.register(
    {
        "service_exists": {"zh-CN": "该服务已存在", "en": "A service with this id already exists."},
        "catalog_full": {
            "zh-CN": "在售服务已达上限（{limit} 个），请先下架部分服务",
            "en": "The catalog already has {limit} active services; retire some first.",
        },
        "service_retired": {
            "zh-CN": "该服务已下架，无法修改或预约",
            "en": "This service is retired: it can no longer be edited or booked.",
        },
    }
)

_SERVICE_ID = re.compile(r"svc_[A-Za-z0-9_]{1,64}")
_CATEGORY_ORDER = {item.code: index for index, item in enumerate(CATEGORIES)}

# Service fields as the API names them → the item attribute that stores them.
_ATTRIBUTES = {
    "category": "category",
    "sub_type": "sub_type",
    "name": "names",
    "description": "descriptions",
    "includes": "includes",
    "price_min": "price_min",
    "price_max": "price_max",
    "price_unit": "price_unit",
    "duration_minutes": "duration_minutes",
    "occupancy": "occupancy",
}


@dataclass(frozen=True)
class ServiceView:
    """A service with its texts in every locale (``categories.localized`` picks one)."""

    service_id: str
    category: str
    sub_type: str | None
    name: dict[str, str]
    description: dict[str, str]
    includes: list[dict[str, str]]
    price_min: int
    price_max: int
    price_unit: str
    term_days: int | None
    duration_minutes: int
    currency: str
    status: str
    rating: float
    rating_count: int
    order_count: int
    created_at: str
    updated_at: str
    retired_at: str | None
    occupancy: str = "visit"  # visit | live_in (docs/live-in.md)

    @property
    def live_in(self) -> bool:
        return self.occupancy == "live_in"


@dataclass(frozen=True)
class ServiceTerms:
    """What an order takes from its service: the price and time rules, not the texts."""

    service_id: str
    category: str
    price_min: int
    price_unit: str
    term_days: int | None
    duration_minutes: int
    currency: str
    occupancy: str

    @property
    def live_in(self) -> bool:
        return self.occupancy == "live_in"


TERMS_ATTRIBUTES = (
    "service_id",
    "category",
    "price_min",
    "price_unit",
    "duration_minutes",
    "currency",
    "status",
    "occupancy",
)
"""The attributes :func:`bookable_terms` reads: booking projects its read of the service on them,
leaving out the texts in every locale (the bulk of the item, and of the time to parse it)."""


def occupancy_of(price_unit: str, declared: str | None) -> str:
    """A service's occupancy: as declared, else ``live_in`` for a 月嫂 term and ``visit`` otherwise."""
    return declared or ("live_in" if price_unit == "per_term" else "visit")


@dataclass(frozen=True)
class ServiceFilter:
    """The listing's filters; ``None`` means "any". Prices in fen, durations in minutes."""

    category: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    min_duration: int | None = None
    max_duration: int | None = None
    sort: Sort = DEFAULT_SORT

    def keeps(self, service: ServiceView) -> bool:
        """Whether ``service`` (already of the category) matches: its price *range* overlaps."""
        return (
            (self.min_price is None or service.price_max >= self.min_price)
            and (self.max_price is None or service.price_min <= self.max_price)
            and (self.min_duration is None or service.duration_minutes >= self.min_duration)
            and (self.max_duration is None or service.duration_minutes <= self.max_duration)
        )

    @property
    def scope(self) -> str:
        """What a cursor is bound to: a cursor from one listing means nothing in another."""
        return (
            f"services:{self.category or ''}:{self.min_price}:{self.max_price}:"
            f"{self.min_duration}:{self.max_duration}:{self.sort}"
        )


def is_bookable(service: ServiceView) -> bool:
    """Whether a new order may name ``service`` (a retired one stays readable, not bookable)."""
    return service.status == "active"


def _average(item: ServiceItem, count: int) -> float:
    """Mean stars over the three aspects of every review (exact from the integer points sum)."""
    if not count:
        return 0.0
    if item.rating_points_sum:
        return round(item.rating_points_sum / (3 * count), 2)
    return round(item.rating_sum / count, 2)


def _view(item: ServiceItem) -> ServiceView:
    rating_count = int(item.rating_count or 0)
    return ServiceView(
        service_id=item.service_id,
        category=item.category,
        sub_type=item.sub_type,
        name=dict(item.names),
        description=dict(item.descriptions),
        includes=[dict(entry) for entry in item.includes or []],
        price_min=int(item.price_min),
        price_max=int(item.price_max),
        price_unit=item.price_unit,
        term_days=TERM_DAYS if item.price_unit == "per_term" else None,
        duration_minutes=int(item.duration_minutes),
        currency=item.currency,
        status=item.status,
        rating=_average(item, rating_count),
        rating_count=rating_count,
        order_count=int(item.order_count or 0),
        created_at=item.created_at,
        updated_at=item.updated_at,
        retired_at=item.retired_at,
        occupancy=occupancy_of(item.price_unit, item.occupancy),
    )


def _item(service_id: str, *, consistent: bool = False) -> ServiceItem:
    if not _SERVICE_ID.fullmatch(service_id):
        raise NotFound()  # not an id this catalog issues: no need to ask the table
    try:
        return ServiceItem.get(*ServiceItem.key(service_id), consistent_read=consistent)
    except ServiceItem.DoesNotExist:
        raise NotFound() from None


def get_service(service_id: str) -> ServiceView:
    """A service by id, active or retired; 404 if there never was one."""
    return _view(_item(service_id))


def bookable_service(service_id: str) -> ServiceView:
    """The service an order is about to name, with its price: 404 unknown, 409 retired."""
    service = _view(_item(service_id, consistent=True))
    if not is_bookable(service):
        raise Conflict("service_retired")
    return service


def bookable_terms(raw: dict[str, Any]) -> ServiceTerms:
    """The terms of a service item as DynamoDB returned it (at least :data:`TERMS_ATTRIBUTES`);
    409 if it is retired. Booking reads the service in its one batched read, projected."""
    if raw.get("status", {}).get("S", "active") != "active":
        raise Conflict("service_retired")
    price_unit = raw["price_unit"]["S"]
    return ServiceTerms(
        service_id=raw["service_id"]["S"],
        category=raw["category"]["S"],
        price_min=int(raw["price_min"]["N"]),
        price_unit=price_unit,
        term_days=TERM_DAYS if price_unit == "per_term" else None,
        duration_minutes=int(raw["duration_minutes"]["N"]),
        currency=raw.get("currency", {}).get("S", "CNY"),
        occupancy=occupancy_of(price_unit, raw.get("occupancy", {}).get("S")),
    )


# -- listing ---------------------------------------------------------------------------------


def _sort_key(service: ServiceView, sort: Sort) -> list[Any]:
    """A total order: the asked sort first, then catalog order, then the id as the tiebreak."""
    primary: dict[str, Any] = {
        "price": service.price_min,
        "-price": -service.price_min,
        "rating": -service.rating,
        "popular": -service.order_count,
    }
    tiebreak: list[Any] = [-service.rating_count] if sort == "rating" else []
    return [
        primary[sort],
        *tiebreak,
        _CATEGORY_ORDER.get(service.category, len(_CATEGORY_ORDER)),
        service.price_min,
        service.service_id,
    ]


def _active_services(category_code: str | None) -> list[ServiceView]:
    """Every active service (of one category): one Query of the bounded active partition."""
    condition = ServiceItem.gsi1sk.startswith(f"{category_code}#") if category_code else None
    return [_view(item) for item in ServiceItem.gsi1.query(ACTIVE_CATALOG_PK, condition)]


def list_services(
    wanted: ServiceFilter, *, limit: int, cursor: str | None
) -> tuple[list[ServiceView], str | None]:
    """One page of the active services that match, in the asked order.

    The cursor holds the sort key of the page's last service, so a service added or retired
    between two pages neither repeats nor hides the ones after it.
    """
    after = decode_cursor(wanted.scope, cursor)
    start = after.get("after") if after else None
    matching = sorted(
        (service for service in _active_services(wanted.category) if wanted.keeps(service)),
        key=lambda service: _sort_key(service, wanted.sort),
    )
    if isinstance(start, list):
        matching = [service for service in matching if _sort_key(service, wanted.sort) > start]
    page = matching[:limit]
    more = len(matching) > limit
    next_cursor = encode_cursor(wanted.scope, {"after": _sort_key(page[-1], wanted.sort)}) if more else None
    return page, next_cursor


# -- admin writes ----------------------------------------------------------------------------


def _invalid(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "in": "body", "code": code, "message": message}


def _check(fields: dict[str, Any]) -> None:
    """Rules across fields (the request schemas check each field alone): 422 naming each."""
    problems = []
    found = category(fields["category"])
    if found is None:
        problems.append(_invalid("category", "unknown_category", "unknown category"))
    else:
        sub_type = fields.get("sub_type")
        if sub_type is not None and found.sub_type(sub_type) is None:
            allowed = ", ".join(sub.code for sub in found.sub_types) or "none"
            problems.append(
                _invalid(
                    "sub_type", "unknown_sub_type", f"not a sub-type of {found.code} (allowed: {allowed})"
                )
            )
        if fields["price_unit"] not in found.price_units:
            problems.append(
                _invalid(
                    "price_unit",
                    "price_unit_not_allowed",
                    f"{found.code} is priced {', '.join(found.price_units)}",
                )
            )
    occupancy = occupancy_of(fields["price_unit"], fields.get("occupancy"))
    if occupancy == "live_in" and found is not None and not found.live_in:
        problems.append(_invalid("occupancy", "live_in_not_allowed", f"{found.code} is not live-in work"))
    elif occupancy == "live_in" and fields["price_unit"] not in LIVE_IN_UNITS:
        problems.append(
            _invalid("occupancy", "live_in_unit", f"live-in work is priced {', '.join(LIVE_IN_UNITS)}")
        )
    elif occupancy == "visit" and fields["price_unit"] == "per_term":
        problems.append(_invalid("occupancy", "term_is_live_in", "a per_term service is live-in"))
    if fields["price_min"] > fields["price_max"]:
        problems.append(_invalid("price_max", "price_range", "price_max must not be below price_min"))
    if problems:
        raise ValidationFailed(details=problems)


def _audit(actor: Actor, action: str, service_id: str, details: dict[str, Any]) -> audit.AuditItem:
    return audit.entry(
        actor_id=actor.user_id,
        actor_role=actor.role,
        action=action,
        target_type="service",
        target_id=service_id,
        details=details,
        request_id=actor.request_id,
    )


def _why_not_created(service_id: str) -> Conflict:
    """Which condition stopped a create, read back (transactions do not keep their order)."""
    try:
        ServiceItem.get(*ServiceItem.key(service_id), consistent_read=True)
    except ServiceItem.DoesNotExist:
        try:
            counter = CatalogCounterItem.get(*CatalogCounterItem.key(), consistent_read=True)
        except CatalogCounterItem.DoesNotExist:
            return Conflict()
        full = counter.active_count >= MAX_ACTIVE_SERVICES
        return Conflict("catalog_full", limit=MAX_ACTIVE_SERVICES) if full else Conflict()
    return Conflict("service_exists")


def create_service(fields: dict[str, Any], *, actor: Actor, service_id: str | None = None) -> ServiceView:
    """Add an active service; 409 ``service_exists`` or ``catalog_full``.

    ``service_id`` is for callers that need a stable id (the demo seed); admins get a new one.
    """
    _check(fields)
    service_id = service_id or new_id("svc")
    now = clock.iso()
    item = ServiceItem(
        *ServiceItem.key(service_id),
        service_id=service_id,
        **{_ATTRIBUTES[name]: value for name, value in fields.items() if value is not None},
        currency="CNY",
        status="active",
        rating_sum=0,
        rating_points_sum=0,
        rating_count=0,
        order_count=0,
        version=1,
        created_at=now,
        updated_at=now,
        gsi1pk=ACTIVE_CATALOG_PK,
        gsi1sk=ServiceItem.active_sort_key(fields["category"], service_id),
    )
    counter = CatalogCounterItem(*CatalogCounterItem.key())
    try:
        with transact_write() as transaction:
            transaction.save(item, condition=ServiceItem.pk.does_not_exist())
            transaction.update(
                counter,
                actions=[CatalogCounterItem.active_count.add(1)],
                condition=CatalogCounterItem.active_count.does_not_exist()
                | (CatalogCounterItem.active_count < MAX_ACTIVE_SERVICES),
            )
            transaction.save(
                _audit(actor, "service.create", service_id, fields),
                condition=audit.AuditItem.pk.does_not_exist(),
            )
    except TransactWriteError as error:
        raise _why_not_created(service_id) from error
    return _view(item)


def _fields(item: ServiceItem) -> dict[str, Any]:
    return {name: getattr(item, attribute) for name, attribute in _ATTRIBUTES.items()}


def update_service(service_id: str, changes: dict[str, Any], *, actor: Actor) -> ServiceView:
    """Change the given fields of an active service (``sub_type: None`` clears it).

    404 unknown; 409 ``service_retired``, or ``conflict`` when another edit got there first.
    """
    item = _item(service_id, consistent=True)
    if item.status != "active":
        raise Conflict("service_retired")
    current = _fields(item)
    changed = {name: value for name, value in changes.items() if current[name] != value}
    if not changed:
        return _view(item)
    _check({**current, **changed})
    before = {name: current[name] for name in changed}
    actions: list[Any] = [ServiceItem.updated_at.set(clock.iso()), ServiceItem.version.add(1)]
    for name, value in changed.items():
        attribute = getattr(ServiceItem, _ATTRIBUTES[name])
        actions.append(attribute.set(value) if value is not None else attribute.remove())
    if "category" in changed:
        actions.append(ServiceItem.gsi1sk.set(ServiceItem.active_sort_key(changed["category"], service_id)))
    try:
        with transact_write() as transaction:
            transaction.update(
                item,
                actions=actions,
                condition=(ServiceItem.status == "active") & (ServiceItem.version == item.version),
            )
            transaction.save(
                _audit(actor, "service.update", service_id, {"before": before, "changes": changed}),
                condition=audit.AuditItem.pk.does_not_exist(),
            )
    except TransactWriteError as error:
        raise Conflict() from error
    return _view(_item(service_id, consistent=True))


def retire_service(service_id: str, *, actor: Actor) -> None:
    """Take a service off the catalog for good; retiring a retired service changes nothing.

    The item stays (orders name it) but leaves the active index and cannot be booked.
    """
    item = _item(service_id, consistent=True)
    if item.status != "active":
        return
    now = clock.iso()
    try:
        with transact_write() as transaction:
            transaction.update(
                item,
                actions=[
                    ServiceItem.status.set("retired"),
                    ServiceItem.retired_at.set(now),
                    ServiceItem.updated_at.set(now),
                    ServiceItem.gsi1pk.remove(),
                    ServiceItem.gsi1sk.remove(),
                ],
                condition=ServiceItem.status == "active",
            )
            transaction.update(
                CatalogCounterItem(*CatalogCounterItem.key()),
                actions=[CatalogCounterItem.active_count.add(-1)],
            )
            transaction.save(
                _audit(actor, "service.retire", service_id, {"category": item.category}),
                condition=audit.AuditItem.pk.does_not_exist(),
            )
    except TransactWriteError as error:
        raise Conflict() from error
