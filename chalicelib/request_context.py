"""Who is asking, from where, in which request: set by the web layer, read by the audit log.

A context variable rather than a parameter threaded through every use case, so an audit entry
written deep inside a transaction still records the request id and the client address of the
HTTP call that caused it (``None`` outside a request: queue consumers, workflow steps).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["RequestContext", "audited", "current", "finish", "mark_audited", "start"]


@dataclass
class RequestContext:
    request_id: str
    client_ip: str | None
    audit_entries: int = 0  # audit entries built during this request (see ``audited``)


_CURRENT: ContextVar[RequestContext | None] = ContextVar("jiazheng_request", default=None)


def start(request_id: str, client_ip: str | None) -> RequestContext:
    """Begin a request (the web layer calls this once per request)."""
    context = RequestContext(request_id, client_ip)
    _CURRENT.set(context)
    return context


def finish() -> None:
    """End the request: work done afterwards on this thread belongs to no request."""
    _CURRENT.set(None)


def current() -> RequestContext | None:
    return _CURRENT.get()


def mark_audited() -> None:
    """Count one audit entry built for the current request."""
    context = _CURRENT.get()
    if context is not None:
        context.audit_entries += 1


def audited() -> int:
    """How many audit entries the current request built."""
    context = _CURRENT.get()
    return context.audit_entries if context is not None else 0
