"""The Step Functions workflows of ``resources.WORKFLOWS``: Standard state machines from their ASL files.

Two constructs, because the app and the state machines need each other: the app's functions
carry each state machine's ARN (and may start executions of it), and the state machines invoke
one of the app's functions. :class:`Workflows` is the app's capability: it fixes each state
machine's name, so its ARN is known (built from the stack's partition, region and account, not
a reference to the resource) before the app is built. :class:`WorkflowStateMachines`, made
after the app, creates the state machines under those names from the ASL files, with the task
functions' ARNs as DefinitionSubstitutions, a role that may invoke only those functions, logs
without execution data, X-Ray when the app traces, and an alarm on failed or timed-out runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import ArnFormat, Aws, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from chalicelib.resources import WORKFLOWS, WorkflowSpec
from chalicelib.workflows.definitions import definition_path, substitutions
from infra.cdk.capabilities.api import ChaliceApi
from infra.cdk.stage import StageSettings

__all__ = ["WorkflowStateMachines", "Workflows"]


def _title(name: str) -> str:
    return "".join(part.title() for part in name.replace("-", "_").split("_"))


class Workflows(Construct):
    """The names and ARNs of the state machines, their env vars, and the app's right to start them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        specs: Sequence[WorkflowSpec] = WORKFLOWS,
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        self.specs = tuple(specs)
        stack = Stack.of(self)
        self.names = {spec.name: settings.name_of(spec.name) for spec in self.specs}
        self.arns = {
            spec.name: stack.format_arn(
                service="states",
                resource="stateMachine",
                resource_name=self.names[spec.name],
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            for spec in self.specs
        }

    @property
    def environment(self) -> Mapping[str, str]:
        return {spec.env_var: self.arns[spec.name] for spec in self.specs}

    def grant_app(self, grantee: iam.IGrantable) -> None:
        """Start executions of these state machines (nothing else: no stop, no other machine)."""
        if self.arns:
            iam.Grant.add_to_principal(
                grantee=grantee, actions=["states:StartExecution"], resource_arns=list(self.arns.values())
            )


class WorkflowStateMachines(Construct):
    """One Standard state machine per spec of ``workflows``, running tasks on the app's functions."""

    def __init__(self, scope: Construct, construct_id: str, *, workflows: Workflows, api: ChaliceApi) -> None:
        super().__init__(scope, construct_id)
        settings = workflows.settings
        self.state_machines: dict[str, sfn.StateMachine] = {}
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for spec in workflows.specs:
            title, name = _title(spec.name), workflows.names[spec.name]
            functions = {function.name: api.function(function.name) for function in spec.functions}
            log_group = logs.LogGroup(
                self,
                f"{title}Logs",
                log_group_name=f"/aws/vendedlogs/states/{name}",
                retention=settings.log_retention,
                removal_policy=settings.removal_policy,
            )
            machine = sfn.StateMachine(
                self,
                title,
                state_machine_name=name,
                state_machine_type=sfn.StateMachineType.STANDARD,
                definition_body=sfn.DefinitionBody.from_string(
                    definition_path(spec).read_text(encoding="utf-8")
                ),
                definition_substitutions=substitutions(
                    spec, Aws.PARTITION, {key: function.function_arn for key, function in functions.items()}
                ),
                logs=sfn.LogOptions(
                    destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False
                ),
                tracing_enabled=api.tracing,
            )
            for function in functions.values():
                function.grant_invoke(machine)
            self.state_machines[spec.name] = machine
            self.alarms[spec.name] = cloudwatch.Alarm(
                self,
                f"{title}Failing",
                alarm_description=(
                    f"Executions of {name} failed or timed out: see the ops alerts and the execution history."
                ),
                metric=cloudwatch.MathExpression(
                    expression="failed + timedOut",
                    using_metrics={
                        "failed": machine.metric_failed(statistic=cloudwatch.Stats.SUM),
                        "timedOut": machine.metric_timed_out(statistic=cloudwatch.Stats.SUM),
                    },
                    period=Duration.minutes(5),
                ),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
