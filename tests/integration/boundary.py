"""A hook on every AWS client the app creates: boto3's and pynamodb's alike.

Both build their clients through ``botocore.session.Session.create_client``; patching it registers
the given botocore event handlers (``before-send``, ``needs-retry``...) on each new client, and
the cached clients are dropped first so the app builds hooked ones. Used by the PII scan (what
the app sends) and the fault injection (what the boundary answers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import botocore.session
import pytest

Handlers = dict[str, Callable[..., Any]]


@contextmanager
def hooked_clients(monkeypatch: pytest.MonkeyPatch, handlers: Handlers) -> Iterator[None]:
    from tests.integration.conftest import _clear_clients

    create = botocore.session.Session.create_client

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = create(self, *args, **kwargs)
        for event, handler in handlers.items():
            client.meta.events.register(event, handler)
        return client

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    _clear_clients()
    try:
        yield
    finally:
        monkeypatch.setattr(botocore.session.Session, "create_client", create)
        _clear_clients()
