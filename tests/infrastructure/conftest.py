"""One synthesized CDK app (stacks for ``dev`` and ``prod``) shared by the infrastructure tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

REPO_ROOT = Path(__file__).absolute().parents[2]
# ``infra`` and ``chalicelib`` import from the repo root, however pytest was started.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

if TYPE_CHECKING:
    from aws_cdk.assertions import Template

    from infra.cdk.stack import JiazhengStack

STAGES = ("dev", "prod")


@pytest.fixture(scope="session")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, JiazhengStack]:
    """The stacks of both stages, built once (``chalice package`` of the real app included)."""
    from infra.cdk.app import build_app

    _, built = build_app(STAGES, outdir=tmp_path_factory.mktemp("cdk.out"))
    return built


@pytest.fixture(scope="session")
def templates(stacks: dict[str, JiazhengStack]) -> dict[str, Template]:
    from aws_cdk.assertions import Template

    return {stage: Template.from_stack(stack) for stage, stack in stacks.items()}


@pytest.fixture(scope="session")
def template(templates: dict[str, Template]) -> Template:
    """The ``dev`` template, which most tests look at."""
    return templates["dev"]


@pytest.fixture(scope="session")
def resources(template: Template) -> dict[str, dict[str, Any]]:
    """The ``Resources`` of the ``dev`` template as plain JSON, for checks across resources."""
    raw: dict[str, dict[str, Any]] = template.to_json()["Resources"]
    return raw
