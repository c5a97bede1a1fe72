"""The Chalice app (REST API and Lambda functions) with one least-privilege role per function."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import CfnResource
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from chalice.cdk import Chalice
from chalice.utils import to_cfn_resource_name
from constructs import Construct, IConstruct

from infra.cdk.capabilities.base import AppCapability
from infra.cdk.stage import REPO_ROOT, StageSettings, chalice_setting, chalice_stage_config

__all__ = ["API_HANDLER", "ChaliceApi", "policy_of"]

# The logical id ``chalice package`` gives the function behind the REST API.
API_HANDLER = "APIHandler"
SAM_FUNCTION = "AWS::Serverless::Function"
SAM_API = "AWS::Serverless::Api"
STAGE_ENV_VAR = "STAGE"
# The CJK font the PDFs embed (``chalicelib.reports.fonts``): 4 MB, installed by the Makefile
# (Debian's fonts-droid-fallback), shipped in a layer that Lambda unpacks to /opt/fonts/.
REPORT_FONT = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
REPORT_FONT_LAYER_DIR = REPO_ROOT / ".local" / "layers" / "report-fonts"


def report_fonts_layer(scope: Construct, font: Path = REPORT_FONT) -> lambda_.LayerVersion:
    """A layer with the font at ``/opt/fonts/<name>``, where ``chalicelib.reports.fonts`` looks."""
    if not font.is_file():
        raise FileNotFoundError(
            f"{font} is missing: PDFs embed it from a Lambda layer. Install it with "
            "`apt-get install fonts-droid-fallback` (make does), then synthesize again."
        )
    folder = REPORT_FONT_LAYER_DIR / "fonts"
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / font.name).is_file() or (folder / font.name).stat().st_size != font.stat().st_size:
        shutil.copyfile(font, folder / font.name)
    return lambda_.LayerVersion(
        scope,
        "ReportFonts",
        code=lambda_.Code.from_asset(str(REPORT_FONT_LAYER_DIR)),
        description="CJK TrueType font embedded in PDF reports (Droid Sans Fallback, Apache 2.0)",
    )


@contextlib.contextmanager
def _packaging(source_dir: Path) -> Iterator[None]:
    """Run ``chalice package`` of ``source_dir`` in a throwaway folder, then undo its side effects.

    ``chalice.cdk.Chalice`` writes its package (a SAM template and a zip of tens of MB) to
    ``./chalice.out/<uuid>`` of the current directory. Both are read while the construct is built
    (the zip is staged into the cloud assembly as an asset), so nothing needs them afterwards.
    Chalice imports the app as the top-level module ``app``, so ``source_dir`` goes first on
    ``sys.path`` (else ``cdk synth``, run in ``infra/cdk``, would find ``infra/cdk/app.py``). It
    also copies the stage's env vars (CDK tokens here) into ``os.environ`` before that import;
    they must not leak into whatever runs next in this process.
    """
    environ = dict(os.environ)
    path = list(sys.path)
    sys.path.insert(0, str(source_dir))
    try:
        with tempfile.TemporaryDirectory(prefix="chalice-package-") as folder, contextlib.chdir(folder):
            yield
    finally:
        os.environ.clear()
        os.environ.update(environ)
        sys.path[:] = path


def policy_of(role: iam.Role) -> IConstruct:
    """The default policy of ``role``, which every grant to it adds statements to.

    Depend on it (not on the role: ``Fn::GetAtt`` of the role already orders that) wherever
    CloudFormation checks the permissions while creating a resource.
    """
    policy = role.node.try_find_child("DefaultPolicy")
    if policy is None:
        raise ValueError(f"{role.node.path} has no policy yet: grant something to it first")
    return policy


def merged_environment(settings: StageSettings, capabilities: Sequence[AppCapability]) -> dict[str, str]:
    """The env vars naming every resource, refusing two capabilities that claim the same name."""
    environment = {STAGE_ENV_VAR: settings.name}
    for capability in capabilities:
        for key, value in capability.environment.items():
            if key in environment:
                raise ValueError(f"env var {key} is set by two capabilities")
            environment[key] = value
    return environment


class ChaliceApi(Construct):
    """``chalice package`` of the app at ``source_dir``, imported into the stack.

    Stage settings (memory, timeout, X-Ray, env) come from ``.chalice/config.json``; CDK adds the
    env vars of every capability. Chalice does not manage roles (``manage_iam_role: false``):
    every function of the app gets its own role here, with the grants of each capability, write
    access to its own log group (retention per stage) and X-Ray when tracing is on.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        capabilities: Sequence[AppCapability],
        source_dir: Path = REPO_ROOT,
    ) -> None:
        super().__init__(scope, construct_id)
        self._settings = settings
        self._capabilities = tuple(capabilities)
        stage_config = chalice_stage_config(settings.name, source_dir)
        self.tracing = bool(chalice_setting(settings.name, "xray", source_dir))
        self.environment = merged_environment(settings, capabilities)
        self.roles: dict[str, iam.Role] = {API_HANDLER: self._new_role(API_HANDLER)}
        with _packaging(source_dir):
            self.chalice = Chalice(
                self,
                "App",
                source_dir=str(source_dir),
                stage_config={
                    **stage_config,
                    "environment_variables": {
                        **stage_config.get("environment_variables", {}),
                        **self.environment,
                    },
                    "manage_iam_role": False,
                    "iam_role_arn": self.roles[API_HANDLER].role_arn,
                },
            )
        self.functions = self._sam_resources(SAM_FUNCTION)
        self.fonts = report_fonts_layer(self)
        # Per-function settings of .chalice/config.json (``stages.<stage>.lambda_functions``), which
        # ``chalice package`` ignores when handed a stage config: e.g. the 15-minute exports consumer.
        for name, overrides in stage_config.get("lambda_functions", {}).items():
            packaged = self.functions.get(self.logical_id(name))
            for key, prop in (("lambda_timeout", "Timeout"), ("lambda_memory_size", "MemorySize")):
                if packaged is not None and key in overrides:
                    packaged.add_property_override(prop, overrides[key])
        self.log_groups: dict[str, logs.LogGroup] = {}
        for logical_id, function in self.functions.items():
            self._configure_function(logical_id, function)
        if self.tracing:
            for api in self._sam_resources(SAM_API).values():
                api.add_property_override("TracingEnabled", True)

    def _new_role(self, logical_id: str) -> iam.Role:
        return iam.Role(
            self,
            f"{logical_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{logical_id} of {self._settings.stack_name}",
        )

    def _sam_resources(self, resource_type: str) -> dict[str, CfnResource]:
        found: dict[str, CfnResource] = {}
        for child in self.chalice.sam_template.node.children:
            if CfnResource.is_cfn_resource(child):
                resource: Any = child
                if resource.cfn_resource_type == resource_type:
                    found[child.node.id] = resource
        return found

    def _configure_function(self, logical_id: str, function: CfnResource) -> None:
        role = self.roles.get(logical_id) or self._new_role(logical_id)
        self.roles[logical_id] = role
        function.add_property_override("Role", role.role_arn)
        function.add_property_override("Layers", [self.fonts.layer_version_arn])
        log_group = logs.LogGroup(
            self,
            f"{logical_id}Logs",
            log_group_name=f"/aws/lambda/{self._settings.stack_name}-{logical_id}",
            retention=self._settings.log_retention,
            removal_policy=self._settings.removal_policy,
        )
        function.add_property_override("LoggingConfig", {"LogGroup": log_group.log_group_name})
        log_group.grant_write(role)
        self.log_groups[logical_id] = log_group
        if self.tracing:
            # X-Ray has no resource-level permissions: "*" is the only possible resource.
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]
                )
            )
        for capability in self._capabilities:
            capability.grant_app(role)
        # The function must not run before its permissions exist.
        function.node.add_dependency(policy_of(role))

    @staticmethod
    def logical_id(function_name: str) -> str:
        """The logical id of ``@app.lambda_function(name=function_name)`` in the packaged template."""
        return to_cfn_resource_name(function_name)

    def function(self, function_name: str) -> lambda_.IFunction:
        """The function the app registers with ``@app.lambda_function(name=function_name)``."""
        logical_id = self.logical_id(function_name)
        if logical_id not in self.functions:
            raise ValueError(
                f"app.py registers no @app.lambda_function(name={function_name!r}) "
                f"(packaged functions: {sorted(self.functions)})"
            )
        return self.chalice.get_function(logical_id)

    def role(self, function_name: str) -> iam.Role:
        """The role of the function registered as ``function_name``."""
        self.function(function_name)
        return self.roles[self.logical_id(function_name)]
