"""Routes of the worker search area (being built)."""

from __future__ import annotations

from chalicelib.web import Api

api = Api("worker_search")
