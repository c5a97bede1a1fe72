"""Demo data for ``make run``: an admin, a support agent, a customer (with a home address in
Pudong, so she can book at once) and workers of a demo city.

Idempotent: an account that already exists is left as it is, so a restart keeps the data and
prints the same accounts. The admin's e-mail and password come from ``ADMIN_EMAIL`` and
``ADMIN_PASSWORD`` when set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from chalicelib.accounts.addresses import create_address, list_addresses
from chalicelib.accounts.targets import target_from
from chalicelib.accounts.users import Role, create_user
from chalicelib.errors import Conflict
from chalicelib.models.accounts import IdentityItem

__all__ = ["DEMO_HOME", "DemoAccount", "demo_accounts", "main", "seed"]

DEMO_HOME = {
    "label": "家",
    "contact_name": "王女士",
    "contact_phone": "13800000001",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "世纪大道 100 号 8 楼",
    "lat": 31.2354,
    "lng": 121.5055,
}
"""The demo customer's address: in the demo workers' areas, so slots and bookings work at once."""


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    name: str
    password: str
    email: str | None = None
    phone: str | None = None

    @property
    def login(self) -> str:
        return self.email or self.phone or ""


def demo_accounts() -> list[DemoAccount]:
    """The accounts of the demo city (Shanghai)."""
    return [
        DemoAccount(
            "admin",
            "平台管理员",
            os.environ.get("ADMIN_PASSWORD", "Admin-pass-2026"),
            email=os.environ.get("ADMIN_EMAIL", "admin@jiazheng.example"),
        ),
        DemoAccount("support", "客服小李", "Support-pass-2026", email="support@jiazheng.example"),
        DemoAccount("customer", "王女士", "Customer-pass-2026", phone="13800000001"),
        DemoAccount("worker", "李阿姨", "Worker-pass-2026", phone="13900000001"),
        DemoAccount("worker", "张师傅", "Worker-pass-2026", phone="13900000002"),
        DemoAccount("worker", "陈月嫂", "Worker-pass-2026", phone="13900000003"),
    ]


def seed() -> list[str]:
    """Create what is missing; returns one line per demo account to print."""
    lines = []
    for account in demo_accounts():
        target = target_from(phone=account.phone, email=account.email)
        try:
            create_user(target, account.password, account.name, account.role)
            state = "created"
        except Conflict:
            state = "exists"
        lines.append(
            f"  {account.role:<9} {account.login:<24} {account.password:<20} {account.name} ({state})"
        )
        if account.role == "customer":
            _give_a_home(target.kind, target.blind)
    return lines


def _give_a_home(kind: str, blind: str) -> None:
    """The demo customer's home address, unless she has addresses already."""
    user_id = str(IdentityItem.get(*IdentityItem.key(kind, blind)).user_id)
    if not list_addresses(user_id):
        create_address(user_id, dict(DEMO_HOME))


def main() -> None:
    from local.seed_catalog import seed_catalog
    from local.seed_workers import seed_workers

    print("Demo accounts (role, login, password):")
    for line in seed():
        print(line)
    services = seed_catalog()
    print(f"Catalog: {len(services)} services")
    print("Demo workers:")
    for line in seed_workers():
        print(line)
    from local.seed_earnings import seed_earnings

    print(seed_earnings(services[0]))


if __name__ == "__main__":
    main()
