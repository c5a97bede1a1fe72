"""boto3 clients, created once per process on first use.

Endpoints come from boto3's own configuration (``AWS_ENDPOINT_URL_<SERVICE>`` on the local
stage), so this module is the same on Lambda and locally.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from chalicelib.config import settings

__all__ = ["client"]


@cache
def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        service,
        region_name=settings().region,
        config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=10),
    )
