"""Catalog items: the services admins offer, and the counter that bounds the active catalog.

Keys (docs/catalog.md has the access patterns):
- service         ``SERVICE#<service id> / SERVICE``;
                  gsi1 ``CATALOG#ACTIVE`` / ``<category>#<service id>`` while active only (a
                  sparse index: retiring a service removes both attributes, so it leaves the
                  listing but stays readable by id for the orders that name it)
- active counter  ``CATALOG#COUNTER / ACTIVE``: how many services are active, kept in the same
                  transaction as every create and retire so the listing partition stays bounded
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.models.base import MainItem

__all__ = ["ACTIVE_CATALOG_PK", "CatalogCounterItem", "ServiceItem"]

ACTIVE_CATALOG_PK = "CATALOG#ACTIVE"


class ServiceItem(MainItem):
    """One service of the catalog; texts are kept per locale (``{"zh-CN": ..., "en": ...}``).

    ``rating_sum`` / ``rating_count`` / ``order_count`` are only ever changed with ``ADD`` (by
    the review and order flows), so edits here update the fields they change and never save the
    whole item over them.
    """

    service_id = UnicodeAttribute()
    category = UnicodeAttribute()
    sub_type = UnicodeAttribute(null=True)
    names = JSONAttribute()
    descriptions = JSONAttribute()
    includes = JSONAttribute(default=list)  # [{"zh-CN": ..., "en": ...}, ...]
    price_min = NumberAttribute()
    price_max = NumberAttribute()
    price_unit = UnicodeAttribute()
    duration_minutes = NumberAttribute()
    occupancy = UnicodeAttribute(null=True)  # visit | live_in; absent: live_in for per_term, else visit
    currency = UnicodeAttribute(default="CNY")
    status = UnicodeAttribute(default="active")
    rating_sum = NumberAttribute(default=0)
    rating_points_sum = NumberAttribute(default=0)  # exact: quality + attitude + skill, summed
    rating_count = NumberAttribute(default=0)
    order_count = NumberAttribute(default=0)
    version = NumberAttribute(default=1)  # +1 per admin edit: the condition that stops lost updates
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    retired_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(service_id: str) -> tuple[str, str]:
        return f"SERVICE#{service_id}", "SERVICE"

    @staticmethod
    def active_sort_key(category: str, service_id: str) -> str:
        return f"{category}#{service_id}"


class CatalogCounterItem(MainItem):
    """``CATALOG#COUNTER / ACTIVE``: the number of active services (condition of every create)."""

    active_count = NumberAttribute(default=0)

    @staticmethod
    def key() -> tuple[str, str]:
        return "CATALOG#COUNTER", "ACTIVE"
