"""What a cold start imports: the route table, not the data layer or heavy SDKs.

Not a timing test (bench/import_time.py measures); it guards the design that keeps cold starts
cheap: route modules bind their use cases lazily, and schemas never import pynamodb.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_app_loads_no_data_layer_and_no_heavy_sdk() -> None:
    probe = (
        "import json, sys, app; "
        "print(json.dumps(sorted(m for m in ('pynamodb', 'boto3', 'stripe', 'aws_xray_sdk', 'argon2', "
        "'cryptography', 'jwt', 'openapi_pydantic') if m in sys.modules)))"
    )
    env = {**os.environ, "STAGE": "dev"}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_every_route_is_registered_at_import() -> None:
    import app

    paths = set(app.app.routes)
    for expected in (
        "/v1/auth/register",
        "/v1/services",
        "/v1/worker/profile",
        "/v1/workers/{worker_id}/slots",
    ):
        assert expected in paths
