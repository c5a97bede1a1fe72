"""``current_settings(city)``: the one function the rest of the code reads the rules through.

Cached through Powertools Parameters (``chalicelib.settings.provider``); a city with an
override gets the base settings with the override's keys replaced. Consumers: commission at
completion (``payments.ledger``), cancellation windows at booking (``orders.policy``), acceptance
timeout and reminder offsets (``orders.workflow``), matching rounds (``orders.matching``), the
support SLA (``support.tickets``), the withdrawal rules and dispute window
(``payouts.rules``), the live-in deposit share and rest days (``orders.live_in_rules``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.settings.schema import PlatformSettings, apply_override

__all__ = ["PlatformSettings", "current_document", "current_settings", "forget", "pinned"]

_pinned: Any = None
_parsed: tuple[Any, Any] | None = None
"""The provider's last raw document and its parsed form: validated once, not on every read."""


def current_document() -> Any:
    """The cached settings document in force (``store.SettingsDocument``)."""
    from chalicelib.settings.provider import SETTINGS_NAME, max_age, provider
    from chalicelib.settings.store import document_of

    global _parsed
    if _pinned is not None:
        return _pinned
    data = provider().get(SETTINGS_NAME, max_age=max_age(), transform="json")
    if (
        _parsed is None or _parsed[0] is not data
    ):  # the provider's cache hands out one object until it refreshes
        _parsed = (data, document_of(dict(data)))  # type: ignore[arg-type]
    return _parsed[1]


def current_settings(city: str | None = None) -> PlatformSettings:
    """The rules in force (for ``city`` when given: its override applied)."""
    document = current_document()
    override = document.city_overrides.get(city) if city else None
    return apply_override(document.settings, override) if override else document.settings


def forget() -> None:
    """Drop this container's cached copy (after a PUT here; tests)."""
    from chalicelib.settings.provider import provider

    provider().clear_cache()


@contextmanager
def pinned(settings: PlatformSettings | None = None) -> Iterator[None]:
    """Use ``settings`` (default: the shipped defaults) without reading the table: unit tests."""
    from chalicelib.settings.store import SettingsDocument

    global _pinned
    previous = _pinned
    _pinned = SettingsDocument(0, settings or PlatformSettings(), {}, None, None, None)
    try:
        yield
    finally:
        _pinned = previous
