"""Normalising the identifiers people sign in with, so one person has one spelling of each."""

from __future__ import annotations

import re

__all__ = ["normalize_email", "normalize_phone"]

_SEPARATORS = re.compile(r"[\s\-()]")
_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def normalize_phone(raw: str) -> str:
    """E.164: mainland mobiles may be written without ``+86``; others must carry their prefix.

    Raises ``ValueError`` for anything that is not a plausible mobile number.
    """
    value = _SEPARATORS.sub("", raw.strip())
    if value.startswith("0086"):
        value = "+86" + value[4:]
    if _CN_MOBILE.fullmatch(value):
        return "+86" + value
    if value.startswith("+86"):
        if _CN_MOBILE.fullmatch(value[3:]):
            return value
        raise ValueError("not a valid mainland China mobile number")
    if _E164.fullmatch(value):
        return value
    raise ValueError("not a valid phone number")


def normalize_email(raw: str) -> str:
    """Lower-cased and validated (syntax only: no DNS look-up on the request path)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ValueError(str(error)) from error
