"""``make run``'s demo admin: the start-up check of ``ADMIN_EMAIL`` / ``ADMIN_PASSWORD``."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.procs import StartupError
from local.seed import DEFAULT_ADMIN_EMAIL, AdminSettingError, admin_account
from local.stack import LocalStack


def test_defaults_make_an_admin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADMIN_EMAIL", raising=False)
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    account = admin_account()
    assert (account.role, account.email) == ("admin", DEFAULT_ADMIN_EMAIL)


def test_a_special_use_domain_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_EMAIL", "admin@example.test")
    monkeypatch.setenv("ADMIN_PASSWORD", "Strong-pass-2027")
    account = admin_account()
    assert (account.email, account.password) == ("admin@example.test", "Strong-pass-2027")


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("ADMIN_EMAIL", "admin", "ADMIN_EMAIL='admin' is refused"),
        ("ADMIN_EMAIL", "admin@", "ADMIN_EMAIL='admin@' is refused"),
        ("ADMIN_PASSWORD", "short1", "ADMIN_PASSWORD is refused: the password needs 8"),
        (
            "ADMIN_PASSWORD",
            "onlyletters",
            "ADMIN_PASSWORD is refused: the password needs at least one letter",
        ),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(AdminSettingError, match=says.replace("(", r"\(")):
        admin_account()


def test_the_stack_refuses_to_start_before_starting_anything(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ADMIN_EMAIL", "not-an-address")
    stack = LocalStack(tmp_path / "data", api_port=1, ddb_port=2, moto_port=3)
    with pytest.raises(StartupError, match="ADMIN_EMAIL='not-an-address' is refused"):
        stack.start()
    assert not (tmp_path / "data").exists()
