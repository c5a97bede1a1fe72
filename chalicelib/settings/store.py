"""Every version of the settings, and the one in force.

``SETTINGS / VERSION#<10-digit n>`` holds version ``n`` as saved (never changed afterwards) and
``SETTINGS / CURRENT`` a copy of the newest. A PUT is one transaction: the new version (must not
exist), ``CURRENT`` (condition: still the version the admin read, else 409 ``stale_version``)
and the audit entry with the previous and new document. History is one Query, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError

from chalicelib import audit, clock
from chalicelib.audit import Actor, AuditItem
from chalicelib.errors import Conflict, ValidationFailed
from chalicelib.models.base import MainItem, transact_write
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.settings.schema import PlatformSettings, validate_overrides

__all__ = ["SettingsDocument", "SettingsItem", "history", "load_document", "save_version"]

PARTITION = "SETTINGS"
CURRENT = "CURRENT"


class SettingsItem(MainItem):
    """``SETTINGS / CURRENT`` or ``SETTINGS / VERSION#<n>``."""

    version = NumberAttribute()
    settings = JSONAttribute()
    city_overrides = JSONAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)

    @staticmethod
    def key(version: int | None = None) -> tuple[str, str]:
        return PARTITION, CURRENT if version is None else f"VERSION#{version:010d}"


@dataclass(frozen=True)
class SettingsDocument:
    """One version: the settings, the per-city overrides, and who saved it, when and why."""

    version: int
    settings: PlatformSettings
    city_overrides: dict[str, dict[str, Any]]
    updated_at: str | None
    updated_by: str | None
    reason: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "settings": self.settings.model_dump(mode="json"),
            "city_overrides": self.city_overrides,
            "updated_at": self.updated_at,
            "updated_by": self.updated_by,
            "reason": self.reason,
        }


DEFAULTS = SettingsDocument(0, PlatformSettings(), {}, None, None, None)
"""Version 0: the shipped rules, in force until an admin saves settings."""


def document_of(data: dict[str, Any]) -> SettingsDocument:
    return SettingsDocument(
        version=int(data["version"]),
        settings=PlatformSettings.model_validate(data["settings"]),
        city_overrides=dict(data.get("city_overrides") or {}),
        updated_at=data.get("updated_at"),
        updated_by=data.get("updated_by"),
        reason=data.get("reason"),
    )


def _document(item: SettingsItem) -> SettingsDocument:
    return document_of(
        {
            "version": item.version,
            "settings": item.settings,
            "city_overrides": item.city_overrides,
            "updated_at": item.updated_at,
            "updated_by": item.updated_by,
            "reason": item.reason,
        }
    )


def load_document() -> SettingsDocument:
    """The version in force (a consistent read), or :data:`DEFAULTS` before any was saved."""
    try:
        return _document(SettingsItem.get(*SettingsItem.key(), consistent_read=True))
    except SettingsItem.DoesNotExist:
        return DEFAULTS


def save_version(
    expected: int,
    settings: PlatformSettings,
    city_overrides: dict[str, dict[str, Any]],
    reason: str,
    actor: Actor,
) -> SettingsDocument:
    """Save a new version over ``expected`` (409 ``stale_version`` when another came first)."""
    if details := validate_overrides(settings, city_overrides):
        raise ValidationFailed(details=details)
    current = load_document()
    if current.version != expected:
        raise Conflict("stale_version", details=[{"current_version": current.version}])
    new = SettingsDocument(expected + 1, settings, city_overrides, clock.iso(), actor.user_id, reason)
    fields: dict[str, Any] = {
        "version": new.version,
        "settings": settings.model_dump(mode="json"),
        "city_overrides": city_overrides,
        "updated_at": new.updated_at,
        "updated_by": new.updated_by,
        "reason": reason,
    }
    entry = audit.entry(
        actor_id=actor.user_id,
        actor_role=actor.role,
        action="settings.update",
        target_type="settings",
        target_id="settings",
        before=current.as_json(),
        after=new.as_json(),
        details={"reason": reason, "version": new.version},
        request_id=actor.request_id,
        ip=actor.ip,
    )
    head_condition = SettingsItem.pk.does_not_exist() if expected == 0 else SettingsItem.version == expected
    try:
        with transact_write() as transaction:
            transaction.save(entry, condition=AuditItem.pk.does_not_exist())
            transaction.save(
                SettingsItem(*SettingsItem.key(new.version), **fields),
                condition=SettingsItem.pk.does_not_exist(),
            )
            transaction.save(SettingsItem(*SettingsItem.key(), **fields), condition=head_condition)
    except TransactWriteError as error:
        latest = load_document().version
        raise Conflict("stale_version", details=[{"current_version": latest}]) from error
    return new


def history(*, limit: int, cursor: str | None) -> tuple[list[SettingsDocument], str | None]:
    """Saved versions, newest first."""
    scope = "settings:history"
    results = SettingsItem.query(
        PARTITION,
        SettingsItem.sk.startswith("VERSION#"),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
    )
    return [_document(item) for item in results], encode_cursor(scope, results.last_evaluated_key)
