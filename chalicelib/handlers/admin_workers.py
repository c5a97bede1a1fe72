"""Routes of the admin workers area (being built)."""

from __future__ import annotations

from chalicelib.web import Api

api = Api("admin_workers")
