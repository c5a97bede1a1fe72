"""Routes of the availability area (being built)."""

from __future__ import annotations

from chalicelib.web import Api

api = Api("availability")
