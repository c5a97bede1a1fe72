from __future__ import annotations

import pytest

from chalicelib.i18n import message, negotiate
from chalicelib.observability import mask_email, mask_phone, mask_text


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("fr-FR, en;q=0.5", "en"),
        ("en;q=0.2, zh;q=0.8", "zh-CN"),
        ("de", "zh-CN"),
        ("en;q=abc", "zh-CN"),
    ],
)
def test_negotiate(header: str | None, locale: str) -> None:
    assert negotiate(header) == locale


def test_unknown_codes_fall_back_to_a_generic_message() -> None:
    assert message("no_such_code", "en") == "The request is invalid."
    assert message("invalid_credentials", "fr") == "账号或密码错误"


def test_masks() -> None:
    assert mask_phone("+8613812345678") == "138****5678"
    assert mask_email("zhang.wei@example.com") == "z***@example.com"


def test_mask_text_hides_every_kind_of_secret() -> None:
    text = (
        "to +8613812345678 and 13987654321, mail li.na@example.com, code 482913, "
        "jwt eyJhbGciOi.eyJzdWIiOi.sig-nature_x, refresh rt_ses_01ABC.secretpart"
    )
    masked = mask_text(text)
    for secret in ("13812345678", "13987654321", "li.na@", "482913", "eyJzdWIiOi", "secretpart"):
        assert secret not in masked
    assert "138****5678" in masked


def test_mask_text_leaves_times_and_ids_alone() -> None:
    text = "at 2026-11-25T10:00:00.123456+08:00 request req_01M89V3PZB123456"
    assert mask_text(text) == text


def test_mask_text_hides_resident_id_numbers() -> None:
    assert mask_text("id 11010519491231002X here") == "id 1101**********002X here"
