"""What differs between the deployed stages, read from CDK context once per app."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Node

from chalicelib.resources import APP_NAME, physical_name

__all__ = ["REPO_ROOT", "StageSettings", "chalice_setting", "chalice_stage_config", "stage_settings"]

REPO_ROOT = Path(__file__).absolute().parents[2]

DEFAULT_STAGE = "dev"
PRODUCTION_STAGES = frozenset({"prod"})
# Mirrors the fallback of ``chalicelib.config`` so an unconfigured deploy sends from the same address.
DEFAULT_SES_SENDER = "no-reply@jiazheng.example"


@dataclass(frozen=True)
class StageSettings:
    """The settings of one deployed stage (``dev``, ``prod``) of the app.

    Context keys (``cdk -c key=value`` or ``App(context=...)``): ``stage``, ``ses_sender``,
    ``ses_create_identity`` (create the SES domain identity in this stack instead of referring to
    one set up once per account), ``cors_origins`` (comma-separated origins allowed to PUT to and
    GET from presigned bucket URLs).
    """

    name: str
    ses_sender: str
    ses_create_identity: bool
    cors_origins: tuple[str, ...]

    @property
    def is_production(self) -> bool:
        return self.name in PRODUCTION_STAGES

    @property
    def removal_policy(self) -> RemovalPolicy:
        """Stateful resources outlive a deleted production stack."""
        return RemovalPolicy.RETAIN if self.is_production else RemovalPolicy.DESTROY

    @property
    def log_retention(self) -> logs.RetentionDays:
        return logs.RetentionDays.ONE_YEAR if self.is_production else logs.RetentionDays.TWO_WEEKS

    @property
    def stack_name(self) -> str:
        return f"{APP_NAME}-{self.name}"

    def name_of(self, resource: str) -> str:
        """The physical name of a resource of this stage (``jiazheng-<stage>-<resource>``)."""
        return physical_name(self.name, resource)


def _as_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes"}


def _as_origins(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())


def stage_settings(node: Node, stage: str | None = None) -> StageSettings:
    """Settings for ``stage`` (default: the ``stage`` context value, else ``dev``)."""
    name = stage or str(node.try_get_context("stage") or DEFAULT_STAGE)
    chalice_stage_config(name)  # fail early on a stage that .chalice/config.json does not define
    return StageSettings(
        name=name,
        ses_sender=str(node.try_get_context("ses_sender") or DEFAULT_SES_SENDER),
        ses_create_identity=_as_bool(node.try_get_context("ses_create_identity") or False),
        cors_origins=_as_origins(node.try_get_context("cors_origins") or "*"),
    )


def _chalice_config(source_dir: Path) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((source_dir / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return config


def chalice_setting(stage: str, key: str, source_dir: Path = REPO_ROOT) -> Any:
    """A setting of ``.chalice/config.json`` as Chalice looks it up: the stage's, else the top-level one."""
    config = _chalice_config(source_dir)
    value = chalice_stage_config(stage, source_dir).get(key)
    return config.get(key) if value is None else value


def chalice_stage_config(stage: str, source_dir: Path = REPO_ROOT) -> dict[str, Any]:
    """The ``stages.<stage>`` block of ``.chalice/config.json`` (memory, timeout, X-Ray, env)."""
    stages: dict[str, dict[str, Any]] = _chalice_config(source_dir).get("stages", {})
    if stage == "local" or stage not in stages:
        deployable = sorted(name for name in stages if name != "local")
        raise ValueError(f"unknown stage {stage!r}: .chalice/config.json deploys {deployable}")
    return dict(stages[stage])
