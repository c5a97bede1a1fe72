"""``chalice local`` whose auto-reload watches the app's sources only: ``python -m local.chalice_local local …``.

Chalice's reloader (its stat() watcher, as watchdog is not installed) polls every file under the
project folder each second and restarts the dev server when any file appears or changes. Here
that folder also holds the virtualenv, ``__pycache__`` and ``.local/data``, where DynamoDB Local,
the event runner's checkpoints and the clock file change all the time, so the API restarted in
the middle of requests. This launcher points the watcher at ``app.py``, ``chalicelib/`` and
``.chalice/`` only, and otherwise runs Chalice's own CLI unchanged.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["WATCHED", "app_sources", "main"]

WATCHED = ("app.py", "chalicelib", ".chalice")
_SOURCE_SUFFIXES = (".py", ".json")


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


def main() -> None:
    """Run Chalice's CLI with the narrowed watcher (in the reloader's worker process too)."""
    args = sys.argv[1:]
    # The reloader respawns its worker with ``sys.argv``: make that re-run this launcher.
    sys.argv = [sys.executable, "-m", "local.chalice_local", *args]
    _watch_app_sources_only()
    from chalice.cli import cli

    cli(args=args, obj={}, prog_name="chalice")


if __name__ == "__main__":
    main()
