"""Building a scene (verified workers, a service, customers with addresses) inside the stack.

Race tests need many ready accounts fast, so the scene is written with the app's own use cases
in a subprocess that has the stack's environment (the same code path the seed uses), rather
than through dozens of HTTP sign-ups. ``PRELUDE`` defines the helpers a scene script calls.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx

from local.stack import REPO_ROOT, LocalStack

__all__ = ["PRELUDE", "connect", "run_scene"]

PRELUDE = r"""
import json, random, sys
from datetime import datetime, time, timedelta
from chalicelib import clock
from chalicelib.accounts.addresses import create_address
from chalicelib.accounts.sessions import open_session
from chalicelib.accounts.targets import target_from
from chalicelib.accounts.users import create_user
from chalicelib.catalog.services import Actor, create_service
from chalicelib.models.workers import WorkerProfileItem
from chalicelib.scheduling.availability import set_availability

count = int(sys.argv[1])
phones = iter(range(random.randrange(13000000000, 13800000000), 13999999999))
area = {"city": "上海市", "district": "浦东新区"}
ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

def user(role, name):
    return create_user(target_from(phone=str(next(phones))), "secret123", name, role)

def verified_worker(name):
    worker = user("worker", name)
    WorkerProfileItem(
        *WorkerProfileItem.key(worker.user_id), worker_id=worker.user_id, name=name, status="verified",
        real_name="李秀英", id_number_masked="3101**********1234", skills=["cleaning"], experience_years=3,
        bio="认真负责", service_areas=[area], home_lat=31.2304, home_lng=121.4737, level="junior",
        created_at=clock.iso(),
    ).save()
    set_availability(worker.user_id, ALL_DAY, [])
    return worker

def cleaning_service():
    return create_service(
        {"category": "cleaning", "sub_type": None, "name": {"zh-CN": "日常保洁", "en": "Cleaning"},
         "description": {"zh-CN": "保洁", "en": "Cleaning"}, "includes": [], "price_min": 5000, "price_max": 5000,
         "price_unit": "per_hour", "duration_minutes": 120},
        actor=Actor(user_id="usr_admin", role="admin"),
    ).service_id

def customer_at_home(name):
    customer = user("customer", name)
    address = create_address(customer.user_id, {"label": "家", "contact_name": "王女士", "contact_phone": "13800001111",
        "detail": "世纪大道 100 号", "lat": 31.2304, "lng": 121.4737, **area}).address_id
    return customer, address
"""


def run_scene(stack: LocalStack, script: str, count: int) -> dict[str, Any]:
    """Run ``PRELUDE + script`` against the stack; the script prints its result as JSON last."""
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + script, str(count)],
        cwd=REPO_ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def connect(client: httpx.Client) -> None:
    """Open the keep-alive connection, so a barrier after it releases requests, not handshakes."""
    answer = client.get("/v1/health")
    assert answer.status_code == 200, answer.text
