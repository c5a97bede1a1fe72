"""GB 11643 resident ID numbers: checksum, structure, age, normalisation and masking."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.workers.id_number import IdNumberError, check_digit, mask_id_number, parse_id_number

TODAY = date(2027, 1, 20)


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # the example printed in GB 11643-1999 (check character X)
        "310115198503121234",
        "110101199003074477",
    ],
)
def test_valid_numbers_parse(number: str) -> None:
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.value == number
    assert parsed.birth_date == date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def test_check_digit_is_iso_7064_mod_11_2() -> None:
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44052418800101001") == "4"
    # Every single-digit typo in the body changes the check character.
    body = "31011519850312123"
    for position in range(17):
        for digit in "0123456789":
            if digit != body[position]:
                typo = body[:position] + digit + body[position + 1 :]
                assert check_digit(typo) != check_digit(body)


def test_normalises_spaces_and_lower_case_x() -> None:
    assert parse_id_number(" 110105 19491231 002x ", today=TODAY).value == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("310115198503121235", "invalid_checksum"),
        ("11010519491231002Y", "invalid_characters"),
        ("1101051949123100X2", "invalid_characters"),
        ("31011519850312123", "invalid_length"),
        ("3101151985031212345", "invalid_length"),
        ("", "invalid_length"),
        ("990115198503121234", "invalid_region"),
        ("000000198503121234", "invalid_region"),
        ("310000198503121234", "invalid_region"),
        ("310115198502301234", "invalid_birth_date"),  # 30 February
        ("310115190002291234", "invalid_birth_date"),  # 1900 was not a leap year
        ("310115189912311234", "invalid_birth_date"),  # before 1900
        ("440524188001010014", "invalid_birth_date"),  # a valid checksum, but born in 1880
        ("310115202801011234", "invalid_birth_date"),  # in the future
    ],
)
def test_refusals_say_which_rule(number: str, code: str) -> None:
    with pytest.raises(IdNumberError) as refused:
        parse_id_number(number, today=TODAY)
    assert refused.value.code == code
    assert not number or number not in refused.value.message  # messages never echo the number


def _with_check(first17: str) -> str:
    return first17 + check_digit(first17)


def test_birth_date_rules_use_valid_checksums_too() -> None:
    """The date rules hold for numbers whose checksum is right, not only for typos."""
    leap_day = _with_check("31011520000229123")
    assert parse_id_number(leap_day, today=TODAY).birth_date == date(2000, 2, 29)
    with pytest.raises(IdNumberError) as refused:
        parse_id_number(_with_check("31011519990229123"), today=TODAY)
    assert refused.value.code == "invalid_birth_date"


def test_workers_must_be_adults() -> None:
    turns_18_today = _with_check("31011520090120123")
    turns_18_tomorrow = _with_check("31011520090121123")
    assert parse_id_number(turns_18_today, today=TODAY).birth_date == date(2009, 1, 20)
    with pytest.raises(IdNumberError) as refused:
        parse_id_number(turns_18_tomorrow, today=TODAY)
    assert refused.value.code == "too_young"
    assert parse_id_number(turns_18_tomorrow, today=TODAY, min_age=16).value == turns_18_tomorrow


def test_mask_keeps_four_and_four() -> None:
    assert mask_id_number("110101199003071234") == "1101**********1234"
    assert mask_id_number("11010519491231002X") == "1101**********002X"
