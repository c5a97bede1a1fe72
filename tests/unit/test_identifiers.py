from __future__ import annotations

import pytest

from chalicelib.accounts.identifiers import check_deliverable_email, normalize_email, normalize_phone


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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Admin@Example.TEST", "admin@example.test"),
        ("ops@jiazheng.local", "ops@jiazheng.local"),
        ("A@XN--MNCHEN-3YA.DE", "a@münchen.de"),
        ("用户@例子.广告", "用户@例子.广告"),
    ],
)
def test_emails_normalise_without_deliverability_rules(raw: str, expected: str) -> None:
    """A special-use domain is still an address: sign-in must find what the platform created."""
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["Zhang.Wei@Example.COM", " a+b@jiazheng.example ", "a@münchen.de", "用户@例子.广告"]
)
def test_normalising_keeps_the_keys_written_before(raw: str) -> None:
    """Accounts created with email-validator's normal form keep their blind index."""
    from email_validator import validate_email

    old = validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    assert normalize_email(raw) == old


@pytest.mark.parametrize(
    "raw", ["a@b..com", "a@-b.com", "a@b_c.com", "x" * 65 + "@b.com", "a@" + "b" * 250 + ".com"]
)
def test_malformed_domains_and_lengths_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_email(raw)


@pytest.mark.parametrize("address", ["admin@example.test", "x@foo.local", "a@b.invalid"])
def test_new_accounts_need_a_deliverable_address(address: str) -> None:
    with pytest.raises(ValueError, match="special-use or reserved"):
        check_deliverable_email(address)


def test_an_ordinary_address_is_deliverable() -> None:
    check_deliverable_email("zhang.wei@example.com")
