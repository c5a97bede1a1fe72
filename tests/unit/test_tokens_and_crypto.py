from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from chalicelib import clock
from chalicelib.accounts.tokens import (
    issue_access_token,
    make_refresh_token,
    read_access_token,
    split_refresh_token,
)
from chalicelib.crypto import blind_index, decrypt, digest, encrypt
from chalicelib.errors import Unauthorized, ValidationFailed
from chalicelib.pagination import decode_cursor, encode_cursor


def test_access_tokens_round_trip_and_expire_by_the_platform_clock() -> None:
    clock.freeze(clock.now())
    try:
        token, lifetime = issue_access_token("usr_1", "worker", "ses_1")
        assert lifetime == 900
        claims = read_access_token(token)
        assert (claims.user_id, claims.role, claims.session_id) == ("usr_1", "worker", "ses_1")
        clock.advance(timedelta(seconds=901))
        with pytest.raises(Unauthorized) as expired:
            read_access_token(token)
        assert expired.value.code == "token_expired"
    finally:
        clock.reset()


def test_tokens_signed_with_another_key_or_algorithm_are_refused() -> None:
    token, _ = issue_access_token("usr_1", "customer", "ses_1")
    claims = jwt.decode(token, options={"verify_signature": False})
    for forged in (
        jwt.encode(claims, "another-key-that-is-long-enough-1234", algorithm="HS256"),
        jwt.encode({**claims, "role": "admin"}, None, algorithm="none"),
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
    ):
        with pytest.raises(Unauthorized):
            read_access_token(forged)


def test_access_tokens_are_standard_hs256_jwts() -> None:
    """Written out by hand, still a JWT any library reads, and a library's HS256 token is read."""
    from chalicelib.secrets import app_secrets

    key = app_secrets().token_signing_key
    token, _ = issue_access_token("usr_1", "customer", "ses_1")
    decoded = jwt.decode(token, key, algorithms=["HS256"], audience="jiazheng-api", issuer="jiazheng")
    assert (decoded["sub"], decoded["role"], decoded["sid"]) == ("usr_1", "customer", "ses_1")
    assert decoded["exp"] - decoded["iat"] == 900
    by_library = jwt.encode({**decoded, "sub": "usr_2"}, key, algorithm="HS256")
    assert read_access_token(by_library).user_id == "usr_2"


@pytest.mark.parametrize(
    "change",
    [
        {"iss": "someone"},
        {"aud": "another-api"},
        {"iat": None},
        {"sid": None},
        {"role": None},
        {"exp": "soon"},
    ],
)
def test_a_correctly_signed_token_without_our_claims_is_refused(change: dict[str, object]) -> None:
    from chalicelib.secrets import app_secrets

    key = app_secrets().token_signing_key
    token, _ = issue_access_token("usr_1", "customer", "ses_1")
    claims = {**jwt.decode(token, options={"verify_signature": False}), **change}
    forged = jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="HS256")
    with pytest.raises(Unauthorized):
        read_access_token(forged)


@pytest.mark.parametrize("shape", ["", ".", "..", "a.b", "a.b.c.d", "ü.ü.ü", "\udc80.x.y"])
def test_malformed_tokens_are_refused(shape: str) -> None:
    token, _ = issue_access_token("usr_1", "customer", "ses_1")
    header = token.split(".")[0]
    for candidate in (shape, f"{header}.{shape}", f"{token}{shape}" if shape else token[:-1]):
        with pytest.raises(Unauthorized):
            read_access_token(candidate)


def test_refresh_token_shape() -> None:
    token, secret = make_refresh_token("ses_1")
    assert token.startswith("rt_ses_1.")
    assert split_refresh_token(token) == ("ses_1", secret)
    for bad in ("ses_1.x", "rt_", "rt_ses_1", "rt_.x"):
        with pytest.raises(Unauthorized):
            split_refresh_token(bad)


def test_field_encryption_is_bound_to_its_context() -> None:
    sealed = encrypt("+8613812345678", context="user:usr_1:phone")
    assert "13812345678" not in sealed
    assert decrypt(sealed, context="user:usr_1:phone") == "+8613812345678"
    assert encrypt("+8613812345678", context="user:usr_1:phone") != sealed
    from cryptography.exceptions import InvalidTag

    with pytest.raises(InvalidTag):
        decrypt(sealed, context="user:usr_2:phone")


def test_blind_indexes_and_digests_are_stable_and_keyed() -> None:
    assert blind_index("phone", "+8613812345678") == blind_index("phone", "+8613812345678")
    assert blind_index("phone", "+8613812345678") != blind_index("email", "+8613812345678")
    assert "13812345678" not in blind_index("phone", "+8613812345678")
    assert digest("123456") != digest("123457")


def test_cursors_are_signed_and_scoped() -> None:
    key = {"pk": {"S": "USER#1"}, "sk": {"S": "NOTIF#2"}}
    cursor = encode_cursor("inbox:usr_1", key)
    assert cursor is not None
    assert decode_cursor("inbox:usr_1", cursor) == key
    assert encode_cursor("inbox:usr_1", None) is None
    assert decode_cursor("inbox:usr_1", None) is None
    for bad_scope, bad_cursor in (
        ("inbox:usr_2", cursor),
        ("inbox:usr_1", cursor[:-1] + "0"),
        ("inbox:usr_1", "%%%"),
    ):
        with pytest.raises(ValidationFailed):
            decode_cursor(bad_scope, bad_cursor)
