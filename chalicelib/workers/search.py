"""Finding verified workers, and a worker's public profile.

A search reads only the search index (``chalicelib.workers.search_index``): the partition
``WSEARCH#<category>#<city>#<district>`` (district ``*`` for the whole city) of gsi1, ordered by
rating, or of gsi2, ordered by geohash. It costs at most :data:`ROUND_TRIPS` requests to
DynamoDB however many workers the city has, counting the read of the customer's address when
the point comes from one (docs/scheduling.md, "Search"):

- ``rating``: gsi1 in key order. A date filter (a FilterExpression on the entry's working days
  and days off) can thin a page out; the search then reads on with larger pages while round
  trips remain, and may return a short page whose cursor carries on from where it stopped.
- ``distance``: gsi2 Queries of geohash cells around the point, at most :data:`CANDIDATES`
  entries each: its own cell at precision 5 (6 where that is crowded), then neighbouring cells
  or a wider one, up to the whole partition, as ``chalicelib.workers.nearby`` plans, until the
  nearest workers the page needs are certain or the round trips are spent; the candidates are
  then ordered by haversine distance. Workers without a home location are not placed.
- ``recommended``: the same candidates (at least :data:`RECOMMEND_POOL` of them) around a point,
  or the :data:`CANDIDATES` best-rated without one, ordered by :func:`recommendation_score`.

Distance and recommended results are ranked in memory over a bounded candidate set, so their
cursor is a signed offset into that ranking and their list ends with the candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pynamodb.expressions.condition import Condition

from chalicelib import clock
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.geo import encode_geohash, haversine_km
from chalicelib.models.accounts import AddressItem
from chalicelib.models.workers import CertificateItem, WorkerProfileItem, WorkerSearchItem
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.scheduling import calendar
from chalicelib.scheduling.slots import RULES, WEEKDAYS, local_day
from chalicelib.scheduling.travel import Point
from chalicelib.workers import nearby
from chalicelib.workers.levels import LEVELS
from chalicelib.workers.search_index import search_partition

__all__ = [
    "CANDIDATES",
    "RECOMMEND_POOL",
    "ROUND_TRIPS",
    "WEIGHTS",
    "PublicProfile",
    "Rating",
    "ScoreWeights",
    "SearchRequest",
    "Sort",
    "WorkerCard",
    "address_point",
    "mask_name",
    "public_profile",
    "recommendation_score",
    "search_workers",
]

Sort = Literal["rating", "distance", "recommended"]

ROUND_TRIPS = 3
"""The most DynamoDB requests one search makes (address read included)."""
CANDIDATES = 400
"""The most index entries one Query of a distance or recommended search reads."""
RECOMMEND_POOL = 50
"""The fewest candidates a recommended search around a point ranks."""


@dataclass(frozen=True)
class SearchRequest:
    """What a search asks for.

    The customer's place, which ``distance`` needs and the others use when given, is ``point``
    or one of her saved addresses, ``address`` = ``(user id, address id)``.
    """

    category: str
    city: str
    district: str | None = None
    day: date | None = None
    sort: Sort = "rating"
    point: Point | None = None
    address: tuple[str, str] | None = None
    limit: int = 20
    cursor: str | None = None

    @property
    def partition(self) -> str:
        return search_partition(self.category, self.city, self.district)

    def scope(self, point: Point | None) -> str:
        """What a cursor is bound to: the same filters, order and point."""
        where = f"{point.lat:.5f},{point.lng:.5f}" if point else ""
        return f"workers:{self.partition}:{self.day or ''}:{self.sort}:{where}"


@dataclass(frozen=True)
class Rating:
    """Averages on the 1-5 scale (0 without ratings) and how many ratings they are over."""

    overall: float
    quality: float
    attitude: float
    skill: float
    count: int


@dataclass(frozen=True)
class WorkerCard:
    """One search result; ``distance_km`` only when the search has a point."""

    worker_id: str
    name: str
    skills: list[str]
    rating: Rating
    experience_years: int
    level: str
    distance_km: float | None = None


@dataclass(frozen=True)
class ScoreWeights:
    """How much each part counts in :func:`recommendation_score` (they need not sum to 1).

    Ratings are shrunk toward ``prior_rating`` as if the worker had ``prior_count`` more ratings
    of that value, so one lucky 5-star review does not outrank a long record of 4.8s and a new
    worker is neither buried nor promoted. Distance counts ``1 / (1 + km / half_distance_km)``:
    1 at the door, 0.5 at ``half_distance_km``.
    """

    rating: float = 0.30
    skill: float = 0.20
    experience: float = 0.15
    level: float = 0.10
    distance: float = 0.25
    prior_rating: float = 4.0
    prior_count: int = 5
    experience_cap_years: int = 10
    half_distance_km: float = 3.0


WEIGHTS = ScoreWeights()


def _shrunk(mean: float, count: int, weights: ScoreWeights) -> float:
    return (mean * count + weights.prior_rating * weights.prior_count) / (count + weights.prior_count)


def recommendation_score(card: WorkerCard, weights: ScoreWeights = WEIGHTS) -> float:
    """A worker's score in [0, 1] for ``sort=recommended``: a weighted mean of its parts.

    The parts: the overall rating and the skill rating (customers' verdict on her trade), both
    shrunk toward the prior and scaled to [0, 1]; experience years up to a cap; the level
    (junior 0 ... gold 1, reviewed credentials); nearness when the search has a point. Without
    a point the distance part is left out and the others keep their proportions.
    """
    parts = [
        (weights.rating, _shrunk(card.rating.overall, card.rating.count, weights) / 5),
        (weights.skill, _shrunk(card.rating.skill, card.rating.count, weights) / 5),
        (
            weights.experience,
            min(card.experience_years, weights.experience_cap_years) / weights.experience_cap_years,
        ),
        (weights.level, LEVELS.index(card.level) / (len(LEVELS) - 1) if card.level in LEVELS else 0.0),
    ]
    if card.distance_km is not None:
        parts.append((weights.distance, 1 / (1 + card.distance_km / weights.half_distance_km)))
    return sum(weight * value for weight, value in parts) / sum(weight for weight, _ in parts)


def _number(raw: dict[str, Any], name: str) -> float:
    value = raw.get(name)
    return float(value["N"]) if value else 0.0


def _row(raw: dict[str, Any], point: Point | None) -> tuple[float | None, WorkerCard]:
    """A result row, and its exact distance from ``point``, from a ``WorkerSearchItem`` as read.

    Read straight from DynamoDB's attribute values: a search ranks up to hundreds of candidates,
    and building a pynamodb model for each would cost more than the ranking itself.
    """
    distance = None
    if point is not None and "lat" in raw and "lng" in raw:
        distance = haversine_km(point.lat, point.lng, _number(raw, "lat"), _number(raw, "lng"))
    card = WorkerCard(
        worker_id=raw["worker_id"]["S"],
        name=raw["name"]["S"],
        skills=[skill["S"] for skill in raw["skills"]["L"]],
        rating=Rating(
            overall=_number(raw, "rating_overall"),
            quality=_number(raw, "rating_quality"),
            attitude=_number(raw, "rating_attitude"),
            skill=_number(raw, "rating_skill"),
            count=int(_number(raw, "rating_count")),
        ),
        experience_years=int(_number(raw, "experience_years")),
        level=raw["level"]["S"],
        distance_km=round(distance, 1) if distance is not None else None,
    )
    return distance, card


def _invalid(field_name: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(details=[{"field": field_name, "code": code, "message": message}])


def address_point(user_id: str, address_id: str) -> Point:
    """Where one of the caller's addresses is: 404 if not hers, 422 if it has no coordinates."""
    try:
        address = AddressItem.get(*AddressItem.key(user_id, address_id))
    except AddressItem.DoesNotExist:
        raise NotFound() from None
    if address.lat is None or address.lng is None:
        raise _invalid("address_id", "address_without_location", "this address has no coordinates")
    return Point(float(address.lat), float(address.lng))


def _date_filter(day: date | None) -> Condition | None:
    """Works that day: a weekday with hours or a dated exception with hours, and not a day off."""
    if day is None:
        return None
    text = day.isoformat()
    works = WorkerSearchItem.work_days.contains(
        WEEKDAYS[day.weekday()]
    ) | WorkerSearchItem.work_days.contains(text)
    return works & ~WorkerSearchItem.days_off.contains(text)


def _by_rating(
    request: SearchRequest, point: Point | None, budget: int
) -> tuple[list[WorkerCard], str | None]:
    """A page in rating order: ``limit`` matches, reading on (larger pages) while budget remains.

    Each page of the pynamodb query (``page_iter``) is one DynamoDB request.
    """
    scope = request.scope(point)
    query = WorkerSearchItem.gsi1.query(
        request.partition,
        filter_condition=_date_filter(request.day),
        last_evaluated_key=decode_cursor(scope, request.cursor),
        page_size=request.limit + 1,
    )
    rows: list[dict[str, Any]] = []
    last_key = None
    for trip, page in enumerate(query.page_iter, start=1):
        rows += page.get("Items", [])
        last_key = page.get("LastEvaluatedKey")
        if len(rows) > request.limit:
            last_key = {name: rows[request.limit - 1][name] for name in ("pk", "sk", "gsi1pk", "gsi1sk")}
            break
        if last_key is None or trip == budget:
            break
        # A date filter thinned the page out: read further with a page sized for what is missing.
        query.page_iter.page_size = min(CANDIDATES, 4 * (request.limit + 1 - len(rows)))
    cards = [_row(raw, point)[1] for raw in rows[: request.limit]]
    return cards, encode_cursor(scope, last_key)


def _near(request: SearchRequest, point: Point, wanted: int, budget: int) -> list[tuple[float, WorkerCard]]:
    """Workers around ``point`` with their exact distances, read cell by cell (``nearby``).

    Workers without a home location cannot be placed and are left out.
    """
    found: dict[str, tuple[float, WorkerCard]] = {}
    complete: set[str] = set()
    crowded: set[str] = set()
    start = nearby.START_PRECISION
    step: tuple[str, int] | None = (encode_geohash(point.lat, point.lng, start), start)
    for _ in range(budget):
        if step is None:
            break
        cell, precision = step
        query = WorkerSearchItem.gsi2.query(
            request.partition,
            WorkerSearchItem.gsi2sk.startswith(cell) if cell else None,
            filter_condition=_date_filter(request.day),
            page_size=CANDIDATES,
        )
        page = next(query.page_iter)
        for raw in page.get("Items", []):
            exact, card = _row(raw, point)
            if exact is not None:
                found[card.worker_id] = (exact, card)
        (crowded if "LastEvaluatedKey" in page else complete).add(cell)
        distances = sorted(distance for distance, _ in found.values())
        step = nearby.next_cell(point, precision, complete, crowded, distances, wanted)
    return list(found.values())


def _top_rated(request: SearchRequest) -> list[WorkerCard]:
    query = WorkerSearchItem.gsi1.query(
        request.partition, filter_condition=_date_filter(request.day), page_size=CANDIDATES
    )
    return [_row(raw, None)[1] for raw in next(query.page_iter).get("Items", [])]


def _ranked(request: SearchRequest, point: Point | None, budget: int) -> tuple[list[WorkerCard], str | None]:
    """A page of a ranking computed in memory over a bounded candidate set."""
    scope = request.scope(point)
    position = decode_cursor(scope, request.cursor)
    offset = int(position["offset"]) if position else 0
    wanted = offset + request.limit + 1
    if point is not None and request.sort == "distance":
        near = sorted(_near(request, point, wanted, budget), key=lambda pair: (pair[0], pair[1].worker_id))
        ranked = [card for _, card in near]
    else:
        candidates = (
            [card for _, card in _near(request, point, max(wanted, RECOMMEND_POOL), budget)]
            if point
            else _top_rated(request)
        )
        ranked = sorted(candidates, key=lambda card: (-recommendation_score(card), card.worker_id))
    page = ranked[offset : offset + request.limit]
    more = len(ranked) > offset + request.limit
    return page, encode_cursor(scope, {"offset": offset + request.limit} if more else None)


def search_workers(request: SearchRequest) -> tuple[list[WorkerCard], str | None]:
    """One page of verified workers of a category in a city (and district); the next cursor.

    ``day`` keeps only workers who work that date (422 if it has passed or is beyond the
    booking horizon). 404 for an address that is not the caller's; 422 for ``distance``
    without a place, or a cursor issued for another search.
    """
    if request.day is not None:
        today = local_day(clock.now())
        if request.day < today:
            raise _invalid("date", "date_in_past", f"{request.day} has passed")
        if (request.day - today).days > RULES.horizon_days:
            raise _invalid("date", "date_too_far", f"bookings open {RULES.horizon_days} days ahead")
    point = address_point(*request.address) if request.address else request.point
    if request.sort == "distance" and point is None:
        raise _invalid("sort", "point_required", "sort=distance needs address_id or lat and lng")
    # an address costs a read; a date the read of the page's guards (live-in terms)
    budget = ROUND_TRIPS - (1 if request.address else 0) - (1 if request.day is not None else 0)
    if request.sort == "rating":
        cards, cursor = _by_rating(request, point, budget)
    else:
        cards, cursor = _ranked(request, point, budget)
    if request.day is not None and cards:
        # a live-in term holds the whole day: its worker is busy (one BatchGetItem of the page's guards)
        busy = calendar.live_in_busy([card.worker_id for card in cards], request.day)
        cards = [card for card in cards if card.worker_id not in busy]
    return cards, cursor


@dataclass(frozen=True)
class PublicProfile:
    """What anyone may see of a verified worker: no ID number, no phone, the real name masked."""

    worker_id: str
    name: str
    real_name: str | None
    bio: str | None
    skills: list[str]
    service_areas: list[dict[str, str]]
    experience_years: int
    level: str
    rating: Rating
    certificates: list[str]
    completed_orders: int


def mask_name(real_name: str | None) -> str | None:
    """``王小红`` -> ``王**``: the family name only, and never how long the rest is."""
    return f"{real_name[0]}**" if real_name else None


def public_profile(worker_id: str) -> PublicProfile:
    """A verified worker's public profile (one GetItem); else 404.

    The certificate kinds come from the profile, where review keeps them; a profile reviewed
    before that was kept has none, and its certificates are queried instead.
    """
    try:
        profile = WorkerProfileItem.get(*WorkerProfileItem.key(worker_id))
    except WorkerProfileItem.DoesNotExist:
        raise NotFound() from None
    if profile.status != "verified":
        raise NotFound()
    kinds = profile.certificate_kinds
    if kinds is None:
        kinds = [
            item.kind
            for item in CertificateItem.query(
                f"WORKER#{worker_id}",
                CertificateItem.sk.startswith("CERT#"),
                filter_condition=CertificateItem.status == "verified",
            )
        ]
    count = int(profile.rating_count or 0)

    def average(total: float) -> float:
        return round(float(total) / count, 2) if count else 0.0

    quality, attitude, skill = (
        average(profile.rating_quality_sum),
        average(profile.rating_attitude_sum),
        average(profile.rating_skill_sum),
    )
    return PublicProfile(
        worker_id=worker_id,
        name=profile.name,
        real_name=mask_name(profile.real_name),
        bio=profile.bio,
        skills=[str(skill) for skill in profile.skills or []],
        service_areas=[
            {"city": area["city"], "district": area["district"]} for area in profile.service_areas or []
        ],
        experience_years=int(profile.experience_years or 0),
        level=profile.level_override or profile.level or "junior",
        rating=Rating(
            overall=round((quality + attitude + skill) / 3, 2) if count else 0.0,
            quality=quality,
            attitude=attitude,
            skill=skill,
            count=count,
        ),
        certificates=sorted({str(kind) for kind in kinds}),
        completed_orders=int(profile.completed_orders or 0),
    )
