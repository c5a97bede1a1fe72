"""Third-party sign-in: id_tokens verified against a JWKS served over real HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
from chalice.test import Client
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from chalicelib import config
from chalicelib.accounts import oidc
from tests.integration.conftest import Http

ISSUER = "https://id.wechat.example"
AUDIENCE = "jiazheng-app"


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch, aws: dict[str, str]) -> Iterator[Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    public.update({"kid": "k1", "use": "sig", "alg": "RS256"})
    body = json.dumps({"keys": [public]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    jwks_uri = f"http://127.0.0.1:{server.server_port}/jwks.json"
    monkeypatch.setenv(
        "OIDC_PROVIDERS",
        json.dumps({"wechat": {"issuer": ISSUER, "audience": AUDIENCE, "jwks_uri": jwks_uri}}),
    )
    config.settings.cache_clear()
    oidc._keys.cache_clear()
    yield key
    server.shutdown()
    config.settings.cache_clear()


def _token(key: Any, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "wx-user-1",
        "iat": now,
        "exp": now + 300,
        "name": "微信用户",
    }
    claims.update(overrides)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def _login(http: Http, token: str, provider_name: str = "wechat") -> Any:
    return http.call("POST", f"/v1/auth/oauth/{provider_name}", {"id_token": token})


def test_first_sign_in_creates_a_customer_and_the_next_finds_it(
    http: Http, api: Client, provider: Any
) -> None:
    first = _login(http, _token(provider))
    assert first.status_code == 200, first.json
    assert first.json["user"]["role"] == "customer"
    assert first.json["user"]["name"] == "微信用户"
    again = _login(http, _token(provider))
    assert again.json["user"]["user_id"] == first.json["user"]["user_id"]
    other = _login(http, _token(provider, sub="wx-user-2"))
    assert other.json["user"]["user_id"] != first.json["user"]["user_id"]
    assert http.call("GET", "/v1/me", token=first.json["access_token"]).status_code == 200


def test_bad_id_tokens_are_401(http: Http, api: Client, provider: Any) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    for token in (
        _token(provider, aud="someone-else"),
        _token(provider, iss="https://evil.example"),
        _token(provider, exp=now - 600),
        _token(stranger),
        _token(provider)[:-4] + "AAAA",
        "a.b.c-not-a-token",
    ):
        answer = _login(http, token)
        assert answer.status_code == 401, token
        assert answer.json["error"]["code"] == "invalid_id_token"


def test_unknown_provider_is_404(http: Http, api: Client, provider: Any) -> None:
    answer = _login(http, _token(provider), provider_name="myspace")
    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "unknown_provider"
