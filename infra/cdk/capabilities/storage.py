"""Private S3 buckets, one per ``resources.BUCKETS`` spec."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from chalicelib.resources import BUCKETS, BucketSpec
from infra.cdk.stage import StageSettings

__all__ = ["Storage"]

PRESIGNED_URL_MAX_AGE = Duration.hours(1)
ABORT_INCOMPLETE_UPLOADS_AFTER = Duration.days(7)


class Storage(Construct):
    """Encrypted, non-public, TLS-only buckets that apps reach only through presigned URLs.

    Bucket names are global, so CloudFormation generates them; the functions get them through
    each spec's ``env_var``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        specs: Sequence[BucketSpec] = BUCKETS,
    ) -> None:
        super().__init__(scope, construct_id)
        self.buckets: dict[str, s3.Bucket] = {}
        for spec in specs:
            rules = [s3.LifecycleRule(abort_incomplete_multipart_upload_after=ABORT_INCOMPLETE_UPLOADS_AFTER)]
            if spec.expire_days:
                rules.append(s3.LifecycleRule(expiration=Duration.days(spec.expire_days)))
            self.buckets[spec.name] = s3.Bucket(
                self,
                f"{spec.name.title()}Bucket",
                encryption=s3.BucketEncryption.S3_MANAGED,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                enforce_ssl=True,
                minimum_tls_version=1.2,
                lifecycle_rules=rules,
                cors=[
                    s3.CorsRule(
                        allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
                        allowed_origins=list(settings.cors_origins),
                        allowed_headers=["*"],
                        exposed_headers=["ETag"],
                        max_age=int(PRESIGNED_URL_MAX_AGE.to_seconds()),
                    )
                ],
                removal_policy=settings.removal_policy,
            )
        self._specs = tuple(specs)

    @property
    def environment(self) -> Mapping[str, str]:
        return {spec.env_var: self.buckets[spec.name].bucket_name for spec in self._specs}

    def grant_app(self, grantee: iam.IGrantable) -> None:
        """Object reads and writes (what presigned GET and PUT URLs are signed with)."""
        for bucket in self.buckets.values():
            bucket.grant_read_write(grantee)
