"""Issue 12's "Done when", over HTTP against the local stack, with the demo catalog.

A customer books a demo 月嫂 (26-day term) and pays; another customer sees no slots with that
worker on any day of the term, cannot book her then, but can the day after the term; the first
customer ends the term early and gets the pro-rata refund; a 住家保姆 month is replaced by another
worker halfway (the customer asks, an admin approves).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx

from chalicelib.orders.terms import pro_rata_refund
from local.stack import LocalStack
from tests.e2e.accounts import bearer, clock_restored, login, new_admin
from tests.e2e.scenes import run_scene
from tests.e2e.test_order_workflow_e2e import eventually

_SCENE = r"""
from local.seed_catalog import seed_catalog
from chalicelib.catalog.services import get_service
seed_catalog()
def live_in_worker(name):
    worker = verified_worker(name)
    WorkerProfileItem(*WorkerProfileItem.key(worker.user_id)).update(
        actions=[WorkerProfileItem.skills.set(["maternity_nurse", "nanny", "cleaning"])])
    return worker
nurse, nanny, relief = live_in_worker("李阿姨"), live_in_worker("张阿姨"), live_in_worker("赵阿姨")
cleaning = cleaning_service()
alice, alice_home = customer_at_home("王女士")
bob, bob_home = customer_at_home("张先生")
carol, carol_home = customer_at_home("陈女士")
print(json.dumps({
    "term_service": "svc_maternity_three_star", "month_service": "svc_nanny_live_in", "cleaning": cleaning,
    "term_price": get_service("svc_maternity_three_star").price_min,
    "nurse": nurse.user_id, "nanny": nanny.user_id, "relief": relief.user_id,
    "phones": {"alice": alice.phone, "bob": bob.phone, "carol": carol.phone,
               "nurse": nurse.phone, "nanny": nanny.phone, "relief": relief.phone},
    "homes": {"alice": alice_home, "bob": bob_home, "carol": carol_home},
}))
"""


class People:
    """Fresh sign-ins whenever needed (the local clock moves days ahead)."""

    def __init__(self, http: httpx.Client, scene: dict[str, Any]) -> None:
        self.http, self.scene = http, scene

    def __call__(self, who: str) -> dict[str, str]:
        phone = self.scene["phones"][who]
        return bearer(login(self.http, password="secret123", phone=phone).access_token)

    def today(self) -> date:
        return datetime.fromisoformat(self.http.get("/v1/dev/clock").json()["now"]).date()

    def advance_days(self, days: int) -> None:
        assert self.http.post("/v1/dev/clock", json={"advance_minutes": days * 24 * 60}).status_code == 200

    def book(self, who: str, service: str, worker: str, start: str, **more: Any) -> httpx.Response:
        body = {
            "service_id": self.scene.get(service, service),
            "address_id": self.scene["homes"][who],
            "worker_id": self.scene[worker],
            "start_at": start,
            **more,
        }
        return self.http.post("/v1/orders", json=body, headers=self(who))

    def pay(self, who: str, order_id: str) -> int:
        """One payment (the whole price, a deposit, or a balance): returns its amount."""
        paying = self.http.post(f"/v1/orders/{order_id}/pay", json={"method": "alipay"}, headers=self(who))
        assert paying.status_code == 201, paying.text
        done = self.http.post(
            f"/v1/dev/payments/{paying.json()['payment_id']}/complete", json={"outcome": "succeeded"}
        )
        assert done.status_code == 202, done.text
        return int(paying.json()["amount"]["amount"])

    def order(self, who: str, order_id: str) -> dict[str, Any]:
        got = self.http.get(f"/v1/orders/{order_id}", headers=self(who))
        assert got.status_code == 200, got.text
        return dict(got.json())

    def accept(self, worker: str, order_id: str) -> None:
        accepted = self.http.post(f"/v1/worker/orders/{order_id}/accept", headers=self(worker))
        assert accepted.status_code == 200, accepted.text

    def slots(self, worker: str, day: date) -> list[Any]:
        found = self.http.get(
            f"/v1/workers/{self.scene[worker]}/slots",
            params={"service_id": self.scene["cleaning"], "date": str(day)},
        )
        assert found.status_code == 200, found.text
        return list(found.json()["slots"])


def test_a_maternity_term_and_a_live_in_month(stack: LocalStack, http: httpx.Client) -> None:
    scene = run_scene(stack, _SCENE, 0)
    people = People(http, scene)
    first = people.today() + timedelta(days=5)
    start = f"{first}T09:00:00+08:00"

    # Alice books the demo 月嫂 for 26 days and pays
    booked = people.book("alice", "term_service", "nurse", start)
    assert booked.status_code == 201, booked.text
    term_order = booked.json()
    assert (term_order["term"]["days"], term_order["term"]["last_date"]) == (
        26,
        str(first + timedelta(days=25)),
    )
    # the deposit (定金) first: the order is paid and the worker asked to accept
    deposit = term_order["deposit"]
    assert deposit["deposit"]["amount"] == scene["term_price"] * 30 // 100
    assert people.pay("alice", term_order["order_id"]) == deposit["deposit"]["amount"]
    eventually(lambda: True if people.order("alice", term_order["order_id"])["status"] == "paid" else None)
    people.accept("nurse", term_order["order_id"])
    # then the balance (尾款), before it is due
    assert people.pay("alice", term_order["order_id"]) == deposit["balance"]["amount"]
    eventually(
        lambda: True if people.order("alice", term_order["order_id"])["deposit"]["balance_paid_at"] else None
    )
    paid = http.get(f"/v1/orders/{term_order['order_id']}/payment", headers=people("alice")).json()
    assert (paid["payment"]["amount"]["amount"], paid["payment"]["status"]) == (
        deposit["deposit"]["amount"],
        "succeeded",
    )
    assert (paid["balance_payment"]["amount"]["amount"], paid["balance_payment"]["status"]) == (
        deposit["balance"]["amount"],
        "succeeded",
    )

    # Bob: no slot with her on any day of the term, none bookable; the day after the term is free
    for offset in (0, 1, 12, 25):
        assert people.slots("nurse", first + timedelta(days=offset)) == []
    clash = people.book("bob", "cleaning", "nurse", f"{first + timedelta(days=12)}T10:00:00+08:00")
    assert clash.status_code == 409, clash.text
    overlapping = people.book("bob", "term_service", "nurse", f"{first + timedelta(days=20)}T09:00:00+08:00")
    assert overlapping.status_code == 409, overlapping.text
    after = first + timedelta(days=26)
    assert people.slots("nurse", after)
    visit = people.book("bob", "cleaning", "nurse", f"{after}T10:00:00+08:00")
    assert visit.status_code == 201, visit.text

    with clock_restored(stack):
        # the 13th day of the term: Alice ends it; the 13 days not served come back
        people.advance_days(5 + 12)
        today = people.today()
        assert today == first + timedelta(days=12)
        ended = http.post(
            f"/v1/orders/{term_order['order_id']}/term/end",
            json={"reason": "家里老人来帮忙"},
            headers=people("alice"),
        )
        assert ended.status_code == 200, ended.text
        assert ended.json()["term"]["days"] == 13
        refund = pro_rata_refund(scene["term_price"], 26, 13)

        def refunded() -> dict[str, Any] | None:
            payment = http.get(f"/v1/orders/{term_order['order_id']}/payment", headers=people("alice")).json()
            done = [item for item in payment["refunds"] if item["amount"]["amount"] == refund]
            return done[0] if done else None

        assert eventually(refunded)["reason"] == "term_ended_early"
        # the freed days are bookable again at once
        assert people.slots("nurse", today + timedelta(days=2))

        # Carol's 住家保姆 month with 张阿姨, replaced by 赵阿姨 halfway
        month_first = today + timedelta(days=2)
        month = people.book("carol", "month_service", "nanny", f"{month_first}T09:00:00+08:00")
        assert month.status_code == 201, month.text
        month_order = month.json()
        days = month_order["term"]["days"]
        assert month_order["deposit"] is None  # two days ahead: paid in full at once
        assert people.pay("carol", month_order["order_id"]) == month_order["price"]["amount"]
        eventually(
            lambda: True if people.order("carol", month_order["order_id"])["status"] == "paid" else None
        )
        people.accept("nanny", month_order["order_id"])
        people.advance_days(2 + days // 2)
        asked = http.post(
            f"/v1/orders/{month_order['order_id']}/term/replacement",
            json={"reason": "想换人"},
            headers=people("carol"),
        )
        assert asked.status_code == 200, asked.text
        admin = new_admin(stack, http)
        replaced = http.post(
            f"/v1/admin/orders/{month_order['order_id']}/replace",
            json={"worker_id": scene["relief"], "reason": "客户要求换人"},
            headers=admin.headers,
        )
        assert replaced.status_code == 200, replaced.text
        assert replaced.json()["worker_id"] == scene["relief"]
        tomorrow = people.today() + timedelta(days=1)
        assert people.slots("nanny", tomorrow)  # 张阿姨 is free again from tomorrow
        assert people.slots("relief", tomorrow) == []  # 赵阿姨 lives in from tomorrow
        last = date.fromisoformat(replaced.json()["term"]["last_date"])
        assert people.slots("relief", last) == [] and people.slots("relief", last + timedelta(days=1))
        jobs = http.get("/v1/orders", headers=people("relief")).json()["items"]
        assert month_order["order_id"] in [job["order_id"] for job in jobs]
