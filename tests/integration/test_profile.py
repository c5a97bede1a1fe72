"""Profile, emergency contact, addresses (one default) and the inbox."""

from __future__ import annotations

from chalice.test import Client

from tests.integration.conftest import Http
from tests.integration.helpers import register

HOME = {
    "label": "家",
    "contact_name": "王女士",
    "contact_phone": "13800001111",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "世纪大道 100 号 2 栋 801",
    "lat": 31.2304,
    "lng": 121.4737,
}


def test_profile_and_emergency_contact(http: Http, api: Client, aws: dict[str, str]) -> None:
    token = register(http, api, aws, phone="13844445555", name="王女士")["access_token"]
    patched = http.call(
        "PATCH",
        "/v1/me",
        {
            "name": "王丽",
            "avatar_url": "https://cdn.example.com/a.png",
            "emergency_contact": {"name": "王先生", "phone": "139 0000 2222", "relation": "配偶"},
        },
        token=token,
    )
    assert patched.status_code == 200, patched.json
    me = http.call("GET", "/v1/me", token=token).json
    assert me["name"] == "王丽"
    assert me["avatar_url"] == "https://cdn.example.com/a.png"
    assert me["emergency_contact"] == {"name": "王先生", "phone": "+8613900002222", "relation": "配偶"}
    assert set(me) >= {"user_id", "role", "name", "phone", "email", "avatar_url", "emergency_contact"}
    cleared = http.call("PATCH", "/v1/me", {"emergency_contact": None}, token=token)
    assert cleared.json["emergency_contact"] is None
    assert cleared.json["name"] == "王丽"


def test_profile_validation(http: Http, api: Client, aws: dict[str, str]) -> None:
    token = register(http, api, aws, phone="13844445555")["access_token"]
    bad = http.call(
        "PATCH", "/v1/me", {"emergency_contact": {"name": "x", "phone": "12", "relation": "友"}}, token=token
    )
    assert bad.status_code == 422
    assert bad.json["error"]["details"][0]["field"] == "emergency_contact.phone"
    assert http.call("PATCH", "/v1/me", {"role": "admin"}, token=token).status_code == 422
    assert http.call("PATCH", "/v1/me", {"avatar_url": "not a url"}, token=token).status_code == 422
    assert http.call("PATCH", "/v1/me", {"name": ""}, token=token).status_code == 422


def test_addresses_keep_exactly_one_default(http: Http, api: Client, aws: dict[str, str]) -> None:
    token = register(http, api, aws, phone="13844445555")["access_token"]
    first = http.call("POST", "/v1/me/addresses", HOME, token=token)
    assert first.status_code == 201
    assert first.json["is_default"] is True
    assert first.json["contact_phone"] == "+8613800001111"
    second = http.call("POST", "/v1/me/addresses", {**HOME, "label": "父母家"}, token=token).json
    assert second["is_default"] is False
    moved = http.call("PATCH", f"/v1/me/addresses/{second['address_id']}", {"is_default": True}, token=token)
    assert moved.json["is_default"] is True
    listed = http.call("GET", "/v1/me/addresses", token=token).json
    assert [a["is_default"] for a in listed["items"]] == [True, False]
    assert listed["items"][0]["address_id"] == second["address_id"]
    assert listed["next_cursor"] is None
    # Deleting the default hands it to the remaining address.
    assert http.call("DELETE", f"/v1/me/addresses/{second['address_id']}", token=token).status_code == 204
    remaining = http.call("GET", "/v1/me/addresses", token=token).json["items"]
    assert [(a["address_id"], a["is_default"]) for a in remaining] == [(first.json["address_id"], True)]
    edited = http.call(
        "PATCH", f"/v1/me/addresses/{first.json['address_id']}", {"detail": "新地址 1 号"}, token=token
    ).json
    assert edited["detail"] == "新地址 1 号"
    assert edited["is_default"] is True


def test_addresses_of_others_are_404(http: Http, api: Client, aws: dict[str, str]) -> None:
    owner = register(http, api, aws, phone="13844445555")["access_token"]
    other = register(http, api, aws, phone="13844446666")["access_token"]
    address = http.call("POST", "/v1/me/addresses", HOME, token=owner).json
    path = f"/v1/me/addresses/{address['address_id']}"
    assert http.call("PATCH", path, {"detail": "x"}, token=other).status_code == 404
    assert http.call("DELETE", path, token=other).status_code == 404
    assert http.call("GET", "/v1/me/addresses", token=other).json["items"] == []
    assert http.call("DELETE", path, token=owner).status_code == 204
    assert http.call("DELETE", path, token=owner).status_code == 404


def test_address_cap(http: Http, api: Client, aws: dict[str, str]) -> None:
    token = register(http, api, aws, phone="13844445555")["access_token"]
    for _ in range(20):
        assert http.call("POST", "/v1/me/addresses", HOME, token=token).status_code == 201
    refused = http.call("POST", "/v1/me/addresses", HOME, token=token)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "too_many_addresses"


def test_address_validation(http: Http, api: Client, aws: dict[str, str]) -> None:
    token = register(http, api, aws, phone="13844445555")["access_token"]
    bad = http.call("POST", "/v1/me/addresses", {**HOME, "lat": 200, "contact_phone": "1"}, token=token)
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json["error"]["details"]} == {"lat", "contact_phone"}
    missing = http.call("POST", "/v1/me/addresses", {"city": "上海市"}, token=token)
    assert {d["field"] for d in missing.json["error"]["details"]} == {
        "contact_name",
        "contact_phone",
        "district",
        "detail",
    }


def test_inbox_newest_first_and_private(http: Http, api: Client, aws: dict[str, str]) -> None:
    from chalicelib.accounts.inbox import post_to_inbox

    owner = register(http, api, aws, phone="13844445555")
    other = register(http, api, aws, phone="13844446666")
    user_id = owner["user"]["user_id"]
    for index in range(25):
        post_to_inbox(user_id, "order.progress", f"进度 {index}", "阿姨已出发", order_id="ord_1")
    first = http.call("GET", "/v1/me/notifications?limit=20", token=owner["access_token"]).json
    assert len(first["items"]) == 20
    assert first["items"][0]["title"] == "进度 24"
    second = http.call(
        "GET", f"/v1/me/notifications?cursor={first['next_cursor']}", token=owner["access_token"]
    ).json
    assert [item["title"] for item in second["items"]] == [f"进度 {i}" for i in range(4, -1, -1)]
    newest = first["items"][0]["notification_id"]
    assert (
        http.call("POST", f"/v1/me/notifications/{newest}/read", token=other["access_token"]).status_code
        == 404
    )
    assert (
        http.call("POST", f"/v1/me/notifications/{newest}/read", token=owner["access_token"]).status_code
        == 204
    )
    unread = http.call("GET", "/v1/me/notifications?unread=true&limit=100", token=owner["access_token"]).json
    assert newest not in [item["notification_id"] for item in unread["items"]]
    assert len(unread["items"]) == 24
    # Another user's cursor does not open this inbox.
    stolen = http.call(
        "GET", f"/v1/me/notifications?cursor={first['next_cursor']}", token=other["access_token"]
    )
    assert stolen.status_code == 422
    assert http.call("GET", "/v1/me/notifications?limit=0", token=owner["access_token"]).status_code == 422


def test_required_address_fields_cannot_be_cleared(http: Http, api: Client, aws: dict[str, str]) -> None:
    token = register(http, api, aws, phone="13844445555")["access_token"]
    address = http.call("POST", "/v1/me/addresses", HOME, token=token).json
    path = f"/v1/me/addresses/{address['address_id']}"
    for name in ("contact_name", "contact_phone", "city", "district", "detail", "is_default"):
        refused = http.call("PATCH", path, {name: None}, token=token)
        assert refused.status_code == 422, name
        assert refused.json["error"]["details"][0]["field"] == name
    cleared = http.call("PATCH", path, {"label": None, "lat": None, "lng": None}, token=token)
    assert cleared.status_code == 200
    assert (cleared.json["label"], cleared.json["lat"], cleared.json["lng"]) == (None, None, None)
    assert http.call("GET", "/v1/me/addresses", token=token).status_code == 200


def test_coordinates_are_rounded_to_what_dynamodb_can_store(
    http: Http, api: Client, aws: dict[str, str]
) -> None:
    token = register(http, api, aws, phone="13844445555")["access_token"]
    created = http.call(
        "POST", "/v1/me/addresses", {**HOME, "lat": 1e-200, "lng": 121.123456789}, token=token
    )
    assert created.status_code == 201
    assert (created.json["lat"], created.json["lng"]) == (0.0, 121.1234568)
