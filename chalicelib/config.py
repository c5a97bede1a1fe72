"""Settings read from the environment, once per process.

Only configuration differs between the local stage and AWS: resource names arrive as environment
variables (set by CDK on Lambda, by ``local/`` for ``chalice local``), endpoints of the local AWS
stand-ins through boto3's own ``AWS_ENDPOINT_URL_<SERVICE>`` variables, and secrets through
one Secrets Manager secret (``APP_SECRET_ID``, read with Powertools Parameters) when deployed or
the ``APP_SECRETS_JSON`` variable on the local stage.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache

from chalicelib.resources import (
    BUCKETS,
    EVENT_BUS,
    EVENT_BUS_ENV_VAR,
    KEYS,
    QUEUES,
    SCHEDULE_GROUP,
    SCHEDULE_GROUP_ENV_VAR,
    SCHEDULER_ROLE_ENV_VAR,
    TABLES,
    key_alias,
    physical_name,
)

__all__ = ["Settings", "settings"]


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    """Process-wide configuration. Build it with :func:`settings`."""

    stage: str
    region: str
    table_name: str
    idempotency_table_name: str
    event_bus_name: str
    queue_urls: dict[str, str]
    queue_arns: dict[str, str]  # queues whose ARN the app hands to others (Scheduler targets)
    schedule_group: str
    scheduler_role_arn: str
    buckets: dict[str, str]
    kms_keys: dict[str, str]
    app_secret_id: str
    local_secrets: dict[str, str] = field(repr=False)
    ses_sender: str
    oidc_providers: dict[str, dict[str, str]]
    local_clock_file: str
    access_token_minutes: int = 15
    refresh_token_days: int = 30

    @property
    def is_local(self) -> bool:
        return self.stage == "local"


def _load() -> Settings:
    stage = _env("STAGE", "dev")
    names = {spec.name: _env(spec.env_var, physical_name(stage, spec.name)) for spec in TABLES}
    return Settings(
        stage=stage,
        region=_env("AWS_REGION", _env("AWS_DEFAULT_REGION", "ap-southeast-1")),
        table_name=names["main"],
        idempotency_table_name=names["idempotency"],
        event_bus_name=_env(EVENT_BUS_ENV_VAR, physical_name(stage, EVENT_BUS)),
        queue_urls={spec.name: _env(spec.env_var) for spec in QUEUES},
        queue_arns={spec.name: _env(spec.arn_env_var) for spec in QUEUES if spec.arn_env_var},
        schedule_group=_env(SCHEDULE_GROUP_ENV_VAR, physical_name(stage, SCHEDULE_GROUP)),
        scheduler_role_arn=_env(SCHEDULER_ROLE_ENV_VAR),
        buckets={spec.name: _env(spec.env_var, physical_name(stage, spec.name)) for spec in BUCKETS},
        kms_keys={spec.name: _env(spec.env_var, key_alias(stage, spec.name)) for spec in KEYS},
        app_secret_id=_env("APP_SECRET_ID"),
        local_secrets=json.loads(_env("APP_SECRETS_JSON", "{}")),
        ses_sender=_env("SES_SENDER", "no-reply@jiazheng.example"),
        oidc_providers=json.loads(_env("OIDC_PROVIDERS", "{}")),
        local_clock_file=_env("LOCAL_CLOCK_FILE"),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The settings of this process (tests clear the cache after changing the environment)."""
    return _load()
