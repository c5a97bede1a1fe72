"""The ASL files of the workflows, and the ``${Name}`` substitution applied to them.

One file per state machine is the whole definition: CDK deploys it with CloudFormation's
``DefinitionSubstitutions`` (the ARNs of the task functions, the partition) and the local stack
creates it in moto after :func:`substitute` replaced the same placeholders, so what runs locally
is what is deployed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from chalicelib.resources import WorkflowSpec

__all__ = ["PARTITION", "WORKFLOWS_DIR", "definition_path", "placeholders", "substitute", "substitutions"]

WORKFLOWS_DIR = Path(__file__).absolute().parent
PARTITION = "Partition"
"""The placeholder of the AWS partition (``aws``, ``aws-cn``) in service integration ARNs."""

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def definition_path(spec: WorkflowSpec) -> Path:
    """The ASL file of ``spec``."""
    return WORKFLOWS_DIR / spec.definition


def placeholders(text: str) -> set[str]:
    """The names of the ``${Name}`` placeholders in an ASL text."""
    return set(_PLACEHOLDER.findall(text))


def substitutions(spec: WorkflowSpec, partition: str, function_arns: Mapping[str, str]) -> dict[str, str]:
    """The values for every placeholder of ``spec``: ``function_arns`` maps a function name to its ARN."""
    values = {PARTITION: partition}
    values.update({function.substitution: function_arns[function.name] for function in spec.functions})
    return values


def substitute(text: str, values: Mapping[str, str]) -> str:
    """``text`` with every ``${Name}`` replaced; a placeholder without a value is an error."""
    missing = placeholders(text) - set(values)
    if missing:
        raise KeyError(f"no value for placeholder(s) {sorted(missing)}")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)
