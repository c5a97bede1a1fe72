"""Keeping the worker search index in step with profiles and availability.

A verified worker has one ``WorkerSearchItem`` per (skill, service area) plus one per (skill,
city) under the district :data:`ANY_DISTRICT`, so a search without a district is one Query of
one partition, paged like any other, with each worker in it once. Any other status has none.
Every change that can alter a search result (review decision, profile edit, availability,
rating) calls :func:`refresh_search_entries`, which rewrites the worker's entries from the
profile and availability: idempotent, so a retry or a duplicate call leaves the same index.

What an entry carries for filtering by date: ``work_days`` holds the weekdays with hours *and*
the dates of exceptions that give hours (so a worker who works one Sunday is found for it),
``days_off`` the dates of exceptions that are off, from today on. The home location is stored
snapped to the centre of its geohash-6 cell (about 1.2 km x 0.6 km): close enough to rank by
distance, too coarse for anyone to find a worker's door by querying from several points.
"""

from __future__ import annotations

from chalicelib import clock
from chalicelib.geo import encode_geohash, geohash_box
from chalicelib.models.workers import AvailabilityItem, WorkerProfileItem, WorkerSearchItem

__all__ = [
    "ANY_DISTRICT",
    "HOME_PRECISION",
    "entries_for",
    "rating_sort_key",
    "refresh_search_entries",
    "search_partition",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ANY_DISTRICT = "*"
"""The district of the city-wide entries."""
HOME_PRECISION = 6
"""Geohash length of the stored home cell (the finest prefix search asks for)."""


def search_partition(category: str, city: str, district: str | None) -> str:
    """The gsi1/gsi2 partition of a search; a city-wide one when ``district`` is None."""
    return f"WSEARCH#{category}#{city}#{district or ANY_DISTRICT}"


def _averages(profile: WorkerProfileItem) -> tuple[float, float, float, float]:
    count = int(profile.rating_count or 0)
    if not count:
        return 0.0, 0.0, 0.0, 0.0
    quality = profile.rating_quality_sum / count
    attitude = profile.rating_attitude_sum / count
    skill = profile.rating_skill_sum / count
    return round((quality + attitude + skill) / 3, 2), round(quality, 2), round(attitude, 2), round(skill, 2)


def _home(profile: WorkerProfileItem) -> tuple[float | None, float | None, str | None]:
    """The snapped home point and its geohash cell, or Nones without a home location."""
    if profile.home_lat is None or profile.home_lng is None:
        return None, None, None
    cell = encode_geohash(float(profile.home_lat), float(profile.home_lng), HOME_PRECISION)
    min_lat, max_lat, min_lng, max_lng = geohash_box(cell)
    return round((min_lat + max_lat) / 2, 6), round((min_lng + max_lng) / 2, 6), cell


def _calendar_filters(availability: AvailabilityItem | None) -> tuple[list[str], list[str]]:
    """``work_days`` (weekdays and dates with hours) and ``days_off`` (dates off), from today on."""
    if availability is None:
        return [], []
    today = clock.now().date().isoformat()
    weekly = dict(availability.weekly or {})
    upcoming = [entry for entry in availability.exceptions or [] if entry["date"] >= today]
    work_days = [day for day in WEEKDAYS if weekly.get(day)]
    work_days += [entry["date"] for entry in upcoming if not entry.get("off") and entry.get("hours")]
    days_off = [entry["date"] for entry in upcoming if entry.get("off") or not entry.get("hours")]
    return work_days, days_off


def entries_for(profile: WorkerProfileItem, availability: AvailabilityItem | None) -> list[WorkerSearchItem]:
    """The index entries a profile should have (none unless verified)."""
    if profile.status != "verified":
        return []
    overall, quality, attitude, skill = _averages(profile)
    count = int(profile.rating_count or 0)
    lat, lng, cell = _home(profile)
    work_days, days_off = _calendar_filters(availability)
    areas: dict[tuple[str, str], None] = {}
    for area in profile.service_areas or []:
        areas[(area["city"], area["district"])] = None
        areas[(area["city"], ANY_DISTRICT)] = None
    entries = []
    for category in dict.fromkeys(str(skill) for skill in profile.skills or []):
        for city, district in areas:
            partition = search_partition(category, city, district)
            entries.append(
                WorkerSearchItem(
                    *WorkerSearchItem.key(profile.worker_id, category, city, district),
                    worker_id=profile.worker_id,
                    name=profile.name,
                    category=category,
                    city=city,
                    district=district,
                    skills=list(profile.skills or []),
                    experience_years=int(profile.experience_years or 0),
                    level=profile.level_override or profile.level or "junior",
                    rating_overall=overall,
                    rating_quality=quality,
                    rating_attitude=attitude,
                    rating_skill=skill,
                    rating_count=count,
                    lat=lat,
                    lng=lng,
                    geohash=cell,
                    work_days=work_days,
                    days_off=days_off,
                    gsi1pk=partition,
                    gsi1sk=f"{rating_sort_key(overall, count)}#{profile.worker_id}",
                    gsi2pk=partition,
                    gsi2sk=f"{cell or '~'}#{profile.worker_id}",
                )
            )
    return entries


def rating_sort_key(overall: float, count: int) -> str:
    """Sorts ascending as best-rated first: higher rating, then more ratings, come earlier."""
    return f"{500 - round(overall * 100):03d}.{999_999 - min(count, 999_999):06d}"


def refresh_search_entries(worker_id: str) -> int:
    """Rewrite the worker's index entries from the current profile; returns how many it has now."""
    try:
        profile = WorkerProfileItem.get(*WorkerProfileItem.key(worker_id), consistent_read=True)
    except WorkerProfileItem.DoesNotExist:
        profile = None
    try:
        availability = AvailabilityItem.get(*AvailabilityItem.key(worker_id), consistent_read=True)
    except AvailabilityItem.DoesNotExist:
        availability = None
    wanted = entries_for(profile, availability) if profile else []
    wanted_keys = {(item.pk, item.sk) for item in wanted}
    existing = list(WorkerSearchItem.query(f"WSEARCH#{worker_id}", consistent_read=True))
    with WorkerSearchItem.batch_write() as batch:
        for item in existing:
            if (item.pk, item.sk) not in wanted_keys:
                batch.delete(item)
        for item in wanted:
            batch.save(item)
    return len(wanted)
