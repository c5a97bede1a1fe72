"""One construct per capability of the app; the stack only composes them."""

from infra.cdk.capabilities.api import ChaliceApi
from infra.cdk.capabilities.base import AppCapability
from infra.cdk.capabilities.consumers import QueueConsumers, StreamConsumers
from infra.cdk.capabilities.data import Data
from infra.cdk.capabilities.keys import Keys
from infra.cdk.capabilities.lake import AnalyticsLake
from infra.cdk.capabilities.messaging import Messaging
from infra.cdk.capabilities.notifications import Notifications
from infra.cdk.capabilities.operations import Operations
from infra.cdk.capabilities.schedules import RecurringSchedules
from infra.cdk.capabilities.secrets import AppSecrets
from infra.cdk.capabilities.storage import Storage
from infra.cdk.capabilities.timers import Timers
from infra.cdk.capabilities.workflows import Workflows, WorkflowStateMachines

__all__ = [
    "AnalyticsLake",
    "AppCapability",
    "AppSecrets",
    "ChaliceApi",
    "Data",
    "Keys",
    "Messaging",
    "Notifications",
    "Operations",
    "QueueConsumers",
    "RecurringSchedules",
    "Storage",
    "StreamConsumers",
    "Timers",
    "WorkflowStateMachines",
    "Workflows",
]
