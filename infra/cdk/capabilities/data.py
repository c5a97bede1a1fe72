"""DynamoDB tables, one per ``resources.TABLES`` spec."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from chalicelib.resources import TABLES, TableSpec
from infra.cdk.capabilities.audit_guard import deny_audit_changes
from infra.cdk.stage import StageSettings

__all__ = ["Data"]


def _string_key(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class Data(Construct):
    """On-demand tables with point-in-time recovery, TTL and their GSIs (all attributes projected)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        specs: Sequence[TableSpec] = TABLES,
    ) -> None:
        super().__init__(scope, construct_id)
        self.tables: dict[str, dynamodb.Table] = {}
        for spec in specs:
            table = dynamodb.Table(
                self,
                f"{spec.name.title()}Table",
                table_name=settings.name_of(spec.name),
                partition_key=_string_key(spec.partition_key),
                sort_key=_string_key(spec.sort_key) if spec.sort_key else None,
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                encryption=dynamodb.TableEncryption.AWS_MANAGED,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                time_to_live_attribute=spec.ttl_attribute,
                stream=dynamodb.StreamViewType[spec.stream_view] if spec.stream_view else None,
                deletion_protection=settings.is_production,
                removal_policy=settings.removal_policy,
            )
            for index in spec.indexes:
                table.add_global_secondary_index(
                    index_name=index.name,
                    partition_key=_string_key(index.partition_key),
                    sort_key=_string_key(index.sort_key),
                    projection_type=dynamodb.ProjectionType.ALL,
                )
            self.tables[spec.name] = table
        self._specs = tuple(specs)

    @property
    def environment(self) -> Mapping[str, str]:
        return {spec.env_var: self.tables[spec.name].table_name for spec in self._specs if spec.env_var}

    def grant_app(self, grantee: iam.IGrantable) -> None:
        """Item reads and writes (transactions included) on the tables and their indexes; audit items append-only."""
        for table in self.tables.values():
            table.grant_read_write_data(grantee)
        if "main" in self.tables:
            deny_audit_changes(self.tables["main"], grantee)
