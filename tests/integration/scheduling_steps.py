"""Shared steps of the availability, slots and search tests.

Accounts are created directly (``create_user`` + ``open_session``) and verified workers and
reservations are written as items, as review and booking would write them: these tests are
about what scheduling and search make of them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.accounts.addresses import create_address
from chalicelib.accounts.sessions import open_session
from chalicelib.accounts.targets import target_from
from chalicelib.accounts.users import create_user
from chalicelib.catalog.services import Actor, create_service
from chalicelib.ids import new_id
from chalicelib.models.workers import ReservationItem, WorkerProfileItem
from chalicelib.workers.search_index import refresh_search_entries

# Monday 18 January 2027, 09:00 in Shanghai: the frozen "now" of these tests.
NOW = datetime(2027, 1, 18, 9, 0, tzinfo=clock.SHANGHAI)
PUDONG = {"city": "上海市", "district": "浦东新区"}
XUHUI = {"city": "上海市", "district": "徐汇区"}
PEOPLES_SQUARE = (31.2304, 121.4737)

_phones = iter(range(13900000000, 13999999999))


def account(role: str, name: str = "王女士") -> tuple[str, str]:
    """A new account and an access token: ``(user_id, token)``."""
    user = create_user(target_from(phone=str(next(_phones))), "secret123", name, role)  # type: ignore[arg-type]
    return user.user_id, open_session(user.user_id, role).access_token


def worker(
    name: str = "李阿姨",
    *,
    status: str = "verified",
    skills: tuple[str, ...] = ("cleaning",),
    areas: tuple[dict[str, str], ...] = (PUDONG,),
    home: tuple[float, float] | None = PEOPLES_SQUARE,
    ratings: tuple[int, float] = (0, 0.0),
    experience_years: int = 3,
    level: str = "junior",
    real_name: str = "李秀英",
) -> str:
    """A worker account with a profile in ``status``, indexed as review would index it."""
    worker_id, _ = account("worker", name)
    count, average = ratings
    WorkerProfileItem(
        *WorkerProfileItem.key(worker_id),
        worker_id=worker_id,
        name=name,
        status=status,
        real_name=real_name,
        id_number_masked="3101**********1234",
        skills=list(skills),
        experience_years=experience_years,
        bio="认真负责",
        service_areas=list(areas),
        home_lat=home[0] if home else None,
        home_lng=home[1] if home else None,
        level=level,
        certificate_kinds=[] if status == "verified" else None,  # as review keeps them
        rating_count=count,
        rating_quality_sum=average * count,
        rating_attitude_sum=average * count,
        rating_skill_sum=average * count,
        created_at=clock.iso(),
    ).save()
    refresh_search_entries(worker_id)
    return worker_id


def service(category: str = "cleaning", duration_minutes: int = 120) -> str:
    """An active service of the catalog."""
    fields: dict[str, Any] = {
        "category": category,
        "sub_type": None,
        "name": {"zh-CN": "日常保洁", "en": "Routine cleaning"},
        "description": {"zh-CN": "两小时上门保洁", "en": "Two hours of cleaning"},
        "includes": [],
        "price_min": 10000,
        "price_max": 10000,
        "price_unit": "per_day" if category == "maternity_nurse" else "per_hour",
        "duration_minutes": duration_minutes,
    }
    return create_service(fields, actor=Actor(user_id="usr_admin", role="admin")).service_id


def address(user_id: str, lat: float | None, lng: float | None, area: dict[str, str] = PUDONG) -> str:
    """A saved address of ``user_id``."""
    fields = {
        "label": "家",
        "contact_name": "王女士",
        "contact_phone": "13800001111",
        "detail": "世纪大道 100 号",
        "lat": lat,
        "lng": lng,
        **area,
    }
    return create_address(user_id, fields).address_id


def at(day: date, clock_time: str) -> datetime:
    hours, minutes = map(int, clock_time.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=clock.SHANGHAI)


def reserve(
    worker_id: str,
    start: datetime,
    minutes: int,
    *,
    place: tuple[float, float] | None = None,
    status: str = "confirmed",
    hold_until: datetime | None = None,
) -> None:
    """A reservation item as booking writes it (one partition per worker-day)."""
    order_id = new_id("ord")
    ReservationItem(
        ReservationItem.partition(worker_id, start.date().isoformat()),
        f"{clock.iso(start)}#{order_id}",
        worker_id=worker_id,
        order_id=order_id,
        start=clock.iso(start),
        end=clock.iso(start + timedelta(minutes=minutes)),
        lat=place[0] if place else None,
        lng=place[1] if place else None,
        status=status,
        hold_until=hold_until.timestamp() if hold_until else None,
    ).save()


def every_day(hours: list[list[str]]) -> dict[str, Any]:
    return {day: hours for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def errors(response: Any) -> dict[str, str]:
    """``field -> code`` of a 422 answer."""
    assert response.status_code == 422, response.json
    return {detail["field"]: detail["code"] for detail in response.json["error"]["details"]}
