"""The private uploads bucket: presigned uploads and downloads, and looking objects up.

Files never pass through Lambda: the app hands out a presigned ``PUT`` for one key and the client
uploads straight to S3. The content type and the exact length are signed into the URL (SigV4
signs them as headers), so S3 itself refuses a different file type or size than the one the app
checked. Downloads are short-lived presigned ``GET`` links.

This module builds its own S3 client instead of ``chalicelib.aws.client("s3")`` because presigning
needs explicit settings: botocore still presigns with the legacy SigV2 by default (which signs
neither header), and virtual-hosted addressing gives the regional host in AWS while keeping
path-style URLs for the local moto server.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote

from chalicelib.aws import new_client
from chalicelib.config import settings

__all__ = [
    "PresignedUpload",
    "StoredObject",
    "bucket",
    "delete",
    "head",
    "presign_download",
    "presign_upload",
    "s3_client",
    "upload_json_lines",
]

UPLOAD_URL_SECONDS = 15 * 60
DOWNLOAD_URL_SECONDS = 5 * 60


@dataclass(frozen=True)
class PresignedUpload:
    """Where and how to upload: the client must send exactly ``headers`` with the ``PUT``."""

    url: str
    headers: dict[str, str]
    expires_in: int


@dataclass(frozen=True)
class StoredObject:
    size_bytes: int
    content_type: str


@cache
def s3_client() -> Any:
    """The process's presigning S3 client (SigV4, regional virtual-hosted URLs)."""
    return new_client("s3", signature_version="s3v4", s3={"addressing_style": "virtual"})


def bucket() -> str:
    """The private uploads bucket's name."""
    return settings().buckets["uploads"]


def presign_upload(
    key: str, *, content_type: str, size_bytes: int, expires_in: int = UPLOAD_URL_SECONDS
) -> PresignedUpload:
    """A presigned ``PUT`` of exactly ``size_bytes`` bytes of ``content_type`` to ``key``."""
    url = s3_client().generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket(), "Key": key, "ContentType": content_type, "ContentLength": size_bytes},
        ExpiresIn=expires_in,
        HttpMethod="PUT",
    )
    headers = {"Content-Type": content_type, "Content-Length": str(size_bytes)}
    return PresignedUpload(url=str(url), headers=headers, expires_in=expires_in)


def presign_download(key: str, *, file_name: str, expires_in: int = DOWNLOAD_URL_SECONDS) -> str:
    """A short-lived link that downloads ``key`` as an attachment named ``file_name``."""
    disposition = f"attachment; filename*=UTF-8''{quote(file_name, safe='')}"
    url = s3_client().generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket(), "Key": key, "ResponseContentDisposition": disposition},
        ExpiresIn=expires_in,
    )
    return str(url)


def head(key: str) -> StoredObject | None:
    """Size and type of the object at ``key``, or None when nothing was uploaded there."""
    from botocore.exceptions import ClientError

    try:
        answer = s3_client().head_object(Bucket=bucket(), Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return StoredObject(
        size_bytes=int(answer["ContentLength"]), content_type=str(answer.get("ContentType", ""))
    )


def delete(key: str) -> None:
    """Remove the object at ``key`` (nothing happens when it is absent)."""
    s3_client().delete_object(Bucket=bucket(), Key=key)


def upload_json_lines(
    bucket_name: str, key: str, records: Iterable[Any], *, content_type: str, default: Any = None
) -> int:
    """Stream ``records`` as gzip JSON lines to ``key`` (through a temporary file); returns how many.

    Memory stays flat whatever the count; ``mtime=0`` makes the same records the same bytes, so a
    repeated write overwrites with an identical object. The count goes in the ``rows`` metadata.
    """
    import gzip
    import json
    import tempfile

    count = 0
    with tempfile.TemporaryFile() as spool:
        with gzip.GzipFile(fileobj=spool, mode="wb", mtime=0) as packed:
            for record in records:
                packed.write(json.dumps(record, default=default, ensure_ascii=False).encode() + b"\n")
                count += 1
        spool.seek(0)
        s3_client().upload_fileobj(
            spool, bucket_name, key, ExtraArgs={"ContentType": content_type, "Metadata": {"rows": str(count)}}
        )
    return count
