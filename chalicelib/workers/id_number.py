"""Chinese resident identity numbers (GB 11643-1999): validation and masking.

An 18-character number is a 6-digit administrative region code, the 8-digit birth date
(``YYYYMMDD``), a 3-digit sequence number (odd for men, even for women) and a check character:
the ISO 7064 MOD 11-2 checksum of the first 17 digits, ``X`` standing for 10. Checking all of
it catches nearly every typo before a reviewer has to, and tells the worker which part is wrong.

Only the province part of the region code (its first two digits) is checked against the fixed
list of provinces: county codes change every year, and a number keeps its original code for
life, so a current county list would refuse valid numbers.

Pure functions, no I/O. The value is personal data: never log it; store it encrypted
(``chalicelib.kms``) and show it only through :func:`mask_id_number`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["MIN_WORKER_AGE", "IdNumber", "IdNumberError", "check_digit", "mask_id_number", "parse_id_number"]

MIN_WORKER_AGE = 18
"""The platform takes workers from 18: contracts with minors need a guardian's consent."""

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# 11-15 north, 21-23 north-east, 31-37 east, 41-46 south-central, 50-54 south-west,
# 61-65 north-west, 71 Taiwan, 81 Hong Kong, 82 Macao, 83 residence permits of Taiwan residents.
_PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)


class IdNumberError(ValueError):
    """Why a number was refused: ``code`` is machine-readable, the text is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IdNumber:
    """A valid number: ``value`` is normalised (upper-case ``X``, no spaces)."""

    value: str
    birth_date: date


def check_digit(first17: str) -> str:
    """The check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def parse_id_number(raw: str, *, today: date, min_age: int = MIN_WORKER_AGE) -> IdNumber:
    """The normalised number, or :class:`IdNumberError` saying which rule it breaks.

    ``today`` (from the platform clock) bounds the birth date: not in the future, not before
    1900, and the holder at least ``min_age`` years old.
    """
    value = "".join(raw.split()).upper()
    if len(value) != 18:
        raise IdNumberError("invalid_length", "an ID number has 18 characters")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise IdNumberError("invalid_characters", "17 digits followed by a digit or X")
    if int(value[:2]) not in _PROVINCES or value[2:6] == "0000":
        raise IdNumberError("invalid_region", "the first 6 digits are not a region code")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdNumberError("invalid_birth_date", "digits 7-14 are not a valid date") from None
    if born.year < 1900 or born > today:
        raise IdNumberError("invalid_birth_date", "the birth date is out of range")
    if check_digit(value[:17]) != value[17]:
        raise IdNumberError("invalid_checksum", "the check character does not match (typo?)")
    if _age_on(born, today) < min_age:
        raise IdNumberError("too_young", f"workers must be at least {min_age} years old")
    return IdNumber(value=value, birth_date=born)


def mask_id_number(value: str) -> str:
    """``110101199003071234`` -> ``1101**********1234``: enough to recognise, not to reuse."""
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"
