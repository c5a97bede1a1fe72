"""Child-process plumbing: start in a process group of its own, stop the whole group.

Every child runs in a new session, so Ctrl-C in the terminal reaches only the stack, which then
stops each group in turn (SIGTERM, then SIGKILL after a grace period); ``chalice local``'s
autoreloader and the JVM's threads go with their group. On Linux a child also gets SIGTERM when
the stack process dies without cleaning up (``PR_SET_PDEATHSIG``), so a killed stack leaves no
servers holding the ports.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

import httpx

__all__ = ["Child", "StartupError", "free_port", "free_ports", "wait_for_http"]

_PR_SET_PDEATHSIG = 1


class StartupError(RuntimeError):
    """A child did not come up; the message carries the tail of its log."""


def _die_with_parent() -> None:
    """Ask the kernel to SIGTERM this child when its parent dies (Linux only, best effort)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports on 127.0.0.1 that nothing listens on right now."""
    with contextlib.ExitStack() as stack:
        sockets = [
            stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)
        ]
        for sock in sockets:  # held open together, so the kernel cannot hand out one port twice
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    return free_ports(1)[0]


class Child:
    """One long-running child process with its own process group and optional log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        log_file: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.cwd = cwd
        self.env = dict(env)
        self.log_file = log_file
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        """Spawn the process; its output goes to the log file, or to this terminal if none."""
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_file.open("ab")
        self._proc = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT if self._log else None,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def poll(self) -> int | None:
        """The exit code if the process has ended, else None."""
        return self._proc.poll() if self._proc else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the log file, to explain a failed start."""
        if self.log_file is None or not self.log_file.exists():
            return "(output went to the terminal)"
        text = self.log_file.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def terminate(self) -> None:
        """Send SIGTERM to the group without waiting (to stop several children at once)."""
        if self._proc is not None and self._proc.poll() is None:
            self._signal_group(signal.SIGTERM)

    def stop(self, grace_seconds: float = 8.0) -> None:
        """SIGTERM the process group, SIGKILL it after ``grace_seconds``, and reap the leader."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                proc.wait(timeout=grace_seconds)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                proc.wait(timeout=5)
        # Grandchildren (e.g. chalice's reloaded worker) may outlive a leader that exited.
        self._signal_group(signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None
        self._proc = None

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)


def wait_for_http(
    url: str,
    *,
    timeout: float,
    child: Child | None = None,
    accept: Callable[[httpx.Response], bool] = lambda _response: True,
) -> httpx.Response:
    """Poll ``url`` until ``accept`` likes an answer; fail early if ``child`` exits meanwhile."""
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while time.monotonic() < deadline:
        if child is not None and child.poll() is not None:
            raise StartupError(
                f"{child.name} exited with code {child.poll()} before answering {url}:\n{child.log_tail()}"
            )
        try:
            response = httpx.get(url, timeout=2)
            if accept(response):
                return response
            last_error = f"HTTP {response.status_code}"
        except httpx.HTTPError as error:
            last_error = type(error).__name__
        time.sleep(0.1)
    tail = f"\n{child.log_tail()}" if child is not None else ""
    raise StartupError(f"{url} did not answer within {timeout:.0f} s ({last_error}){tail}")
