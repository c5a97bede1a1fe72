"""The Jiazheng stack of one stage: it only composes the capability constructs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Stack, Tags
from constructs import Construct

from chalicelib.resources import APP_NAME
from infra.cdk.capabilities import (
    AnalyticsLake,
    AppSecrets,
    ChaliceApi,
    Data,
    Keys,
    Messaging,
    Notifications,
    Operations,
    QueueConsumers,
    RecurringSchedules,
    Storage,
    StreamConsumers,
    Timers,
    Workflows,
    WorkflowStateMachines,
)
from infra.cdk.stage import REPO_ROOT, StageSettings

__all__ = ["JiazhengStack"]


class JiazhengStack(Stack):
    """Tables, bus and queues, buckets, secret and notifications, and the Chalice app using them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        source_dir: Path = REPO_ROOT,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.data = Data(self, "Data", settings=settings)
        self.messaging = Messaging(self, "Messaging", settings=settings)
        self.storage = Storage(self, "Storage", settings=settings)
        self.secrets = AppSecrets(self, "Secrets", settings=settings)
        self.notifications = Notifications(self, "Notifications", settings=settings)
        self.keys = Keys(self, "Keys", settings=settings)
        self.timers = Timers(self, "Timers", settings=settings, messaging=self.messaging)
        self.workflows = Workflows(self, "Workflows", settings=settings)
        self.api = ChaliceApi(
            self,
            "Api",
            settings=settings,
            source_dir=source_dir,
            capabilities=[
                self.data,
                self.messaging,
                self.storage,
                self.secrets,
                self.notifications,
                self.keys,
                self.timers,
                self.workflows,
            ],
        )
        self.consumers = QueueConsumers(self, "Consumers", messaging=self.messaging, api=self.api)
        self.stream_consumers = StreamConsumers(
            self, "StreamConsumers", data=self.data, api=self.api, settings=settings
        )
        self.state_machines = WorkflowStateMachines(
            self, "StateMachines", workflows=self.workflows, api=self.api
        )
        self.operations = Operations(
            self, "Operations", settings=settings, api=self.api, messaging=self.messaging
        )
        self.schedules = RecurringSchedules(self, "Schedules", settings=settings, api=self.api)
        self.lake = AnalyticsLake(self, "Lake", settings=settings, storage=self.storage)
        Tags.of(self).add("app", APP_NAME)
        Tags.of(self).add("stage", settings.name)
