"""Lazy module imports for the route modules (the standard library's ``LazyLoader`` recipe).

Chalice must see every route when ``app.py`` is imported, but a cold start should not pay for
the data layer (pynamodb, botocore) and every use case before the first request needs them.
Route modules therefore bind their use-case modules lazily: the module object exists at once
and executes on its first attribute access. Type checkers see ordinary imports through
``if TYPE_CHECKING`` blocks beside each call.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

__all__ = ["lazy_import"]


def lazy_import(name: str) -> ModuleType:
    """``name`` as a module that runs on first use (or the module itself if already loaded)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
