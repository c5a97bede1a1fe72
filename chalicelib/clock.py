"""The one source of time.

Every "now" in the code comes from :func:`now`. Tests freeze or move it with :func:`freeze` and
:func:`advance`; on the local stage ``POST /v1/dev/clock`` moves it for the API and the local
event runner alike by writing an offset into a small file both processes read
(``LOCAL_CLOCK_FILE``). On AWS the file is never configured and ``now`` is the system time.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["SHANGHAI", "advance", "freeze", "iso", "now", "offset", "reset", "set_local_offset"]

SHANGHAI = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None
_file_cache: tuple[str, int, timedelta] | None = None


def _file_offset() -> timedelta:
    """The offset written by ``POST /v1/dev/clock``, re-read only when the file changes."""
    global _file_cache
    path = os.environ.get("LOCAL_CLOCK_FILE")
    if not path:
        return timedelta(0)
    try:
        mtime = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return timedelta(0)
    if _file_cache and _file_cache[0] == path and _file_cache[1] == mtime:
        return _file_cache[2]
    with open(path, encoding="utf-8") as handle:
        seconds = float(json.load(handle).get("offset_seconds", 0))
    _file_cache = (path, mtime, timedelta(seconds=seconds))
    return _file_cache[2]


def now() -> datetime:
    """The current time, aware, in Asia/Shanghai."""
    if _frozen is not None:
        return _frozen
    return datetime.now(SHANGHAI) + _file_offset()


def iso(at: datetime | None = None) -> str:
    """Fixed-width RFC 3339 text of ``at`` (default now): sorts in time order as a string."""
    return (at or now()).astimezone(SHANGHAI).isoformat(timespec="microseconds")


def offset() -> timedelta:
    """How far the local clock runs ahead of the system clock."""
    return _file_offset()


def set_local_offset(delta: timedelta) -> None:
    """Persist a new local-stage offset (only ever called on the local stage)."""
    path = os.environ["LOCAL_CLOCK_FILE"]
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"offset_seconds": delta.total_seconds()}, handle)
    os.replace(tmp, path)


def freeze(at: datetime) -> None:
    """Stop the clock at ``at`` (tests only)."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at.astimezone(SHANGHAI)


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward (tests only)."""
    global _frozen
    _frozen = now() + delta
    return _frozen


def reset() -> None:
    """Let the clock run again."""
    global _frozen
    _frozen = None
