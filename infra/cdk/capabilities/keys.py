"""KMS keys for field-level encryption, one per ``chalicelib.resources.KEYS`` spec."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from chalicelib.resources import KEYS, KeySpec, key_alias
from infra.cdk.stage import StageSettings

__all__ = ["Keys"]


class Keys(Construct):
    """Symmetric keys with yearly rotation, named by their alias; the app may encrypt and decrypt."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        specs: tuple[KeySpec, ...] = KEYS,
    ) -> None:
        super().__init__(scope, construct_id)
        self.keys: dict[str, kms.Key] = {}
        self._env: dict[str, str] = {}
        for spec in specs:
            alias = key_alias(settings.name, spec.name)
            key = kms.Key(
                self,
                "".join(part.title() for part in spec.name.split("_")),
                alias=alias,
                description=f"{settings.stack_name} {spec.name} field encryption",
                enable_key_rotation=True,
                rotation_period=Duration.days(365),
                removal_policy=settings.removal_policy,
            )
            self.keys[spec.name] = key
            self._env[spec.env_var] = key.key_arn

    @property
    def environment(self) -> Mapping[str, str]:
        return dict(self._env)

    def grant_app(self, grantee: iam.IGrantable) -> None:
        for key in self.keys.values():
            key.grant_encrypt_decrypt(grantee)
