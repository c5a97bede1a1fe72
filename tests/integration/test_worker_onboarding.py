"""Worker onboarding over the API: profile with an encrypted ID number, certificate uploads, submit."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError
from chalice.test import Client

from chalicelib import kms, uploads
from chalicelib.config import settings
from chalicelib.geo import encode_geohash
from chalicelib.models.workers import CertificateItem, WorkerProfileItem
from tests.integration.conftest import Http
from tests.integration.helpers import register
from tests.integration.worker_steps import (
    ID_JINGAN,
    ID_PUDONG,
    PDF,
    account,
    new_certificate,
    profile_body,
    upload,
)

pytestmark = pytest.mark.usefixtures("aws")


def _profile_item(worker_id: str) -> WorkerProfileItem:
    return WorkerProfileItem.get(*WorkerProfileItem.key(worker_id), consistent_read=True)


def _raw_item(worker_id: str) -> str:
    """The stored profile exactly as DynamoDB holds it, as text."""
    pk, sk = WorkerProfileItem.key(worker_id)
    found = boto3.client("dynamodb").get_item(
        TableName=settings().table_name, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
    )
    return json.dumps(found["Item"], ensure_ascii=False)


def _field_errors(response: Any) -> dict[str, str]:
    details = response.json["error"]["details"]
    return {detail["field"]: detail["code"] for detail in details}


def test_worker_signs_up_and_sees_an_empty_draft(http: Http, api: Client, aws: dict[str, str]) -> None:
    token = register(http, api, aws, email="ayi@example.com", role="worker", name="李阿姨")["access_token"]
    draft = http.call("GET", "/v1/worker/profile", token=token)
    assert draft.status_code == 200
    assert draft.json["status"] == "draft"
    assert draft.json["name"] == "李阿姨"
    assert draft.json["id_number"] is None
    assert draft.json["certificates"] == []
    assert draft.json["level"] == "junior"
    assert draft.json["level_name"] == "初级"


def test_profile_is_saved_with_the_id_number_encrypted_and_masked(
    http: Http, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="jiazheng")
    worker_id, token = account("worker", phone="13911110001")
    saved = http.call("PUT", "/v1/worker/profile", profile_body(), token=token, **{"Accept-Language": "en"})
    assert saved.status_code == 200, saved.json
    body = saved.json
    assert body["id_number"] == "3101**********1234"
    assert ID_PUDONG not in json.dumps(body)
    assert body["status"] == "draft"
    assert body["skills"] == ["cleaning", "nanny"]
    assert body["service_areas"][0] == {"city": "上海市", "district": "浦东新区"}
    assert body["home_location"] == {"lat": 31.2222, "lng": 121.5444}
    assert (body["level"], body["level_name"]) == ("junior", "Junior")  # no verified certificate yet

    item = _profile_item(worker_id)
    assert item.id_number_masked == "3101**********1234"
    assert item.home_geohash == encode_geohash(31.2222, 121.5444, 7)
    assert (item.gsi2pk, item.gsi2sk) == ("WORKERS#draft", f"{item.created_at}#{worker_id}")
    # Stored only as KMS ciphertext bound to this worker: nowhere in the item in clear.
    assert ID_PUDONG not in _raw_item(worker_id)
    blob = base64.b64decode(item.id_number_enc)
    plain = boto3.client("kms").decrypt(CiphertextBlob=blob, EncryptionContext={"worker_id": worker_id})
    assert plain["Plaintext"].decode() == ID_PUDONG
    assert kms.decrypt(item.id_number_enc, context={"worker_id": worker_id}) == ID_PUDONG
    with pytest.raises(ClientError, match="InvalidCiphertext"):
        kms.decrypt(item.id_number_enc, context={"worker_id": "usr_someone_else"})

    again = http.call("GET", "/v1/worker/profile", token=token).json
    assert again["id_number"] == "3101**********1234"
    assert again["real_name"] == "李秀英"
    # Never logged either, not even in the request log lines (which are there).
    logged = [json.dumps(record.__dict__, default=str, ensure_ascii=False) for record in caplog.records]
    assert any('"request"' in line for line in logged)
    assert not [line for line in logged if ID_PUDONG in line]


def test_put_replaces_the_profile_but_keeps_the_id_number_when_left_out(http: Http) -> None:
    worker_id, token = account("worker", phone="13911110002")
    http.call("PUT", "/v1/worker/profile", profile_body(), token=token)
    before = _profile_item(worker_id).id_number_enc
    body = profile_body(bio=None, skills=["cleaning"])
    del body["id_number"]
    saved = http.call("PUT", "/v1/worker/profile", body, token=token).json
    assert saved["id_number"] == "3101**********1234"
    assert saved["bio"] is None
    assert saved["skills"] == ["cleaning"]
    assert _profile_item(worker_id).id_number_enc == before


def test_invalid_id_numbers_are_422_naming_the_field(http: Http) -> None:
    _, token = account("worker", phone="13911110003")
    cases = {
        "310115198503121235": "invalid_checksum",
        "31011519850312123": "invalid_length",
        "31011519850332123X": "invalid_birth_date",
        "990115198503121234": "invalid_region",
        "3101151985031212A4": "invalid_characters",
        "310115201601011236": "too_young",
    }
    for number, code in cases.items():
        refused = http.call("PUT", "/v1/worker/profile", profile_body(id_number=number), token=token)
        assert refused.status_code == 422, number
        assert _field_errors(refused) == {"id_number": code}
        assert number not in json.dumps(refused.json)
    # A lower-case x and spaces are accepted and normalised.
    spaced = http.call(
        "PUT", "/v1/worker/profile", profile_body(id_number="110105 19491231 002x"), token=token
    )
    assert spaced.status_code == 200, spaced.json
    assert spaced.json["id_number"] == "1101**********002X"


def test_other_fields_are_validated_together(http: Http) -> None:
    _, token = account("worker", phone="13911110004")
    bad = profile_body(
        skills=["cleaning", "dog_walking"],
        experience_years=-1,
        home_location={"lat": 95, "lng": 121.5},
        service_areas=[
            {"city": "上海市", "district": "浦东新区"},
            {"city": "上海市", "district": "浦东新区"},
        ],
    )
    refused = http.call("PUT", "/v1/worker/profile", bad, token=token)
    assert refused.status_code == 422
    assert _field_errors(refused) == {
        "skills": "unknown_category",
        "experience_years": "greater_than_equal",
        "home_location.lat": "less_than_equal",
        "service_areas": "duplicate_area",
    }
    assert http.call("PUT", "/v1/worker/profile", {"role": "admin"}, token=token).status_code == 422


def test_one_id_number_one_worker_account(http: Http) -> None:
    _, first = account("worker", phone="13911110005")
    _, second = account("worker", phone="13911110006")
    assert http.call("PUT", "/v1/worker/profile", profile_body(), token=first).status_code == 200
    taken = http.call("PUT", "/v1/worker/profile", profile_body(), token=second)
    assert taken.status_code == 409
    assert taken.json["error"]["code"] == "id_number_in_use"
    # The first worker moves to another number: the old one is free again.
    assert (
        http.call("PUT", "/v1/worker/profile", profile_body(id_number=ID_JINGAN), token=first).status_code
        == 200
    )
    assert http.call("PUT", "/v1/worker/profile", profile_body(), token=second).status_code == 200


def test_certificate_upload_is_presigned_for_the_declared_file(http: Http) -> None:
    worker_id, token = account("worker", phone="13911110007")
    missing = http.call(
        "POST",
        "/v1/worker/certificates",
        {
            "kind": "health_certificate",
            "file_name": "a.pdf",
            "content_type": "application/pdf",
            "size_bytes": 10,
        },
        token=token,
    )
    assert missing.status_code == 409
    assert missing.json["error"]["code"] == "worker_profile_missing"
    http.call("PUT", "/v1/worker/profile", profile_body(), token=token)

    slot = new_certificate(http, token).json
    certificate_id = slot["certificate_id"]
    url = urlsplit(slot["upload_url"])
    query = parse_qs(url.query)
    bucket = settings().buckets["uploads"]
    assert bucket in url.netloc + url.path
    assert url.path.endswith(f"workers/{worker_id}/certificates/{certificate_id}/file.pdf")
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert set(query["X-Amz-SignedHeaders"][0].split(";")) >= {"content-length", "content-type", "host"}
    assert int(query["X-Amz-Expires"][0]) == slot["expires_in"] == 900
    assert slot["headers_to_send"] == {"Content-Type": "application/pdf", "Content-Length": str(len(PDF))}
    assert slot["method"] == "PUT"
    assert slot["certificate"]["status"] == "awaiting_upload"
    assert slot["certificate"]["kind_name"] == "家政服务员证"

    item = CertificateItem.get(*CertificateItem.key(worker_id, certificate_id))
    assert item.s3_key == f"workers/{worker_id}/certificates/{certificate_id}/file.pdf"
    assert item.file_name == "家政服务员证.pdf"

    upload(slot)
    listed = http.call("GET", "/v1/worker/certificates", token=token).json
    assert [(c["certificate_id"], c["status"]) for c in listed["items"]] == [(certificate_id, "uploaded")]
    assert listed["items"][0]["download_url"] is None  # the worker uploads; reviewers download


def test_certificate_type_size_and_kind_are_checked(http: Http) -> None:
    _, token = account("worker", phone="13911110008")
    http.call("PUT", "/v1/worker/profile", profile_body(), token=token)
    good = {
        "kind": "health_certificate",
        "file_name": "a.jpg",
        "content_type": "image/jpeg",
        "size_bytes": 2048,
    }
    cases = [
        ({"content_type": "image/gif"}, "content_type"),
        ({"content_type": "application/x-msdownload"}, "content_type"),
        ({"size_bytes": 10 * 1024 * 1024 + 1}, "size_bytes"),
        ({"size_bytes": 0}, "size_bytes"),
        ({"kind": "driving_licence"}, "kind"),
        ({"file_name": ""}, "file_name"),
    ]
    for change, field in cases:
        refused = http.call("POST", "/v1/worker/certificates", {**good, **change}, token=token)
        assert refused.status_code == 422, change
        assert set(_field_errors(refused)) == {field}
    assert http.call("POST", "/v1/worker/certificates", good, token=token).status_code == 201
    exactly_10_mib = {**good, "content_type": "image/png", "size_bytes": 10 * 1024 * 1024}
    assert http.call("POST", "/v1/worker/certificates", exactly_10_mib, token=token).status_code == 201


def test_an_upload_of_another_size_is_not_taken(http: Http) -> None:
    """S3 refuses it through the signature; the app checks again, as moto does not check signatures."""
    _, token = account("worker", phone="13911110009")
    http.call("PUT", "/v1/worker/profile", profile_body(), token=token)
    slot = new_certificate(http, token).json
    upload({**slot, "headers_to_send": {"Content-Type": "application/pdf"}}, content=PDF[:20])
    refused = http.call("POST", "/v1/worker/profile/submit", token=token)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "certificate_required"
    listed = http.call("GET", "/v1/worker/certificates", token=token).json["items"]
    assert [c["status"] for c in listed] == ["awaiting_upload"]


def test_submit_needs_a_complete_profile_and_an_uploaded_certificate(http: Http) -> None:
    worker_id, token = account("worker", phone="13911110010")
    nothing = http.call("POST", "/v1/worker/profile/submit", token=token)
    assert nothing.status_code == 409
    assert nothing.json["error"]["code"] == "profile_incomplete"

    partial = profile_body(service_areas=[], home_location=None)
    del partial["experience_years"]
    http.call("PUT", "/v1/worker/profile", partial, token=token)
    incomplete = http.call("POST", "/v1/worker/profile/submit", token=token)
    assert incomplete.status_code == 409
    assert set(_field_errors(incomplete)) == {"experience_years", "service_areas", "home_location"}

    http.call("PUT", "/v1/worker/profile", profile_body(), token=token)
    no_certificate = http.call("POST", "/v1/worker/profile/submit", token=token)
    assert no_certificate.status_code == 409
    assert no_certificate.json["error"]["code"] == "certificate_required"

    slot = new_certificate(http, token).json
    not_uploaded = http.call("POST", "/v1/worker/profile/submit", token=token)
    assert not_uploaded.json["error"]["code"] == "certificate_required"

    upload(slot)
    submitted = http.call("POST", "/v1/worker/profile/submit", token=token)
    assert submitted.status_code == 202, submitted.json
    assert submitted.json["status"] == "pending_review"
    assert submitted.json["submitted_at"]
    assert [c["status"] for c in submitted.json["certificates"]] == ["uploaded"]
    item = _profile_item(worker_id)
    assert (item.gsi2pk, item.gsi2sk) == ("WORKERS#pending_review", f"{item.submitted_at}#{worker_id}")

    # Under review the profile and its files are locked, and it cannot be submitted twice.
    locked = http.call("PUT", "/v1/worker/profile", profile_body(bio="改一下"), token=token)
    assert locked.status_code == 409
    assert locked.json["error"]["code"] == "profile_locked"
    assert "pending_review" in locked.json["error"]["message"]
    assert (
        http.call(
            "POST",
            "/v1/worker/certificates",
            {
                "kind": "health_certificate",
                "file_name": "b.pdf",
                "content_type": "application/pdf",
                "size_bytes": 9,
            },
            token=token,
        ).status_code
        == 409
    )
    again = http.call("POST", "/v1/worker/profile/submit", token=token)
    assert again.status_code == 409
    assert again.json["error"]["code"] == "invalid_worker_status"


def test_certificates_are_private_to_their_worker(http: Http) -> None:
    owner_id, owner = account("worker", phone="13911110011")
    _, other = account("worker", phone="13911110012")
    http.call("PUT", "/v1/worker/profile", profile_body(), token=owner)
    http.call("PUT", "/v1/worker/profile", profile_body(id_number=ID_JINGAN), token=other)
    slot = new_certificate(http, owner).json
    upload(slot)
    path = f"/v1/worker/certificates/{slot['certificate_id']}"
    assert http.call("DELETE", path, token=other).status_code == 404
    assert http.call("GET", "/v1/worker/certificates", token=other).json["items"] == []
    assert http.call("DELETE", path, token=owner).status_code == 204
    assert uploads.head(f"workers/{owner_id}/certificates/{slot['certificate_id']}/file.pdf") is None
    assert http.call("DELETE", path, token=owner).status_code == 404


def test_only_workers_use_the_worker_routes(http: Http) -> None:
    _, customer = account("customer", phone="13811110001", name="王女士")
    _, admin = account("admin", email="boss@example.com", name="管理员")
    for token in (customer, admin):
        assert http.call("GET", "/v1/worker/profile", token=token).status_code == 403
        assert http.call("PUT", "/v1/worker/profile", profile_body(), token=token).status_code == 403
        assert http.call("POST", "/v1/worker/profile/submit", token=token).status_code == 403
        assert http.call("GET", "/v1/worker/certificates", token=token).status_code == 403
    assert http.call("GET", "/v1/worker/profile").status_code == 401


def test_the_routes_are_in_the_openapi_document(http: Http) -> None:
    doc = http.call("GET", "/v1/openapi.json").json
    paths = doc["paths"]
    assert {"get", "put"} <= set(paths["/v1/worker/profile"])
    assert "202" in paths["/v1/worker/profile/submit"]["post"]["responses"]
    assert "201" in paths["/v1/worker/certificates"]["post"]["responses"]
    for action in ("approve", "reject", "suspend", "reinstate"):
        assert "post" in paths[f"/v1/admin/workers/{{worker_id}}/{action}"]
    assert {"get", "patch"} <= set(paths["/v1/admin/workers/{worker_id}"])
    schemas = json.dumps(doc["components"])
    assert "maternity_nurse_cert" in schemas
    assert "application/pdf" in schemas
