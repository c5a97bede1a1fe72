"""Keeping the worker search index in step with profiles and availability.

A verified worker has one ``WorkerSearchItem`` per (skill, service area); any other status has
none. Every change that can alter a search result (review decision, profile edit, availability,
rating) calls :func:`refresh_search_entries`, which rewrites the worker's entries from the
profile: idempotent, so a retry or a duplicate call leaves the same index.
"""

from __future__ import annotations

from chalicelib.models.workers import AvailabilityItem, WorkerProfileItem, WorkerSearchItem

__all__ = ["entries_for", "rating_sort_key", "refresh_search_entries"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _averages(profile: WorkerProfileItem) -> tuple[float, float, float, float]:
    count = int(profile.rating_count or 0)
    if not count:
        return 0.0, 0.0, 0.0, 0.0
    quality = profile.rating_quality_sum / count
    attitude = profile.rating_attitude_sum / count
    skill = profile.rating_skill_sum / count
    return round((quality + attitude + skill) / 3, 2), round(quality, 2), round(attitude, 2), round(skill, 2)


def entries_for(profile: WorkerProfileItem, availability: AvailabilityItem | None) -> list[WorkerSearchItem]:
    """The index entries a profile should have (none unless verified)."""
    if profile.status != "verified":
        return []
    overall, quality, attitude, skill = _averages(profile)
    weekly = dict(availability.weekly) if availability else {}
    work_days = [day for day in WEEKDAYS if weekly.get(day)]
    days_off = (
        [exception["date"] for exception in (availability.exceptions or []) if exception.get("off")]
        if availability
        else []
    )
    entries = []
    for category in list(profile.skills or []):
        for area in profile.service_areas or []:
            city, district = area["city"], area["district"]
            pk, sk = WorkerSearchItem.key(profile.worker_id, str(category), city, district)
            partition = f"WSEARCH#{category}#{city}#{district}"
            entries.append(
                WorkerSearchItem(
                    pk,
                    sk,
                    worker_id=profile.worker_id,
                    name=profile.name,
                    category=category,
                    city=city,
                    district=district,
                    skills=list(profile.skills or []),
                    experience_years=int(profile.experience_years or 0),
                    level=profile.level or "junior",
                    rating_overall=overall,
                    rating_quality=quality,
                    rating_attitude=attitude,
                    rating_skill=skill,
                    rating_count=int(profile.rating_count or 0),
                    lat=profile.home_lat,
                    lng=profile.home_lng,
                    geohash=profile.home_geohash,
                    work_days=work_days,
                    days_off=days_off,
                    gsi1pk=partition,
                    gsi1sk=f"{rating_sort_key(overall, int(profile.rating_count or 0))}#{profile.worker_id}",
                    gsi2pk=partition,
                    gsi2sk=f"{profile.home_geohash or '~'}#{profile.worker_id}",
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
