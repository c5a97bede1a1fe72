from __future__ import annotations

from tests.integration.conftest import Http, deliver_notifications


def test_health_and_openapi(http: Http) -> None:
    assert http.call("GET", "/v1/health").json == {"status": "ok"}
    doc = http.call("GET", "/v1/openapi.json").json
    assert "/v1/auth/register" in doc["paths"]


def test_register_flow(http: Http, aws: dict[str, str], api) -> None:
    sent = http.call(
        "POST", "/v1/auth/codes", {"channel": "sms", "target": "13812345678", "purpose": "register"}
    )
    assert sent.status_code == 202, sent.json
    outbox = deliver_notifications(api, aws)
    code = outbox[0]["body"].split("验证码是 ")[1][:6]
    reg = http.call(
        "POST",
        "/v1/auth/register",
        {"phone": "13812345678", "code": code, "password": "secret123", "name": "张三", "role": "customer"},
    )
    assert reg.status_code == 201, reg.json
    me = http.call("GET", "/v1/me", token=reg.json["access_token"])
    assert me.json["phone"] == "+8613812345678"
