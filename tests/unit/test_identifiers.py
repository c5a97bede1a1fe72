from __future__ import annotations

import pytest

from chalicelib.accounts.identifiers import normalize_email, normalize_phone


@pytest.mark.parametrize(
    "raw",
    ["13812345678", "+8613812345678", "+86 138 1234 5678", "0086-138-1234-5678", "(138)12345678"],
)
def test_mainland_mobiles_normalise_to_e164(raw: str) -> None:
    assert normalize_phone(raw) == "+8613812345678"


def test_foreign_numbers_keep_their_prefix() -> None:
    assert normalize_phone("+852 9123 4567") == "+85291234567"


@pytest.mark.parametrize(
    "raw", ["12812345678", "+8612812345678", "1381234567", "abc", "", "+86", "010-12345678"]
)
def test_invalid_phones_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_phone(raw)


def test_emails_are_lowercased() -> None:
    assert normalize_email("  Zhang.Wei@Example.COM ") == "zhang.wei@example.com"


@pytest.mark.parametrize("raw", ["no-at-sign", "a@", "@b.com", "a b@c.com"])
def test_invalid_emails_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_email(raw)
