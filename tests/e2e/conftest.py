"""The whole local stack, started once per test session on free ports in a fresh folder.

Tests reach the API over HTTP (``http``) and the local AWS stand-ins with boto3 clients built from
``stack.env`` (``local.aws.client(service, stack.env)``), exactly as the app does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from local.procs import free_ports
from local.stack import LocalStack

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under ``tests/e2e`` as ``e2e`` (``-m "not e2e"`` skips the stack)."""
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """DynamoDB Local, moto server, ``chalice local`` and the event runner, without demo data."""
    api_port, ddb_port, moto_port = free_ports(3)
    local_stack = LocalStack(
        tmp_path_factory.mktemp("local-stack"),
        api_port=api_port,
        ddb_port=ddb_port,
        moto_port=moto_port,
        seed=False,
        autoreload=False,
    )
    with local_stack:
        yield local_stack


@pytest.fixture
def http(stack: LocalStack) -> Iterator[httpx.Client]:
    """An HTTP client for the stack's API."""
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        yield client
