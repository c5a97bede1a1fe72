"""Routes of the worker orders area (being built)."""

from __future__ import annotations

from chalicelib.web import Api

api = Api("worker_orders")
