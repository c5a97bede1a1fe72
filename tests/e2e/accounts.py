"""Helpers for the accounts end-to-end tests: unique identifiers, codes from the outbox, sign-up.

Everything goes over HTTP exactly as a client would: a code is requested with
``POST /v1/auth/codes`` and read back from the local stage's ``GET /v1/dev/outbox`` once the
event runner has delivered the queued SMS or e-mail.
"""

from __future__ import annotations

import itertools
import random
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import httpx

from local.stack import REPO_ROOT

if TYPE_CHECKING:
    from local.stack import LocalStack

__all__ = [
    "PASSWORD",
    "Account",
    "admin_cli",
    "bearer",
    "clock_restored",
    "error_code",
    "login",
    "new_admin",
    "read_code",
    "register",
    "request_code",
    "unique_email",
    "unique_phone",
]

PASSWORD = "secret123"
OUTBOX_TIMEOUT_SECONDS = 10.0
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
# Mainland mobiles 1[3-9]xxxxxxxxx; a random start keeps two sessions on one table apart too.
_PHONE_NUMBERS = itertools.count(random.randrange(10_000_000, 90_000_000))

Channel = Literal["sms", "email"]
Purpose = Literal["register", "login", "reset_password"]


@dataclass(frozen=True)
class Account:
    """A signed-up user and the tokens of its first session."""

    user_id: str
    role: str
    phone: str | None
    email: str | None
    password: str
    access_token: str
    refresh_token: str

    @property
    def identifier(self) -> dict[str, str]:
        """``{"phone": ...}`` or ``{"email": ...}``, as the sign-in routes take it."""
        return {"phone": self.phone} if self.phone else {"email": self.email or ""}

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)


def unique_phone() -> str:
    """A mainland mobile number no other test of this session uses (without +86)."""
    return f"139{next(_PHONE_NUMBERS):08d}"


def unique_email(tag: str = "user") -> str:
    return f"{tag}.{uuid.uuid4().hex[:12]}@example.com"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_code(response: httpx.Response) -> str | None:
    """The contract's ``error.code`` of an error response (None when the body is not one)."""
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


def _outbox(http: httpx.Client, target: str) -> list[dict[str, Any]]:
    response = http.get("/v1/dev/outbox", params={"target": target, "limit": 100})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def read_code(
    http: httpx.Client, target: str, *, seen: int = 0, timeout: float = OUTBOX_TIMEOUT_SECONDS
) -> str:
    """The 6-digit code of the newest message to ``target``, once more than ``seen`` arrived."""
    deadline = time.monotonic() + timeout
    while True:
        items = _outbox(http, target)
        if len(items) > seen:
            match = _CODE.search(items[0]["body"])
            assert match, f"no 6-digit code in the newest message to {target}: {items[0]}"
            return match.group(1)
        assert time.monotonic() < deadline, f"no message reached the outbox of {target} in {timeout} s"
        time.sleep(0.1)


def request_code(http: httpx.Client, target: str, purpose: Purpose = "register") -> str:
    """Ask for a code by SMS (a phone) or e-mail (an address) and read it from the outbox."""
    channel: Channel = "email" if "@" in target else "sms"
    seen = len(_outbox(http, target))
    response = http.post("/v1/auth/codes", json={"channel": channel, "target": target, "purpose": purpose})
    assert response.status_code == 202, response.text
    assert response.json()["expires_in"] > 0
    return read_code(http, target, seen=seen)


def _account(body: dict[str, Any], password: str) -> Account:
    user = body["user"]
    return Account(
        user_id=user["user_id"],
        role=user["role"],
        phone=user["phone"],
        email=user["email"],
        password=password,
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
    )


def register(
    http: httpx.Client,
    *,
    phone: str | None = None,
    email: str | None = None,
    role: Literal["customer", "worker"] = "customer",
    name: str = "王女士",
    password: str = PASSWORD,
) -> Account:
    """Sign up with a code read from the outbox (a fresh phone number unless one is given)."""
    if phone is None and email is None:
        phone = unique_phone()
    target = phone or email or ""
    code = request_code(http, target, "register")
    identifier = {"phone": phone} if phone else {"email": email}
    response = http.post(
        "/v1/auth/register",
        json={**identifier, "code": code, "password": password, "name": name, "role": role},
    )
    assert response.status_code == 201, response.text
    return _account(response.json(), password)


def login(http: httpx.Client, password: str = PASSWORD, **identifier: str) -> Account:
    """Sign in with ``phone=`` or ``email=`` and a password; asserts the 200."""
    response = http.post("/v1/auth/login", json={**identifier, "password": password})
    assert response.status_code == 200, response.text
    return _account(response.json(), password)


@contextmanager
def clock_restored(stack: LocalStack) -> Iterator[None]:
    """Put the stack's clock offset back afterwards: the session's other tests expect real time.

    ``POST /v1/dev/clock`` only moves forward, and ``test_local_stack`` sets absolute offsets
    of an hour or more and expects "now + 1 h" to be due after them, so an offset left behind
    here would leak into it. The offset lives in one small file the API and runner both read.
    """
    clock_file = Path(stack.env["LOCAL_CLOCK_FILE"])
    before = clock_file.read_text(encoding="utf-8") if clock_file.exists() else None
    try:
        yield
    finally:
        if before is None:
            clock_file.unlink(missing_ok=True)
        else:
            restoring = clock_file.with_suffix(".restore")
            restoring.write_text(before, encoding="utf-8")
            restoring.replace(clock_file)


def admin_cli(stack: LocalStack, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m chalicelib.admin_cli`` as an operator would, against the stack's AWS."""
    return subprocess.run(
        [sys.executable, "-m", "chalicelib.admin_cli", *args],
        cwd=REPO_ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def new_admin(stack: LocalStack, http: httpx.Client, name: str = "管理员") -> Account:
    """An admin made with the CLI (admins never self-register), signed in."""
    email, password = unique_email("admin"), "Admin-pass-2026"
    created = admin_cli(
        stack, "create-user", "--role", "admin", "--email", email, "--name", name, "--password", password
    )
    assert created.returncode == 0, created.stderr
    return login(http, password, email=email)
