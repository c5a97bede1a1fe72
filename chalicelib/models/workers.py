"""Worker items: profile, certificates, availability, calendar reservations, search entries.

Keys (docs/data-model.md has the access patterns):
- profile           ``WORKER#<id> / PROFILE``; gsi2 ``WORKERS#<status>`` / ``<submitted_at>#<id>``
- certificate       ``WORKER#<id> / CERT#<certificate id>``
- availability      ``WORKER#<id> / AVAILABILITY``
- reservation       ``CAL#<id>#<date> / <start iso>#<order id>`` (one partition per worker-day)
- search entry      ``WSEARCH#<id> / <category>#<city>#<district>`` (district ``*``: the city-wide entry);
                    gsi1 ``WSEARCH#<category>#<city>#<district>`` / ``<rating key>#<id>``
                    gsi2 ``WSEARCH#<category>#<city>#<district>`` / ``<geohash>#<id>``
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from chalicelib.models.base import MainItem

__all__ = [
    "AvailabilityItem",
    "CertificateItem",
    "ReservationItem",
    "WorkerProfileItem",
    "WorkerSearchItem",
]


class WorkerProfileItem(MainItem):
    """A worker's professional profile and review state (``worker_id`` is the ``user_id``).

    ``status``: ``draft`` → ``pending_review`` → ``verified`` | ``rejected``; ``suspended`` by
    an admin. Rating sums are kept so averages stay exact under concurrent ``ADD`` updates.
    """

    worker_id = UnicodeAttribute()
    name = UnicodeAttribute()
    status = UnicodeAttribute(default="draft")
    real_name = UnicodeAttribute(null=True)
    id_number_enc = UnicodeAttribute(null=True)  # KMS ciphertext (base64), context {"worker_id": id}
    id_number_masked = UnicodeAttribute(null=True)
    id_number_hash = UnicodeAttribute(null=True)  # blind index: change detection and one account per ID
    skills = ListAttribute(of=UnicodeAttribute, null=True)
    experience_years = NumberAttribute(null=True)
    bio = UnicodeAttribute(null=True)
    service_areas = JSONAttribute(null=True)  # [{"city": ..., "district": ...}]
    home_lat = NumberAttribute(null=True)
    home_lng = NumberAttribute(null=True)
    home_geohash = UnicodeAttribute(null=True)
    level = UnicodeAttribute(null=True)
    level_override = UnicodeAttribute(null=True)  # pinned by an admin; wins over the derived level
    # The kinds of her verified certificates, set by review with the level (the public profile
    # reads this one item); None on profiles reviewed before it existed.
    certificate_kinds = ListAttribute[Any](of=UnicodeAttribute, null=True)
    groups = ListAttribute(of=UnicodeAttribute, null=True)
    submitted_at = UnicodeAttribute(null=True)
    reviewed_at = UnicodeAttribute(null=True)
    reviewed_by = UnicodeAttribute(null=True)
    reject_reason = UnicodeAttribute(null=True)
    suspended_with_account = BooleanAttribute(null=True)  # set when the account's suspension did it
    rating_count = NumberAttribute(default=0)
    rating_quality_sum = NumberAttribute(default=0)
    rating_attitude_sum = NumberAttribute(default=0)
    rating_skill_sum = NumberAttribute(default=0)
    completed_orders = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(worker_id: str) -> tuple[str, str]:
        return f"WORKER#{worker_id}", "PROFILE"


class CertificateItem(MainItem):
    """An uploaded (or awaited) certificate file in the private uploads bucket."""

    certificate_id = UnicodeAttribute()
    worker_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    file_name = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size_bytes = NumberAttribute()
    s3_key = UnicodeAttribute()
    status = UnicodeAttribute(default="awaiting_upload")  # awaiting_upload | uploaded | verified | rejected
    created_at = UnicodeAttribute()
    uploaded_at = UnicodeAttribute(null=True)
    reviewed_at = UnicodeAttribute(null=True)
    reviewed_by = UnicodeAttribute(null=True)
    reject_reason = UnicodeAttribute(null=True)

    @staticmethod
    def key(worker_id: str, certificate_id: str) -> tuple[str, str]:
        return f"WORKER#{worker_id}", f"CERT#{certificate_id}"


class AvailabilityItem(MainItem):
    """Weekly working hours and dated exceptions, in Asia/Shanghai local time.

    ``weekly``: ``{"mon": [["08:00", "18:00"]], ...}``; ``exceptions``:
    ``[{"date": "2027-01-20", "off": true} | {"date": ..., "hours": [["09:00", "12:00"]]}]``.
    """

    worker_id = UnicodeAttribute()
    weekly = JSONAttribute()
    exceptions = JSONAttribute(null=True)
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(worker_id: str) -> tuple[str, str]:
        return f"WORKER#{worker_id}", "AVAILABILITY"


class ReservationItem(MainItem):
    """Time a worker is taken on one day: a booked job (or an unpaid hold until ``hold_until``).

    Written by booking (issue: orders) in the same transaction as the order; read by the slot
    finder with one Query of the worker-day partition. The sort key must start with the local
    ISO start (``clock.iso``): the slot Query reads only keys that begin with the date. ``start``/``end`` are the job itself;
    ``lat``/``lng`` are where it is, so travel to and from neighbouring jobs can be estimated.
    """

    worker_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    lat = NumberAttribute(null=True)
    lng = NumberAttribute(null=True)
    status = UnicodeAttribute(default="held")  # held | confirmed
    hold_until = NumberAttribute(null=True)  # epoch seconds; a lapsed hold frees the time

    @staticmethod
    def partition(worker_id: str, day: str) -> str:
        return f"CAL#{worker_id}#{day}"


class WorkerSearchItem(MainItem):
    """One (worker, skill, area) entry of the worker search index; only verified workers have any.

    Carries what a result row shows and what sorting/filtering needs, so a search reads only
    its index and never the profiles.
    """

    worker_id = UnicodeAttribute()
    name = UnicodeAttribute()
    category = UnicodeAttribute()
    city = UnicodeAttribute()
    district = UnicodeAttribute()
    skills = ListAttribute(of=UnicodeAttribute)
    experience_years = NumberAttribute()
    level = UnicodeAttribute()
    rating_overall = NumberAttribute(default=0)
    rating_quality = NumberAttribute(default=0)
    rating_attitude = NumberAttribute(default=0)
    rating_skill = NumberAttribute(default=0)
    rating_count = NumberAttribute(default=0)
    lat = NumberAttribute(null=True)  # the centre of the worker's home cell, never the home itself
    lng = NumberAttribute(null=True)
    geohash = UnicodeAttribute(null=True)
    work_days = ListAttribute(of=UnicodeAttribute, null=True)  # weekdays with hours, and dates with hours
    days_off = ListAttribute(of=UnicodeAttribute, null=True)  # dated exceptions that are off

    @staticmethod
    def key(worker_id: str, category: str, city: str, district: str) -> tuple[str, str]:
        return f"WSEARCH#{worker_id}", f"{category}#{city}#{district}"
