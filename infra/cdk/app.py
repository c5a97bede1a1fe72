"""The CDK app: ``python -m infra.cdk.app`` (what ``cdk synth`` in this folder runs).

The stage comes from context ``stage`` (default ``dev``): ``cdk synth -c stage=prod``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra.cdk.stack import JiazhengStack
from infra.cdk.stage import REPO_ROOT, stage_settings

__all__ = ["build_app", "cdk_json_context"]

CDK_JSON = Path(__file__).absolute().with_name("cdk.json")
# ``chalice package`` needs a region; the stacks themselves stay environment-agnostic.
DEFAULT_REGION = "ap-southeast-1"


def cdk_json_context() -> dict[str, Any]:
    """The context of ``cdk.json`` (feature flags, defaults), which ``cdk`` itself passes to the app.

    Read here too so that ``python -m infra.cdk.synth`` and the tests build the same templates
    as the CLI; context given on the command line (``cdk synth -c stage=prod``) still wins.
    """
    context: dict[str, Any] = json.loads(CDK_JSON.read_text(encoding="utf-8")).get("context", {})
    return context


def build_app(
    stages: Sequence[str] | None = None,
    *,
    outdir: Path | None = None,
    context: Mapping[str, Any] | None = None,
    source_dir: Path = REPO_ROOT,
) -> tuple[cdk.App, dict[str, JiazhengStack]]:
    """An app with one stack per stage (default: the ``stage`` context value, else ``dev``)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    app = cdk.App(outdir=str(outdir) if outdir else None, context={**cdk_json_context(), **(context or {})})
    stacks: dict[str, JiazhengStack] = {}
    for stage in stages or [stage_settings(app.node).name]:
        settings = stage_settings(app.node, stage)
        stacks[settings.name] = JiazhengStack(
            app,
            settings.stack_name,
            settings=settings,
            source_dir=source_dir,
            description=f"Jiazheng home services backend ({settings.name})",
            env=cdk.Environment(
                account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
            ),
        )
    return app, stacks


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
