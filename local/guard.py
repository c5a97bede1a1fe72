"""Run a command and take its whole process group down with it: ``python -m local.guard CMD...``.

``chalice local`` forks a worker that serves the port. If the stack is killed outright (SIGKILL,
a crashed terminal), the kernel's parent-death signal reaches only the stack's direct child, so
the worker would live on holding the port. This guard is that direct child: on SIGTERM, SIGINT or
SIGHUP it signals its own process group (the command and everything it forked), and SIGKILLs the
group if the command has not exited eight seconds later.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from types import FrameType

_GRACE_SECONDS = 8
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _signal_group(sig: signal.Signals) -> None:
    """Signal the guard's process group; the guard itself ignores the stop signals by then."""
    for stop in _STOP_SIGNALS:
        signal.signal(stop, signal.SIG_IGN)
    os.killpg(os.getpgrp(), sig)


def _stop(signum: int, frame: FrameType | None) -> None:
    # Only signal here: the main thread's wait() returns once the command exits.
    _signal_group(signal.SIGTERM)
    signal.signal(signal.SIGALRM, lambda _signum, _frame: os.killpg(os.getpgrp(), signal.SIGKILL))
    signal.alarm(_GRACE_SECONDS)


def main() -> None:
    """Start the command in this process group and mirror its exit code."""
    if len(sys.argv) < 2:
        sys.exit("usage: python -m local.guard COMMAND [ARGS...]")
    child = subprocess.Popen(sys.argv[1:])
    for sig in _STOP_SIGNALS:
        signal.signal(sig, _stop)
    code = child.wait()
    _signal_group(signal.SIGTERM)  # stragglers the command left behind
    sys.exit(code)


if __name__ == "__main__":
    main()
