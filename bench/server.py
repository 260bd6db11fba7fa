"""What every benchmark shares: its own PostgreSQL database and a production gunicorn.

``prepare_database`` creates, migrates and seeds the benchmark database and issues API
tokens; ``GunicornServer`` starts gunicorn on a free port of 127.0.0.1 with DEBUG off and
stops it on exit, error or Ctrl-C.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from bench.cpu import core_count

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/registry_bench"
SETTINGS_MODULE = "bench.settings"
DEMO_PASSWORD = "bench-demo-password-not-secret"
SECRET_KEY = "bench-only-secret-key-not-used-anywhere-else-0123456789"
STATE_CODES = ("AL", "BA", "HR", "XK", "ME", "MK", "RS")


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def production_environment(db_url: str) -> dict[str, str]:
    """The environment of a production process of the registry, on the benchmark database."""
    return {
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "DATABASE_URL": db_url,
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The per-user throttle still runs (its cost is measured) but never refuses: a
        # benchmark client files far faster than any national system would.
        "API_THROTTLE_USER": "1000000/minute",
    }


# --- database --------------------------------------------------------------------------


def database_name(db_url: str) -> str:
    return urlsplit(db_url).path.lstrip("/")


def ensure_database(db_url: str, *, fresh: bool = False) -> None:
    """Create the database if it is missing (drop it first if ``fresh``)."""
    parts = urlsplit(db_url)
    name = database_name(db_url)
    maintenance_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        if fresh:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(db_url: str) -> None:
    """Load the benchmark settings in this process, on the benchmark database."""
    os.environ.update(production_environment(db_url))
    import django

    django.setup()


def migrate_and_seed() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", password=DEMO_PASSWORD, stdout=open(os.devnull, "w"))  # noqa: SIM115


def issue_tokens(usernames: list[str]) -> dict[str, str]:
    """A fresh API token per user, as ``{username: key}``."""
    from django.contrib.auth import get_user_model

    from registry.models import ApiToken

    users = get_user_model().objects.in_bulk(usernames, field_name="username")
    return {name: ApiToken.issue(users[name], dt.timedelta(days=1))[1] for name in usernames}


def liaison_usernames(state_count: int) -> list[str]:
    return [f"{code.lower()}-liaison" for code in STATE_CODES[:state_count]]


class SetupError(Exception):
    """The benchmark could not prepare its database or start its server."""


def prepare_database(db_url: str, usernames: list[str], *, fresh: bool = False) -> dict[str, str]:
    """Create, migrate and seed the database; return an API token per user."""
    try:
        ensure_database(db_url, fresh=fresh)
        setup_django(db_url)
        migrate_and_seed()
        tokens = issue_tokens(usernames)
        vacuum_analyze()
    except Exception as exc:
        raise SetupError(
            f"Could not prepare {redacted(db_url)}: {type(exc).__name__}: {exc}\n"
            "(after a migration was edited in place, run again with --fresh)"
        ) from exc
    from django.db import connections

    connections.close_all()
    return tokens


def vacuum_analyze() -> None:
    """What autovacuum does for a production database, done now: earlier runs' rows leave
    dead tuples and stale planner statistics behind, and not every machine's PostgreSQL
    runs autovacuum."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


# --- gunicorn --------------------------------------------------------------------------


@dataclass(frozen=True)
class GunicornConfig:
    """How gunicorn runs. The default, sync workers, one more than the cores, did best on 2
    cores (bench/README.md, "The gunicorn configuration")."""

    worker_class: str = "sync"
    workers: int = field(default_factory=lambda: core_count() + 1)
    threads: int = 1

    def describe(self) -> str:
        threads = f" x {self.threads} threads" if self.worker_class == "gthread" else ""
        return f"{self.worker_class}, {self.workers} workers{threads}"

    def arguments(self) -> list[str]:
        return [
            f"--worker-class={self.worker_class}",
            f"--workers={self.workers}",
            f"--threads={self.threads}",
        ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GunicornServer:
    """``with GunicornServer(config, db_url) as server:`` runs gunicorn until the block ends."""

    def __init__(self, config: GunicornConfig, db_url: str, log_path: Path):
        self.config = config
        self.db_url = db_url
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> GunicornServer:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "registry.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            *self.config.arguments(),
            "--log-level=warning",
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env={**os.environ, **production_environment(self.db_url)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us only; we stop gunicorn ourselves
            )

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until Django answers (the warm-up then reaches every worker)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise SetupError(f"gunicorn exited early; see {self.log_path}")
            if self._answers():
                return
            time.sleep(0.2)
        raise SetupError(f"gunicorn not ready after {timeout:.0f} s; see {self.log_path}")

    def _answers(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            # 401 without a token: Django is up (the header: as the TLS proxy would send it)
            conn.request("GET", "/api/v1/states/", headers={"X-Forwarded-Proto": "https"})
            return conn.getresponse().status in (200, 401, 403)
        except OSError:
            return False
        finally:
            conn.close()

    @property
    def pid(self) -> int:
        """The master's pid, also the session id of every gunicorn process."""
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        """Graceful stop (SIGTERM), then SIGKILL if gunicorn lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def add_server_arguments(parser) -> None:
    default = GunicornConfig()
    parser.add_argument(
        "--worker-class",
        choices=["sync", "gthread"],
        default=default.worker_class,
        help=f"gunicorn worker class ({default.worker_class})",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=default.workers,
        help=f"worker processes (one more than the cores: {default.workers})",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=default.threads,
        help=f"threads per gthread worker ({default.threads})",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="drop and recreate the benchmark database first"
    )


def gunicorn_config(args) -> GunicornConfig:
    threads = args.threads if args.worker_class == "gthread" else 1
    return GunicornConfig(worker_class=args.worker_class, workers=args.workers, threads=threads)


def source_revision() -> str:
    """The commit of the code under test, with "+dirty" if the working tree has changes.

    ``BENCH_REVISION`` names it where there is no git checkout (an exported tree).
    """
    if os.environ.get("BENCH_REVISION"):
        return os.environ["BENCH_REVISION"]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        ).stdout
    except OSError:
        return "unknown"
    return f"{commit or 'unknown'}{'+dirty' if status.strip() else ''}"


def redacted(db_url: str) -> str:
    """The database URL without its password, for reports."""
    parts = urlsplit(db_url)
    if parts.password is None:
        return db_url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))
