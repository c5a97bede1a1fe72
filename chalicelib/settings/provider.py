"""A Powertools Parameters provider over the main table's ``SETTINGS / CURRENT`` item.

Powertools caches what a provider returns for ``max_age`` seconds per container, so a warm
Lambda reads the settings from DynamoDB at most once a minute (``SETTINGS_MAX_AGE_SECONDS``;
5 seconds on the local stage) instead of on every request. A PUT clears the cache of the
container that served it, so an admin reads back what she saved; other containers follow
within ``max_age``.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.parameters.base import BaseProvider

from chalicelib.config import settings

__all__ = ["SETTINGS_NAME", "SettingsProvider", "max_age", "provider"]

SETTINGS_NAME = "platform"


class SettingsProvider(BaseProvider):
    """``get("platform", transform="json")`` → the current settings document as a dict."""

    def _get(self, name: str, **sdk_options: Any) -> str:
        from chalicelib.settings.store import load_document

        if name != SETTINGS_NAME:
            raise KeyError(name)
        return json.dumps(load_document().as_json())

    def _get_multiple(self, path: str, **sdk_options: Any) -> dict[str, str]:
        return {SETTINGS_NAME: self._get(SETTINGS_NAME)}


@cache
def provider() -> SettingsProvider:
    return SettingsProvider()


def max_age() -> int:
    default = 5 if settings().is_local else 60
    return int(os.environ.get("SETTINGS_MAX_AGE_SECONDS", default))
