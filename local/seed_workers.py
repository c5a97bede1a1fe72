"""Demo workers for ``make run``: the seeded worker accounts, onboarded and verified.

Goes through the same use cases as the apps (save the profile, reserve certificates, upload,
submit, approve), so the demo data is exactly what onboarding produces: encrypted ID numbers,
search entries, audit records and the workers' "approved" notifications. The approval is recorded
as the ``system`` actor ``system:seed``, not as a person.

Idempotent: a worker already verified (or suspended by someone since) is left alone. moto server
starts empty on every run while DynamoDB Local keeps its data, so the certificate files are put
back when missing, keeping the reviewers' download links working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import uploads
from chalicelib.accounts.targets import target_from
from chalicelib.models.accounts import IdentityItem
from chalicelib.scheduling import availability
from chalicelib.schemas.workers import WorkerProfileIn
from chalicelib.workers import certificates, profile, review

__all__ = ["DEMO_WORKERS", "DemoWorker", "seed_workers"]

SEED_ACTOR = review.Actor(user_id="system:seed", role="system")
LOCALE = "zh-CN"
# A one-page blank PDF stands in for every scanned certificate.
PLACEHOLDER_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


@dataclass(frozen=True)
class DemoWorker:
    phone: str
    profile: dict[str, Any]
    certificates: tuple[tuple[str, str], ...]  # (kind, file name)


def _areas(*districts: str) -> list[dict[str, str]]:
    return [{"city": "上海市", "district": district} for district in districts]


# The ID numbers are made up but valid (GB 11643 checksum, Shanghai region codes, adult births).
DEMO_WORKERS: tuple[DemoWorker, ...] = (
    DemoWorker(
        phone="13900000001",
        profile={
            "real_name": "李桂芳",
            "id_number": "310115197604151243",
            "skills": ["cleaning", "nanny"],
            "experience_years": 12,
            "bio": "从事家政服务十二年，擅长日常保洁、收纳整理和家常菜，做事细致，守时可靠。",
            "service_areas": _areas("浦东新区", "徐汇区"),
            "home_location": {"lat": 31.2151, "lng": 121.5515},
        },
        certificates=(
            ("id_card_front", "身份证人像面.pdf"),
            ("health_certificate", "健康证.pdf"),
            ("housekeeping_cert", "家政服务员证.pdf"),
        ),
    ),
    DemoWorker(
        phone="13900000002",
        profile={
            "real_name": "张建国",
            "id_number": "310106198209111311",
            "skills": ["home_repair"],
            "experience_years": 15,
            "bio": "持证电工，十五年水电维修经验，水管、电路、家电、门锁都能修，工具自带。",
            "service_areas": _areas("静安区", "徐汇区", "长宁区"),
            "home_location": {"lat": 31.2286, "lng": 121.4470},
        },
        certificates=(
            ("electrician_licence", "低压电工作业证.pdf"),
            ("health_certificate", "健康证.pdf"),
        ),
    ),
    DemoWorker(
        phone="13900000003",
        profile={
            "real_name": "陈美华",
            "id_number": "310104198507222463",
            "skills": ["maternity_nurse", "infant_care"],
            "experience_years": 9,
            "bio": "高级母婴护理师，服务过六十多个家庭，擅长新生儿护理、产后康复餐和母乳喂养指导。",
            "service_areas": _areas("徐汇区", "浦东新区", "闵行区"),
            "home_location": {"lat": 31.1880, "lng": 121.4370},
        },
        certificates=(
            ("maternity_nurse_cert", "母婴护理师证.pdf"),
            ("infant_care_cert", "育婴师证.pdf"),
            ("health_certificate", "健康证.pdf"),
        ),
    ),
)


def _user_id(phone: str) -> str | None:
    target = target_from(phone=phone)
    try:
        return str(IdentityItem.get(*IdentityItem.key(target.kind, target.blind)).user_id)
    except IdentityItem.DoesNotExist:
        return None


def _put_missing_files(worker_id: str) -> None:
    for item in certificates.certificate_items(worker_id):
        if uploads.head(item.s3_key) is None:
            uploads.s3_client().put_object(
                Bucket=uploads.bucket(), Key=item.s3_key, Body=PLACEHOLDER_PDF, ContentType=item.content_type
            )


def _onboard(worker_id: str, demo: DemoWorker) -> None:
    """Profile, certificates and submission, picking up wherever an earlier run stopped."""
    profile.save_profile(worker_id, WorkerProfileIn.model_validate(demo.profile).fields(), LOCALE)
    present = {item.kind for item in certificates.certificate_items(worker_id)}
    for kind, file_name in demo.certificates:
        if kind not in present:
            certificates.create_certificate(
                worker_id,
                kind=kind,
                file_name=file_name,
                content_type="application/pdf",
                size_bytes=len(PLACEHOLDER_PDF),
                locale=LOCALE,
            )
    _put_missing_files(worker_id)
    profile.submit_profile(worker_id, LOCALE)


WORKING_WEEK: dict[str, list[list[str]]] = {
    **{day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "sat": [["09:00", "17:00"]],
}
"""The demo workers' hours: weekdays 8-18, Saturdays 9-17, Sundays off."""


def _seed_one(worker_id: str, demo: DemoWorker) -> str:
    if availability.get_availability(worker_id).updated_at is None:
        availability.set_availability(worker_id, WORKING_WEEK, [])
    current = profile.load_profile(worker_id)
    status = current.status if current else "draft"
    if status in ("verified", "suspended"):
        _put_missing_files(worker_id)
        return "exists"
    if status in ("draft", "rejected"):
        _onboard(worker_id, demo)
    review.approve(worker_id, SEED_ACTOR)
    return "verified"


def seed_workers() -> list[str]:
    """Onboard and verify the demo workers; returns one line per worker to print."""
    lines = []
    for demo in DEMO_WORKERS:
        worker_id = _user_id(demo.phone)
        if worker_id is None:
            lines.append(f"  worker    {demo.phone:<24} no account: seed the accounts first")
            continue
        state = _seed_one(worker_id, demo)
        skills = ", ".join(demo.profile["skills"])
        areas = "/".join(area["district"] for area in demo.profile["service_areas"])
        lines.append(f"  worker    {demo.phone:<24} {demo.profile['real_name']} {skills} @ {areas} ({state})")
    return lines
