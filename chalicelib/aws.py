"""boto3 clients, created once per process on first use, all from one session.

Endpoints come from boto3's own configuration (``AWS_ENDPOINT_URL_<SERVICE>`` on the local
stage), so this module is the same on Lambda and locally.

Every client comes from the same session: a session loads botocore's endpoint and service data
once (its loader caches them), while a session per client read them again for each, tens of
milliseconds a client on a cold start. Creating clients from one session is not thread-safe
(the request handlers of ``chalice local`` and the consumers' pools run in threads), so it
happens under a lock; the clients themselves are safe to share.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

from chalicelib.config import settings

__all__ = ["botocore_session", "client", "creating", "new_client"]

creating = threading.Lock()
"""Held while a client is made from :func:`botocore_session` (pynamodb's connection takes it too)."""


@cache
def botocore_session() -> Any:
    """The process's one botocore session (pynamodb's connection makes its client from it too)."""
    from botocore.session import get_session

    return get_session()


@cache
def _session() -> Any:
    import boto3

    return boto3.session.Session(botocore_session=botocore_session())


def new_client(service: str, **config: Any) -> Any:
    """A new client of ``service`` in the settings' region; ``config`` adds to the defaults."""
    from botocore.config import Config

    options = {"retries": {"mode": "standard", "max_attempts": 3}, "connect_timeout": 2, "read_timeout": 10}
    with creating:
        return _session().client(
            service, region_name=settings().region, config=Config(**{**options, **config})
        )


@cache
def client(service: str) -> Any:
    """The process's client of ``service``."""
    return new_client(service)
