"""Two admins suspending and reactivating one account at the same moment, on DynamoDB Local.

Each round both requests succeed; the account ends in one state, the audit log holds both
changes, and each entry's ``before`` is the previous entry's ``after``: no change was applied
to a state its author did not see recorded.
"""

from __future__ import annotations

import itertools
import threading

import httpx

from local.stack import LocalStack
from tests.e2e.accounts import bearer, new_admin
from tests.e2e.scenes import run_scene

ROUNDS = 5


def _race(stack: LocalStack, customer_id: str, moves: list[tuple[dict[str, str], str]]) -> list[int]:
    """Send the PATCHes at once, one thread each; their status codes."""
    barrier = threading.Barrier(len(moves))
    codes: list[int] = []

    def act(headers: dict[str, str], status: str) -> None:
        with httpx.Client(base_url=stack.base_url, timeout=20) as client:
            barrier.wait()
            response = client.patch(
                f"/v1/admin/users/{customer_id}", json={"status": status}, headers=headers
            )
            codes.append(response.status_code)

    threads = [threading.Thread(target=act, args=move) for move in moves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


def test_concurrent_suspend_and_reactivate(stack: LocalStack, http: httpx.Client) -> None:
    customer_id = run_scene(stack, 'print(json.dumps({"id": user("customer", "王女士").user_id}))', 0)["id"]
    admins = [bearer(new_admin(stack, http, name).access_token) for name in ("甲", "乙")]
    for _ in range(ROUNDS):
        codes = _race(stack, customer_id, [(admins[0], "suspended"), (admins[1], "active")])
        assert codes == [200, 200]
    log = http.get("/v1/admin/audit-log", params={"target_id": customer_id, "limit": 100}, headers=admins[0])
    entries = list(reversed(log.json()["items"]))  # oldest first
    assert len(entries) == 2 * ROUNDS
    for previous, entry in itertools.pairwise(entries):
        assert entry["before"]["status"] == previous["after"]["status"]
    final = http.get(f"/v1/admin/users/{customer_id}", headers=admins[0]).json()["status"]
    assert final == entries[-1]["after"]["status"]
