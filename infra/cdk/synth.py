"""Synthesize the stacks offline and lint their templates: ``python -m infra.cdk.synth``.

Writes the cloud assembly (templates and the Lambda asset) to ``infra/cdk/cdk.out`` for the
``dev`` and ``prod`` stages, then runs ``cfn-lint`` on every template with the settings of
``infra/cdk/.cfnlintrc.yaml``. Exits non-zero on a CDK error annotation or any cfn-lint error or
warning. ``--stage`` (repeatable) picks stages, ``--outdir`` another folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

CDK_DIR = Path(__file__).absolute().parent
DEFAULT_OUTDIR = CDK_DIR / "cdk.out"
CFN_LINT_CONFIG = CDK_DIR / ".cfnlintrc.yaml"
DEFAULT_STAGES = ("dev", "prod")
# cfn-lint levels that fail the synth ("Informational" findings are printed only).
FAILING_LEVELS = frozenset({"Error", "Warning"})


def _clean(outdir: Path) -> None:
    """Empty a previous cloud assembly (CDK never removes stale assets of tens of MB)."""
    if not outdir.exists():
        return
    if any(outdir.iterdir()) and not (outdir / "manifest.json").exists():
        raise SystemExit(f"{outdir} is not a CDK cloud assembly: refusing to empty it")
    shutil.rmtree(outdir)


def _cfn_lint_command() -> list[str]:
    script = Path(sys.executable).with_name("cfn-lint")
    return [str(script)] if script.exists() else [shutil.which("cfn-lint") or "cfn-lint"]


def lint(templates: Sequence[Path], region: str) -> tuple[int, list[str]]:
    """Run cfn-lint on ``templates``; the number of failing findings and one line per finding."""
    command = [
        *_cfn_lint_command(),
        "--config-file",
        str(CFN_LINT_CONFIG),
        "--regions",
        region,
        "--format",
        "json",
        "--",
        *map(str, templates),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        findings = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        return 1, [f"cfn-lint failed (exit {result.returncode}): {result.stdout}{result.stderr}".strip()]
    lines = [
        "{level} {rule} {file}:{line} {message}".format(
            level=item["Level"],
            rule=item["Rule"]["Id"],
            file=Path(item.get("Filename") or "-").name,
            line=item["Location"]["Start"]["LineNumber"],
            message=item["Message"],
        )
        for item in findings
    ]
    failing = sum(1 for item in findings if item["Level"] in FAILING_LEVELS)
    if result.returncode and not findings:  # a crash or a template it could not read
        return 1, [f"cfn-lint failed (exit {result.returncode}): {result.stderr}".strip()]
    return failing, lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.cdk.synth", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", action="append", dest="stages", help="repeatable (default: dev, prod)")
    parser.add_argument("--outdir", type=Path, default=DEFAULT_OUTDIR)
    args = parser.parse_args(argv)
    stages: list[str] = args.stages or list(DEFAULT_STAGES)
    outdir: Path = args.outdir.resolve()

    # Before the first aws_cdk import, which starts the jsii runtime on Node.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from aws_cdk import cx_api

    from infra.cdk.app import build_app

    started = time.perf_counter()
    _clean(outdir)
    app, _ = build_app(stages, outdir=outdir)
    built = time.perf_counter()
    assembly = app.synth()
    synthesized = time.perf_counter()

    errors = 0
    for stack in assembly.stacks:
        for message in stack.messages:
            if message.level == cx_api.SynthesisMessageLevel.ERROR:
                errors += 1
            if message.level != cx_api.SynthesisMessageLevel.INFO:
                print(f"cdk {message.level.name.lower()} {message.id}: {message.entry.data}")
    templates = [Path(stack.template_full_path) for stack in assembly.stacks]
    failing, findings = lint(templates, os.environ["AWS_DEFAULT_REGION"])
    linted = time.perf_counter()

    for line in findings:
        print(f"cfn-lint {line}")
    names = ", ".join(stack.stack_name for stack in assembly.stacks)
    print(
        f"synth: {names} -> {os.path.relpath(outdir)} | build {built - started:.1f}s "
        f"(chalice package + constructs), synth {synthesized - built:.1f}s, "
        f"cfn-lint {linted - synthesized:.1f}s, total {linted - started:.1f}s"
    )
    print(f"synth: {errors} CDK error(s), {failing} cfn-lint error(s)/warning(s), {len(findings)} finding(s)")
    return 1 if errors or failing else 0


if __name__ == "__main__":
    sys.exit(main())
