"""Recurring EventBridge Scheduler schedules of ``resources.SCHEDULES``, each invoking one app function.

The daily payout run (02:00 Asia/Shanghai) is the first: Scheduler invokes ``payout_run_starter``
with ``{"scheduled_time": <aws.scheduler.scheduled-time>}``, and the function starts that date's
execution under a name of its own (Scheduler cannot name a Step Functions execution), so a
repeated delivery starts nothing. Scheduler's role may invoke exactly those functions; failed
deliveries are retried for an hour. The local runner fires the same specs by the local clock.
"""

from __future__ import annotations

import json

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from chalicelib.resources import SCHEDULED_TIME, SCHEDULES, ScheduleSpec
from infra.cdk.capabilities.api import ChaliceApi
from infra.cdk.stage import StageSettings

__all__ = ["RecurringSchedules"]


def _title(name: str) -> str:
    return "".join(part.title() for part in name.replace("-", "_").split("_"))


class RecurringSchedules(Construct):
    """One Scheduler schedule per spec, targeting the app's function with its own invoke-only role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        api: ChaliceApi,
        specs: tuple[ScheduleSpec, ...] = SCHEDULES,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description=f"EventBridge Scheduler invoking the recurring jobs of {settings.stack_name}",
        )
        self.schedules: dict[str, scheduler.CfnSchedule] = {}
        for spec in specs:
            function = api.function(spec.function)
            function.grant_invoke(self.role)
            self.schedules[spec.name] = scheduler.CfnSchedule(
                self,
                _title(spec.name),
                name=settings.name_of(spec.name),
                description=f"{spec.expression} {spec.timezone}: {spec.handler}",
                schedule_expression=spec.expression,
                schedule_expression_timezone=spec.timezone,
                flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
                state="ENABLED",
                target=scheduler.CfnSchedule.TargetProperty(
                    arn=function.function_arn,
                    role_arn=self.role.role_arn,
                    input=json.dumps({"scheduled_time": SCHEDULED_TIME}),
                    retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                        maximum_event_age_in_seconds=3600, maximum_retry_attempts=10
                    ),
                ),
            )
