"""What every capability offers the app's Lambda functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from aws_cdk import aws_iam as iam

__all__ = ["AppCapability"]


@runtime_checkable
class AppCapability(Protocol):
    """Resources the app's functions use: the env vars that name them and the grants to use them.

    ``environment`` follows the contract of ``chalicelib.config``; ``grant_app`` gives a function's
    role exactly the access the app code needs, scoped to these resources.
    """

    @property
    def environment(self) -> Mapping[str, str]: ...

    def grant_app(self, grantee: iam.IGrantable) -> None: ...
