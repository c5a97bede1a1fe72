"""Certificate kinds and S3-safe file names (no AWS)."""

from __future__ import annotations

from typing import get_args

from chalicelib.workers.certificates import KINDS, CertificateKind, safe_file_name


def test_safe_file_names_are_ascii_with_the_type_extension() -> None:
    assert safe_file_name("健康证.JPG", "image/jpeg") == "file.jpg"
    assert safe_file_name("health cert (1).png", "image/png") == "health_cert_1.png"
    assert safe_file_name("C:\\fakepath\\scan.pdf", "application/pdf") == "scan.pdf"
    assert safe_file_name("../../etc/passwd", "application/pdf") == "passwd.pdf"
    assert safe_file_name("report.exe", "application/pdf") == "report.pdf"
    assert len(safe_file_name("x" * 500 + ".pdf", "application/pdf")) == 64


def test_every_kind_has_names_and_identity_documents_do_not_count() -> None:
    assert set(KINDS) == set(get_args(CertificateKind))
    assert all({"zh-CN", "en"} <= set(kind.names) for kind in KINDS.values())
    assert not any(
        KINDS[kind].professional for kind in ("id_card_front", "id_card_back", "health_certificate")
    )
    assert KINDS["maternity_nurse_cert"].professional
