"""Operations: CloudWatch alarms on what operators must act on, and one dashboard.

Alarms (each also a widget of the ``<stack>-operations`` dashboard):

- the API's 5xx rate (API Gateway ``5XXError`` average over 5 minutes above 1 %);
- the API's p99 latency (API Gateway ``Latency`` p99 above 3 s for 3 of 5 minutes);
- Lambda throttles of any of the app's functions;
- payment failures: refunds the provider refused, refunds escalated by the saga, payouts that
  failed (``PayoutsFailed``, emitted by the payouts code), and staff writes without an audit
  entry (the app's own Powertools metrics, namespace ``Jiazheng``);
- the dead-letter queues already have one alarm each (``messaging.QueueWithDlq``); the dashboard
  shows their depth.

The REST API gets the stack's name, so the API Gateway metrics of two stages in one account
never mix. The API's role may read the dead-letter queues' depth, which ``GET
/v1/admin/alerts`` shows.
"""

from __future__ import annotations

from aws_cdk import CfnResource, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from infra.cdk.capabilities.api import API_HANDLER, SAM_API, ChaliceApi
from infra.cdk.capabilities.messaging import Messaging
from infra.cdk.stage import StageSettings

__all__ = ["APP_METRICS_NAMESPACE", "FAILURE_METRICS", "Operations"]

APP_METRICS_NAMESPACE = "Jiazheng"
FAILURE_METRICS = ("RefundsRefused", "RefundEscalations", "PayoutsFailed", "UnauditedStaffWrites")
API_STAGE = "api"


class Operations(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        api: ChaliceApi,
        messaging: Messaging,
    ) -> None:
        super().__init__(scope, construct_id)
        api_name = settings.stack_name
        for child in api.chalice.sam_template.node.children:
            if CfnResource.is_cfn_resource(child) and getattr(child, "cfn_resource_type", "") == SAM_API:
                child.add_property_override("Name", api_name)
        for item in messaging.queues.values():
            item.dlq.grant(api.roles[API_HANDLER], "sqs:GetQueueAttributes")

        dimensions = {"ApiName": api_name, "Stage": API_STAGE}
        server_errors = cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name="5XXError",
            dimensions_map=dimensions,
            statistic=cloudwatch.Stats.AVERAGE,
            period=Duration.minutes(5),
        )
        latency = cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name="Latency",
            dimensions_map=dimensions,
            statistic=cloudwatch.Stats.percentile(99),
            period=Duration.minutes(1),
        )
        self.alarms: dict[str, cloudwatch.Alarm] = {
            "Api5xxRate": cloudwatch.Alarm(
                self,
                "Api5xxRate",
                alarm_description=f"{api_name}: more than 1 % of API requests answer 5xx.",
                metric=server_errors,
                threshold=0.01,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            "ApiLatencyP99": cloudwatch.Alarm(
                self,
                "ApiLatencyP99",
                alarm_description=f"{api_name}: p99 API latency above 3 s.",
                metric=latency,
                threshold=3000,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=5,
                datapoints_to_alarm=3,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
        }
        throttles = []
        for logical_id in sorted(api.functions):
            metric = api.chalice.get_function(logical_id).metric_throttles(
                period=Duration.minutes(5), statistic=cloudwatch.Stats.SUM
            )
            throttles.append(metric)
            self.alarms[f"{logical_id}Throttles"] = cloudwatch.Alarm(
                self,
                f"{logical_id}Throttles",
                alarm_description=f"{api_name}: {logical_id} is throttled.",
                metric=metric,
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        failures = []
        for name in FAILURE_METRICS:
            metric = cloudwatch.Metric(
                namespace=APP_METRICS_NAMESPACE,
                metric_name=name,
                dimensions_map={"service": "jiazheng"},
                statistic=cloudwatch.Stats.SUM,
                period=Duration.minutes(5),
            )
            failures.append(metric)
            self.alarms[name] = cloudwatch.Alarm(
                self,
                name,
                alarm_description=f"{api_name}: {name} (see docs/operations.md).",
                metric=metric,
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        dead_letters = [
            item.dlq.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM, label=f"{name}-dlq"
            )
            for name, item in messaging.queues.items()
        ]
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{api_name}-operations",
            widgets=[
                [
                    cloudwatch.GraphWidget(title="API 5xx rate", left=[server_errors], width=8),
                    cloudwatch.GraphWidget(title="API latency p99 (ms)", left=[latency], width=8),
                    cloudwatch.GraphWidget(title="Lambda throttles", left=throttles, width=8),
                ],
                [
                    cloudwatch.GraphWidget(title="Dead letters", left=dead_letters, width=12),
                    cloudwatch.GraphWidget(
                        title="Payment, payout and audit failures", left=failures, width=12
                    ),
                ],
                [cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms.values()), width=24)],
            ],
        )
