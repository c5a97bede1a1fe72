"""Demo data for ``make run``: an admin, a support agent, a customer (with a home address in
Pudong, so she can book at once) and workers of a demo city.

Idempotent: an account that already exists is left as it is, so a restart keeps the data and
prints the same accounts. The admin's e-mail and password come from ``ADMIN_EMAIL`` and
``ADMIN_PASSWORD`` when set; ``make run`` checks them (:func:`admin_account`) before it starts
anything, so a bad value is a clear message at start rather than an admin who cannot sign in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from chalicelib.accounts.addresses import create_address, list_addresses
from chalicelib.accounts.identifiers import normalize_email
from chalicelib.accounts.policy import password_problem
from chalicelib.accounts.targets import target_from
from chalicelib.accounts.users import Role, create_user
from chalicelib.errors import Conflict
from chalicelib.models.accounts import IdentityItem

__all__ = [
    "DEMO_HOME",
    "AdminSettingError",
    "DemoAccount",
    "admin_account",
    "demo_accounts",
    "main",
    "seed",
    "seed_account",
]

DEFAULT_ADMIN_EMAIL = "admin@jiazheng.example"
DEFAULT_ADMIN_PASSWORD = "Admin-pass-2026"

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


class AdminSettingError(ValueError):
    """``ADMIN_EMAIL`` or ``ADMIN_PASSWORD`` cannot make an admin who signs in."""


def admin_account() -> DemoAccount:
    """The demo admin from ``ADMIN_EMAIL`` / ``ADMIN_PASSWORD``, checked by the sign-in rules.

    The e-mail only has to be an address (a special-use domain such as ``example.test`` is fine:
    sign-in normalises, it does not judge deliverability); the password must pass the policy
    the API applies, or the admin could never change it back to one like it.
    """
    email = os.environ.get("ADMIN_EMAIL") or DEFAULT_ADMIN_EMAIL
    password = os.environ.get("ADMIN_PASSWORD") or DEFAULT_ADMIN_PASSWORD
    try:
        normalize_email(email)
    except ValueError as error:
        raise AdminSettingError(f"ADMIN_EMAIL={email!r} is refused: {error}") from error
    problem = password_problem(password)
    if problem:
        raise AdminSettingError(f"ADMIN_PASSWORD is refused: {problem}")
    return DemoAccount("admin", "平台管理员", password, email=email)


def demo_accounts() -> list[DemoAccount]:
    """The accounts of the demo city (Shanghai)."""
    return [
        admin_account(),
        DemoAccount("support", "客服小李", "Support-pass-2026", email="support@jiazheng.example"),
        DemoAccount("customer", "王女士", "Customer-pass-2026", phone="13800000001"),
        DemoAccount("worker", "李阿姨", "Worker-pass-2026", phone="13900000001"),
        DemoAccount("worker", "张师傅", "Worker-pass-2026", phone="13900000002"),
        DemoAccount("worker", "陈月嫂", "Worker-pass-2026", phone="13900000003"),
    ]


def seed() -> list[str]:
    """Create what is missing; returns one line per demo account to print."""
    return [seed_account(account) for account in demo_accounts()]


def seed_account(account: DemoAccount) -> str:
    """Create ``account`` unless it exists; the line to print for it."""
    target = target_from(phone=account.phone, email=account.email)
    try:
        create_user(target, account.password, account.name, account.role)
        state = "created"
    except Conflict:
        state = "exists"
    if account.role == "customer":
        _give_a_home(target.kind, target.blind)
    return f"  {account.role:<9} {account.login:<24} {account.password:<20} {account.name} ({state})"


def _give_a_home(kind: str, blind: str) -> None:
    """The demo customer's home address, unless she has addresses already."""
    user_id = str(IdentityItem.get(*IdentityItem.key(kind, blind)).user_id)
    if not list_addresses(user_id):
        create_address(user_id, dict(DEMO_HOME))


def main() -> None:
    from chalicelib.admin.directory import backfill_directory_keys
    from local.seed_catalog import seed_catalog
    from local.seed_workers import seed_workers

    print("Demo accounts (role, login, password):")
    for line in seed():
        print(line)
    if fixed := backfill_directory_keys():
        print(f"Admin user directory: indexed {fixed} earlier accounts")
    services = seed_catalog()
    print(f"Catalog: {len(services)} services")
    print("Demo workers:")
    for line in seed_workers():
        print(line)
    from local.seed_earnings import seed_earnings

    print(seed_earnings(services[0]))


if __name__ == "__main__":
    main()
