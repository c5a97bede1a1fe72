"""Launch moto in server mode with Step Functions execution switched on.

moto's server runs state machines only when its in-process config says so, and the config API
of a running server is easy to forget (a restart silently loses it). Setting it here, before the
server answers its first request, means every moto process of the local stack behaves the same.
Lambda's Docker backend stays off: without Docker ``/moto-api/data.json`` would fail.

Usage: ``python -m local.moto_server --host 127.0.0.1 --port 8101 [--log-requests]``
"""

from __future__ import annotations

import argparse
import logging


def configure() -> None:
    """Switch on state machine execution and off Lambda's Docker backend, process-wide."""
    from moto.core.config import default_user_config

    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    default_user_config["lambda"] = {"use_docker": False}


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, configure moto and serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument(
        "--log-requests", action="store_true", help="log every request (noisy: the runner polls)"
    )
    args = parser.parse_args(argv)
    if not args.log_requests:
        # werkzeug only installs its INFO request log when the level is unset.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    configure()
    from moto.server import main as moto_main

    moto_main(["--host", args.host, "--port", str(args.port)])


if __name__ == "__main__":
    main()
