"""Platform settings: read (admin, support), save a new version (admin only), history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.handlers.admin_users import actor_of
from chalicelib.lazy import lazy_import
from chalicelib.schemas.admin import HistoryQuery, SettingsOut, SettingsPut, SettingsQuery
from chalicelib.web import Api, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.settings import current, store
else:
    current = lazy_import("chalicelib.settings.current")
    store = lazy_import("chalicelib.settings.store")

api = Api("admin_settings")

READERS = ("admin", "support")


def _out(document: Any, city: str | None = None) -> SettingsOut:
    effective = None
    if city:
        from chalicelib.settings.schema import apply_override

        override = document.city_overrides.get(city)
        effective = apply_override(document.settings, override) if override else document.settings
    return SettingsOut(
        version=document.version,
        settings=document.settings,
        city_overrides=document.city_overrides,
        updated_at=document.updated_at,
        updated_by=document.updated_by,
        reason=document.reason,
        effective=effective,
    )


@api.get("/v1/admin/settings", roles=READERS, query=SettingsQuery, response=SettingsOut)
def get_settings(request: Request[Any]) -> SettingsOut:
    """The settings in force and their version (send it back with a PUT)."""
    return _out(store.load_document(), request.query.city)


@api.put("/v1/admin/settings", roles=("admin",), body=SettingsPut, response=SettingsOut, errors=(409, 422))
def put_settings(request: Request[SettingsPut]) -> SettingsOut:
    """Save a new version (audited). 409 ``stale_version`` if another was saved since ``version``;
    422 for a value out of range (nothing changes)."""
    body = request.body
    saved = store.save_version(
        body.version, body.settings, body.city_overrides, body.reason, actor_of(request)
    )
    current.forget()
    return _out(saved)


@api.get("/v1/admin/settings/history", roles=READERS, query=HistoryQuery, response=Page[SettingsOut])
def settings_history(request: Request[Any]) -> Page[SettingsOut]:
    """Every saved version, newest first: who saved it, when and why."""
    documents, cursor = store.history(limit=request.query.limit, cursor=request.query.cursor)
    return Page[SettingsOut](items=[_out(document) for document in documents], next_cursor=cursor)
