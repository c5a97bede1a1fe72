"""Normalising the identifiers people sign in with, so one person has one spelling of each."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["check_deliverable_email", "normalize_email", "normalize_phone"]

_SEPARATORS = re.compile(r"[\s\-()]")
_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
_E164 = re.compile(r"\+[1-9]\d{6,14}")
# RFC 5321 limits; the local part: no spaces, quotes, angle brackets or a second @-sign.
_MAX_EMAIL = 254
_LOCAL_PART = re.compile(r"[^\s@\"<>()\[\],;:\\]{1,64}")
_DOMAIN = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*", re.I
)


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
    """The one spelling of an address, for its key and every look-up: syntax and case only.

    Deliverability rules do not belong here: an address the platform itself created (a seeded
    admin on ``example.test``, say) must always find its account again. Ordinary addresses come
    out as email-validator's normalised form, lower-cased, so keys written before are still found.
    Raises ``ValueError`` for what is not an address at all.
    """
    import idna

    value = unicodedata.normalize("NFC", raw.strip())
    local, at, domain = value.rpartition("@")
    if not at or not _LOCAL_PART.fullmatch(local):
        raise ValueError("not an e-mail address: the part before the @-sign is missing or invalid")
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise ValueError("not an e-mail address: the part after the @-sign is invalid") from error
    if len(value) > _MAX_EMAIL or not _DOMAIN.fullmatch(ascii_domain):
        raise ValueError("not an e-mail address: the part after the @-sign is invalid")
    unicode_domain = idna.decode(ascii_domain) if "xn--" in ascii_domain else ascii_domain
    return f"{local}@{unicode_domain}".lower()


def check_deliverable_email(address: str) -> None:
    """Refuse an address mail cannot reach (special-use or reserved domains such as ``.test``).

    For addresses a client offers for a new account: the platform is about to send them a code.
    Raises ``ValueError`` with email-validator's explanation.
    """
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(str(error)) from error
