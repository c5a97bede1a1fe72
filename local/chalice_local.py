"""``chalice local`` whose auto-reload watches the app's sources only: ``python -m local.chalice_local local …``.

Chalice's reloader (its stat() watcher, as watchdog is not installed) polls every file under the
project folder each second and restarts the dev server when any file appears or changes. Here
that folder also holds the virtualenv, ``__pycache__`` and ``.local/data``, where DynamoDB Local,
the event runner's checkpoints and the clock file change all the time, so the API restarted in
the middle of requests. This launcher points the watcher at ``app.py``, ``chalicelib/`` and
``.chalice/`` only, and otherwise runs Chalice's own CLI unchanged.

It also sizes the dev server for concurrent clients as API Gateway would take them: the stock
``ThreadedHTTPServer`` keeps socketserver's listen backlog of 5, so a burst of simultaneous
connections (a booking race, a load run) got ``ECONNRESET`` for all but a handful. Requests
already run one thread each, and Chalice's ``LocalChalice`` keeps ``current_request`` per thread.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["LISTEN_BACKLOG", "WATCHED", "app_sources", "main"]

WATCHED = ("app.py", "chalicelib", ".chalice")
_SOURCE_SUFFIXES = (".py", ".json")
# Connections the kernel queues before the server accepts them (capped by net.core.somaxconn).
LISTEN_BACKLOG = 1024


def app_sources(root_dir: str) -> Iterator[str]:
    """The files whose change should reload the app: its Python sources and Chalice config."""
    for name in WATCHED:
        path = os.path.join(root_dir, name)
        if os.path.isfile(path):
            yield path
            continue
        for folder, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if d != "__pycache__" and d != "deployments"]
            yield from (os.path.join(folder, f) for f in files if f.endswith(_SOURCE_SUFFIXES))


def _watch_app_sources_only() -> None:
    from chalice.cli import reloader
    from chalice.cli.filewatch import stat as stat_watcher

    def seed(self: Any, root_dir: str) -> None:
        for path in app_sources(root_dir):
            self._mtime_cache[path] = self._osutils.mtime(path)

    def walk(self: Any, root_dir: str) -> Iterator[str]:
        yield from app_sources(root_dir)

    stat_watcher.StatFileWatcher._seed_mtime_cache = seed  # type: ignore[method-assign]
    stat_watcher.StatFileWatcher._recursive_walk_files = walk  # type: ignore[method-assign]
    reloader.get_best_worker_process = lambda: stat_watcher.StatWorkerProcess


def _size_for_concurrent_clients() -> None:
    from chalice import local as chalice_local_server

    chalice_local_server.ThreadedHTTPServer.request_queue_size = LISTEN_BACKLOG
    chalice_local_server.ThreadedHTTPServer.allow_reuse_address = True


def main() -> None:
    """Run Chalice's CLI with the narrowed watcher (in the reloader's worker process too)."""
    args = sys.argv[1:]
    # The reloader respawns its worker with ``sys.argv``: make that re-run this launcher.
    sys.argv = [sys.executable, "-m", "local.chalice_local", *args]
    _watch_app_sources_only()
    _size_for_concurrent_clients()
    from chalice.cli import cli

    cli(args=args, obj={}, prog_name="chalice")


if __name__ == "__main__":
    main()
