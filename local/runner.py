"""The local stand-in for Lambda's event sources: ``python -m local.runner``.

``chalice local`` only serves HTTP. This process feeds every queue of ``chalicelib.resources`` to
its handler (one polling thread per queue, like an event source mapping) and fires due schedules
and schedule rules by the local clock (main thread, every half second). It holds no business
logic: handlers are imported by their dotted path from the queue specs. A handler that raises is
logged and its batch retried by SQS; the runner keeps going.

Run it with the local stack's environment (``local.stack`` does). ``--reload`` re-executes the
runner when Python files of the app change, as ``chalice local`` does for the API.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from chalicelib import clock, resources
from chalicelib.resources import QueueSpec, StreamConsumerSpec, physical_name
from local import aws
from local.schedules import ScheduleFirer
from local.sqs_poller import Handler, QueuePoller
from local.stream_poller import StreamPoller

__all__ = ["Runner", "import_handler", "main"]

REPO_ROOT = Path(__file__).resolve().parent.parent
_WATCHED = ("app.py", "chalicelib", "local")
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def log(message: str) -> None:
    """One line per event on stdout, prefixed so it stands out among chalice's lines."""
    print(f"[runner {datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def import_handler(dotted: str) -> Handler:
    """The function at ``package.module.function``."""
    module_name, _, attribute = dotted.rpartition(".")
    handler: Handler = getattr(importlib.import_module(module_name), attribute)
    return handler


class Runner:
    """Queue pollers and the schedule firer, sharing one stop event.

    ``queues`` and ``handlers`` (queue name -> callable) let tests run the runner in process
    against test queues and handlers; by default every spec's ``handler`` is imported.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        queues: Iterable[QueueSpec] = resources.QUEUES,
        streams: Iterable[StreamConsumerSpec] = resources.STREAM_CONSUMERS,
        handlers: Mapping[str, Handler] | None = None,
        stage: str = "local",
        now: Callable[[], datetime] = clock.now,
        state_file: Path | None = None,
        schedules: bool = True,
    ) -> None:
        self.env = dict(env)
        self.queues = list(queues)
        self.streams = list(streams)
        self.state_file = state_file
        self.handlers = dict(handlers or {})
        self.stage = stage
        self.stop_event = threading.Event()
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        buses = ["default", physical_name(stage, resources.EVENT_BUS)]
        self.firer = (
            ScheduleFirer(self.client, buses, now, state_file=state_file, log=log) if schedules else None
        )
        self._threads: list[threading.Thread] = []

    def client(self, service: str) -> Any:
        """One shared boto3 client per service (they are thread safe)."""
        with self._lock:
            if service not in self._clients:
                self._clients[service] = aws.client(service, self.env)
            return self._clients[service]

    def poller(self, spec: QueueSpec) -> QueuePoller:
        """A poller for ``spec``; imports its handler unless one was given."""
        handler = self.handlers.get(spec.name) or import_handler(spec.handler)
        url = (
            self.env.get(spec.env_var)
            or self.client("sqs").get_queue_url(QueueName=physical_name(self.stage, spec.name))["QueueUrl"]
        )
        # A client of its own: a long poll holds a connection for its whole wait.
        return QueuePoller(spec, url, aws.client("sqs", self.env), handler, self.env["AWS_REGION"], log=log)

    def stream_poller(self, spec: StreamConsumerSpec) -> StreamPoller:
        """A poller of ``spec``'s table stream; imports its handler unless one was given."""
        handler = self.handlers.get(spec.name) or import_handler(spec.handler)
        dlq = self.client("sqs").get_queue_url(QueueName=f"{physical_name(self.stage, spec.name)}-dlq")[
            "QueueUrl"
        ]
        checkpoints = (
            self.state_file.with_name(f"{self.state_file.stem}-{spec.name}-stream.json")
            if self.state_file
            else None
        )
        streams = aws.client("dynamodbstreams", self.env)  # its own, made once: a client costs ~0.1 s
        return StreamPoller(
            spec,
            physical_name(self.stage, spec.table),
            lambda service: streams if service == "dynamodbstreams" else self.client(service),
            handler,
            self.env["AWS_REGION"],
            dlq_url=dlq,
            checkpoint_file=checkpoints,
            log=log,
        )

    def _poll_forever(self, spec: QueueSpec | StreamConsumerSpec) -> None:
        poller: QueuePoller | StreamPoller | None = None
        last_error = ""
        while not self.stop_event.is_set():
            try:
                if isinstance(spec, StreamConsumerSpec):
                    poller = poller or self.stream_poller(spec)
                    if not poller.poll_once():
                        self.stop_event.wait(0.25)  # GetRecords does not long-poll
                else:
                    poller = poller or self.poller(spec)
                    poller.poll_once()
                last_error = ""
            except Exception as error:  # an import error or a moto hiccup: say so once, retry slowly
                message = f"queue {spec.name}: {type(error).__name__}: {error}"
                if message != last_error:
                    log(f"{message} (retrying every 5 s)")
                last_error = message
                self.stop_event.wait(5)

    def start(self) -> None:
        """Start one daemon polling thread per queue and per table stream consumer."""
        specs: list[QueueSpec | StreamConsumerSpec] = [*self.queues, *self.streams]
        for spec in specs:
            thread = threading.Thread(
                target=self._poll_forever, args=(spec,), name=f"poll-{spec.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def tick(self) -> list[str]:
        """Fire due schedules once (errors are logged, never raised)."""
        if self.firer is None:
            return []
        try:
            return self.firer.tick()
        except Exception as error:
            log(f"schedules: {type(error).__name__}: {error}")
            return []

    def run(self, interval: float = 0.5, should_restart: Callable[[], bool] = lambda: False) -> bool:
        """Tick until stopped; True if ``should_restart`` asked for a re-exec."""
        self.start()
        restart = False
        while not self.stop_event.is_set():
            self.tick()
            if should_restart() and not self.stop_event.is_set():
                restart = True
                break
            self.stop_event.wait(interval)
        self.stop()
        return restart

    def stop(self) -> None:
        """Ask the threads to finish their current poll and wait for them (one long poll at most)."""
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()


def _source_mtime(root: Path) -> float:
    """The newest modification time among the app's Python files."""
    latest = 0.0
    for name in _WATCHED:
        path = root / name
        files = path.rglob("*.py") if path.is_dir() else [path]
        for file in files:
            try:
                latest = max(latest, file.stat().st_mtime)
            except FileNotFoundError:
                continue
    return latest


def _change_watcher(root: Path, every: float = 1.0) -> Callable[[], bool]:
    baseline = _source_mtime(root)
    checked = time.monotonic()

    def changed() -> bool:
        nonlocal checked
        if time.monotonic() - checked < every:
            return False
        checked = time.monotonic()
        return _source_mtime(root) != baseline

    return changed


def main(argv: list[str] | None = None) -> None:
    """Run until SIGINT/SIGTERM; with ``--reload``, re-exec on source changes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reload", action="store_true", help="restart when app sources change")
    args = parser.parse_args(argv)
    state = os.environ.get("LOCAL_RUNNER_STATE_FILE")
    runner = Runner(os.environ, state_file=Path(state) if state else None)

    asked_to_stop = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        asked_to_stop.set()
        runner.stop_event.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # A re-exec blocks the stop signals (below); a SIGTERM that came meanwhile arrives now.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    names = ", ".join(physical_name(runner.stage, spec.name) for spec in runner.queues) or "no queues"
    log(f"polling {names}; firing schedules by the local clock")
    watcher = _change_watcher(REPO_ROOT) if args.reload else (lambda: False)
    restart = runner.run(should_restart=watcher)
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    if restart and not asked_to_stop.is_set():
        log("sources changed: restarting")
        os.execv(sys.executable, [sys.executable, "-m", "local.runner", *(argv or sys.argv[1:])])
    log("stopped")


if __name__ == "__main__":
    main()
