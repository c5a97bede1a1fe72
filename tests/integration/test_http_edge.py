"""The HTTP edge: malformed input, languages, roles, request ids, and what reaches the logs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice import Chalice
from chalice.test import Client

from tests.integration.conftest import Http
from tests.integration.helpers import register


def test_malformed_json_is_400(http: Http) -> None:
    answer = http.call("POST", "/v1/auth/login", "{not json")
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "malformed_json"
    assert answer.headers["X-Request-Id"]


def test_validation_errors_name_every_field_in_the_callers_language(http: Http) -> None:
    zh = http.call("POST", "/v1/auth/register", {"phone": "13800000000"})
    assert zh.status_code == 422
    assert zh.json["error"]["message"] == "请求参数校验失败"
    assert {d["field"] for d in zh.json["error"]["details"]} == {"code", "password", "name", "role"}
    en = http.call(
        "POST", "/v1/auth/register", {"phone": "13800000000"}, **{"Accept-Language": "en-US,en;q=0.9"}
    )
    assert en.json["error"]["message"] == "Some fields are invalid."
    assert en.headers["Content-Language"] == "en"


def test_wrong_types_and_unknown_fields_are_422(http: Http) -> None:
    for body in ([], "text", 42, {"channel": "sms", "target": 123, "purpose": "login"}, {"extra": 1}):
        answer = http.call("POST", "/v1/auth/codes", body if not isinstance(body, str) else '"text"')
        assert answer.status_code == 422, body


def test_no_token_is_401(http: Http) -> None:
    for method, path in (("GET", "/v1/me"), ("POST", "/v1/auth/logout"), ("GET", "/v1/me/addresses")):
        answer = http.call(method, path)
        assert answer.status_code == 401
        assert answer.json["error"]["code"] == "unauthorized"


@pytest.fixture
def admin_only(aws: dict[str, str]) -> Iterator[Client]:
    """A throwaway app with one admin-only route, to check the role gate itself."""
    from pydantic import BaseModel

    from chalicelib.web import Api, Request

    class Answer(BaseModel):
        ok: bool

    area = Api("gate-test")

    @area.get("/v1/test/admin-only", roles=("admin",), response=Answer)
    def admin_only_route(request: Request[BaseModel]) -> Answer:
        return Answer(ok=True)

    test_app = Chalice(app_name="gate")
    test_app.register_blueprint(area.blueprint)
    with Client(test_app, stage_name="local") as client:
        yield client


def test_wrong_role_is_403(http: Http, api: Client, aws: dict[str, str], admin_only: Client) -> None:
    customer = register(http, api, aws, phone="13855556666")
    gate = Http(admin_only)
    denied = gate.call("GET", "/v1/test/admin-only", token=customer["access_token"])
    assert denied.status_code == 403
    assert denied.json["error"]["code"] == "forbidden"
    from chalicelib.accounts.targets import target_from
    from chalicelib.accounts.users import create_user

    create_user(target_from(email="root@jiazheng.example"), "Root-pass-1", "root", "admin")
    admin = http.call(
        "POST", "/v1/auth/login", {"email": "root@jiazheng.example", "password": "Root-pass-1"}
    ).json
    assert gate.call("GET", "/v1/test/admin-only", token=admin["access_token"]).json == {"ok": True}


def test_logs_never_show_phone_code_password_or_token(http: Http, api: Client, aws: dict[str, str]) -> None:
    import io
    import logging

    from chalicelib.observability import logger

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        account = register(http, api, aws, phone="13866667777", password="hunter2hunter")
        http.call("POST", "/v1/auth/login", {"phone": "13866667777", "password": "wrong-pass1"})
        http.call("GET", "/v1/me", token=account["access_token"])
        logger.info("careless line", phone="13866667777", token=account["access_token"])
    finally:
        logger.setLevel(logging.WARNING)
        logger.removeHandler(handler)
    logs = stream.getvalue()
    assert "request" in logs
    for secret in ("13866667777", "hunter2hunter", account["access_token"], account["refresh_token"]):
        assert secret not in logs
    assert "138****7777" in logs


def test_openapi_documents_every_route_with_the_error_shape(http: Http) -> None:
    doc = http.call("GET", "/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    expected = {
        ("post", "/v1/auth/codes"),
        ("post", "/v1/auth/register"),
        ("post", "/v1/auth/login"),
        ("post", "/v1/auth/oauth/{provider}"),
        ("post", "/v1/auth/refresh"),
        ("post", "/v1/auth/logout"),
        ("post", "/v1/auth/password/reset"),
        ("get", "/v1/me"),
        ("patch", "/v1/me"),
        ("put", "/v1/me/password"),
        ("get", "/v1/me/addresses"),
        ("post", "/v1/me/addresses"),
        ("patch", "/v1/me/addresses/{address_id}"),
        ("delete", "/v1/me/addresses/{address_id}"),
        ("get", "/v1/me/notifications"),
        ("post", "/v1/me/notifications/{notification_id}/read"),
        ("get", "/v1/health"),
        ("get", "/v1/openapi.json"),
        ("get", "/v1/dev/outbox"),
        ("get", "/v1/dev/clock"),
        ("post", "/v1/dev/clock"),
    }
    present = {(method, path) for path, item in doc["paths"].items() for method in item}
    assert expected <= present
    register_op = doc["paths"]["/v1/auth/register"]["post"]
    assert set(register_op["responses"]) == {"201", "400", "409", "422", "503"}  # 503: an outage
    assert register_op["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorBody"
    )
    assert doc["paths"]["/v1/me"]["get"]["security"] == [{"bearer": []}]
    assert "ErrorBody" in doc["components"]["schemas"]


def test_deeply_nested_json_is_400_not_a_crash(http: Http) -> None:
    answer = http.call("POST", "/v1/auth/login", "[" * 5000 + "]" * 5000)
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "malformed_json"


def test_path_ids_that_cannot_be_ids_are_404(http: Http, api: Client, aws: dict[str, str]) -> None:
    token = register(http, api, aws, phone="13855557777")["access_token"]
    for bad in ("a" * 1100, "中" * 400, "x%20y", "a" * 65):
        answer = http.call("POST", f"/v1/me/notifications/{bad}/read", token=token)
        assert answer.status_code == 404, bad
        assert answer.json["error"]["code"] == "not_found"
