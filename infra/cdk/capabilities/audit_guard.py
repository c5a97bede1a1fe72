"""The audit log is append-only in IAM too: no function may change or delete an ``AUDIT#`` item.

The app writes audit entries with a "must not exist" condition; this explicit Deny (which beats
any Allow) makes sure no code path, bug or borrowed role can update or delete one afterwards:
``dynamodb:LeadingKeys`` is the partition key of each item a request touches, for single-item
calls, batch writes, each item of a TransactWriteItems and PartiQL statements alike.
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam

__all__ = ["AUDIT_CHANGE_ACTIONS", "AUDIT_PREFIX", "deny_audit_changes"]

AUDIT_PREFIX = "AUDIT#"
"""``chalicelib.audit.AUDIT_PREFIX`` (a test keeps the two equal; CDK does not import the app's data layer)."""

AUDIT_CHANGE_ACTIONS = (
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
)


def deny_audit_changes(table: dynamodb.ITable, grantee: iam.IGrantable) -> None:
    """Add the Deny on changes to audit items of ``table`` to ``grantee``'s policy."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            sid="AuditLogIsAppendOnly",
            effect=iam.Effect.DENY,
            actions=list(AUDIT_CHANGE_ACTIONS),
            resources=[table.table_arn],
            conditions={"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": [f"{AUDIT_PREFIX}*"]}},
        )
    )
