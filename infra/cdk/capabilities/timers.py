"""The EventBridge Scheduler group of the app's one-time timers and the role Scheduler sends with.

The app creates ``at()`` schedules in the group at run time (``chalicelib.orders.timers``); each
delivers its input to a queue, as the role made here (assumed by ``scheduler.amazonaws.com``,
allowed to send to those queues only). The app may manage schedules of this group only and pass
only this role.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from chalicelib.resources import SCHEDULE_GROUP, SCHEDULE_GROUP_ENV_VAR, SCHEDULER_ROLE_ENV_VAR
from infra.cdk.capabilities.messaging import Messaging
from infra.cdk.stage import StageSettings

__all__ = ["Timers"]


class Timers(Construct):
    """Schedule group + Scheduler's role; gives the app the right to set timers on the queues that take them."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: StageSettings, messaging: Messaging
    ) -> None:
        super().__init__(scope, construct_id)
        self.group = scheduler.CfnScheduleGroup(self, "Group", name=settings.name_of(SCHEDULE_GROUP))
        self.role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description=f"EventBridge Scheduler delivering the timers of {settings.stack_name}",
        )
        for item in messaging.queues.values():
            if item.spec.arn_env_var:
                item.queue.grant_send_messages(self.role)
        self._messaging = messaging

    @property
    def environment(self) -> Mapping[str, str]:
        env = {SCHEDULE_GROUP_ENV_VAR: self.group.ref, SCHEDULER_ROLE_ENV_VAR: self.role.role_arn}
        env.update(
            {
                item.spec.arn_env_var: item.queue.queue_arn
                for item in self._messaging.queues.values()
                if item.spec.arn_env_var
            }
        )
        return env

    def grant_app(self, grantee: iam.IGrantable) -> None:
        """Create, read and delete schedules of the group, and hand Scheduler its role."""
        stack = Stack.of(self)
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["scheduler:CreateSchedule", "scheduler:GetSchedule", "scheduler:DeleteSchedule"],
                resources=[
                    stack.format_arn(
                        service="scheduler", resource="schedule", resource_name=f"{self.group.ref}/*"
                    )
                ],
            )
        )
        self.role.grant_pass_role(grantee)
