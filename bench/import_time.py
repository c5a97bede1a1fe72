"""Cold import time of ``app.py`` beside the bare stack (``import chalice, boto3, pydantic``).

Each figure is the median wall time of 10 fresh Python processes, measured in the same run and
interleaved so machine noise hits both alike. Target: app.py at most 1.5x the bare stack; heavy
SDKs (stripe, the X-Ray SDK, cryptography, argon2) must be imported where they are used.

Run: ``make bench`` (or ``python -m bench.import_time``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 10
TARGET_RATIO = 1.5

BARE = "import chalice, boto3, pydantic"
APP = "import app"

_TIMER = """
import time
start = time.perf_counter()
exec({code!r})
print(time.perf_counter() - start)
"""


def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_ENDPOINT_URL")}
    env.update(
        {
            "STAGE": "dev",
            "AWS_DEFAULT_REGION": "ap-southeast-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "PYTHONDONTWRITEBYTECODE": "0",
        }
    )
    return env


def _once(code: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _TIMER.format(code=code)],
        cwd=ROOT,
        env=_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure(runs: int = RUNS) -> tuple[float, float]:
    """Median seconds for the bare stack and for app.py."""
    _once(BARE), _once(APP)  # warm the bytecode caches, as a deployed package ships them
    bare, app = [], []
    for _ in range(runs):
        bare.append(_once(BARE))
        app.append(_once(APP))
    return statistics.median(bare), statistics.median(app)


def main() -> int:
    bare, app = measure()
    ratio = app / bare
    print(f"import time, median of {RUNS} fresh processes")
    print(f"  bare stack ({BARE}): {bare * 1000:7.1f} ms")
    print(f"  app.py     ({APP}):                     {app * 1000:7.1f} ms")
    print(f"  ratio: {ratio:.2f}x (target <= {TARGET_RATIO}x) -> {'OK' if ratio <= TARGET_RATIO else 'OVER'}")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
