"""Unit tests touch no AWS: rules that read the admin settings see the shipped defaults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.settings.current import pinned


@pytest.fixture(autouse=True)
def default_settings() -> Iterator[None]:
    with pinned():
        yield
