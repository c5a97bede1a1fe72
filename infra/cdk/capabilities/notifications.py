"""Email through SES from the app's sender, SMS through SNS."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra.cdk.stage import StageSettings

__all__ = ["SES_SENDER_ENV_VAR", "Notifications"]

SES_SENDER_ENV_VAR = "SES_SENDER"


class Notifications(Construct):
    """Send-only access to the sender's SES identity and to SNS SMS.

    The SES identity is the sender's domain. It is account-wide, so by default the stack only
    refers to it (it is verified once per account and region); context ``ses_create_identity``
    makes this stack create it (with Easy DKIM; publish the DKIM records it outputs).
    """

    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings) -> None:
        super().__init__(scope, construct_id)
        self.sender = settings.ses_sender
        _, _, domain = self.sender.rpartition("@")
        if not domain:
            raise ValueError(f"ses_sender must be an email address, got {self.sender!r}")
        if settings.ses_create_identity:
            identity = ses.EmailIdentity(self, "SenderIdentity", identity=ses.Identity.domain(domain))
            self.identity_arn = identity.email_identity_arn
        else:
            self.identity_arn = Stack.of(self).format_arn(
                service="ses", resource="identity", resource_name=domain
            )

    @property
    def environment(self) -> Mapping[str, str]:
        return {SES_SENDER_ENV_VAR: self.sender}

    def grant_app(self, grantee: iam.IGrantable) -> None:
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["ses:SendEmail", "ses:SendRawEmail"],
            resource_arns=[self.identity_arn],
            conditions={"StringEquals": {"ses:FromAddress": self.sender}},
        )
        # SMS goes to phone numbers, which have no ARN: allow publishing to anything but a topic.
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sns:Publish"],
                not_resources=[f"arn:{Aws.PARTITION}:sns:*:*:*"],
            )
        )
