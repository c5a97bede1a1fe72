"""How to run DynamoDB Local, AWS's own emulator, from the npm package that ships it.

DynamoDB Local (SQLite on disk) is the only stand-in that both persists between runs and does
transactions; it needs a Java runtime. Without one the stack falls back to moto's in-memory
DynamoDB and says so.
"""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["command", "emulator_dir", "java_path"]

_PACKAGE = Path(".local/node/node_modules/amplify-dynamodb-simulator/emulator")


def emulator_dir(repo_root: Path) -> Path | None:
    """The folder holding ``DynamoDBLocal.jar`` (installed by ``make .local/node/.installed``)."""
    folder = repo_root / _PACKAGE
    return folder if (folder / "DynamoDBLocal.jar").is_file() else None


def java_path() -> str | None:
    """The machine's ``java``, if any."""
    return shutil.which("java")


def command(java: str, port: int, db_dir: Path) -> list[str]:
    """The command line, to be run with the emulator folder as working directory."""
    return [
        java,
        "-Djava.library.path=./DynamoDBLocal_lib",
        "-jar",
        "DynamoDBLocal.jar",
        "-port",
        str(port),
        "-dbPath",
        str(db_dir.resolve()),
        "-sharedDb",
    ]
