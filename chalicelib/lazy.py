"""Lazy module bindings for the route modules.

Chalice must see every route when ``app.py`` is imported, but a cold start should not pay for
the data layer (pynamodb, botocore) and every use case before the first request needs them.
Route modules therefore bind their use-case modules lazily: the binding exists at once and the
module is imported on its first attribute access. Type checkers see ordinary imports through
``if TYPE_CHECKING`` blocks beside each call.

The import goes through ``importlib.import_module``, whose per-module locks make a first use
from several threads at once safe (``chalice local`` serves requests on threads); the standard
library's ``LazyLoader`` is not safe that way on Python 3.11.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import Any

__all__ = ["lazy_import"]


class _LazyModule:
    """Stands in for a module until first use, then forwards every attribute to it."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            module = importlib.import_module(self._name)
            self._module = module
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_import(name: str) -> Any:
    """A binding for module ``name`` that imports it on first attribute access."""
    if importlib.util.find_spec(name) is None:
        raise ModuleNotFoundError(name)
    return _LazyModule(name)
