"""Run the whole registry on this machine: ``manage.py run_demo [--port 8000]``.

A small supervisor: it starts the web server (gunicorn), a Celery worker and the Celery beat
scheduler as child processes, prints where to log in, and stops them all on Ctrl-C or SIGTERM,
or as soon as one of them exits. ``scripts/demo.sh`` (``make demo``) migrates and seeds first.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from registry.seed_data import ORGANISATIONS, STATES

STARTUP_SECONDS = 60
STOP_GRACE_SECONDS = 20
POLL_SECONDS = 0.3
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the supervisor dies without stopping us."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _gunicorn_no_control_socket() -> list[str]:
    """Recent gunicorn opens a control socket in ~/.gunicorn by default, shared by every gunicorn
    of the user: the demo does without, so that it never disturbs another one."""
    from gunicorn.config import KNOWN_SETTINGS

    known = any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS)
    return ["--no-control-socket"] if known else []


@dataclass
class Child:
    """One supervised process, leading its own process group (so that the terminal's Ctrl-C
    reaches only the supervisor, which then stops each child exactly once)."""

    name: str
    argv: list[str]
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv,
            cwd=settings.BASE_DIR,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
            preexec_fn=_die_with_parent,  # safe: the supervisor runs no threads
        )

    @property
    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def describe_exit(self) -> str:
        code = self.exit_code
        if code is not None and code < 0:
            return f"was killed by {signal.Signals(-code).name}"
        return f"exited with code {code}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.exit_code is None

    def send(self, signum: int, *, whole_group: bool = False) -> None:
        if self.process is None:
            return
        try:
            if whole_group:
                os.killpg(self.process.pid, signum)
            elif self.running:
                self.process.send_signal(signum)
        except ProcessLookupError:
            pass


class Command(BaseCommand):
    help = (
        "Run the registry for a demo: gunicorn, a Celery worker and Celery beat as child "
        "processes. Ctrl-C stops all of them; so does the exit of any one."
    )
    requires_system_checks: list = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("PORT", "8000")), help="Web port."
        )
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers.")
        parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes.")

    def handle(self, *args, **options) -> None:
        host, port = options["host"], options["port"]
        self._require_free_port(host, port)
        self._prepare_var_dirs()
        connection.close()  # the children open their own connections
        children = self._children(host, port, options["web_workers"], options["concurrency"])
        self.stop_signal: int | None = None
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        for child in children:
            self.stdout.write(f"Starting {child.name}: {' '.join(child.argv[1:])}")
            child.start()
        failed = self._supervise(children, host, port)
        self._stop(children)
        if failed is not None:
            raise CommandError(
                f"The {failed.name} {failed.describe_exit()}, so the demo stopped the others. "
                "The reason is in its output above.",
                returncode=1,
            )
        self.stdout.write("Stopped.")

    # --- setup ---------------------------------------------------------------------------

    @staticmethod
    def _require_free_port(host: str, port: int) -> None:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as exc:
                raise CommandError(
                    f"Cannot listen on {host}:{port} ({exc.strerror}). Is another demo running? "
                    f"Choose another port: make demo ARGS='--port {port + 1}'"
                ) from exc

    @staticmethod
    def _prepare_var_dirs() -> None:
        """The filesystem broker needs its folders to exist; beat needs a home for its file."""
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent.mkdir(parents=True, exist_ok=True)
        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            for key in ("data_folder_in", "data_folder_out", "control_folder"):
                folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS[key]
                Path(folder).mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _children(host: str, port: int, web_workers: int, concurrency: int) -> list[Child]:
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "registry"]
        return [
            Child(
                "web server",
                [
                    *[python, "-m", "gunicorn", "registry.wsgi:application"],
                    *["--bind", f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
                    *["--workers", str(web_workers), "--graceful-timeout", "10"],
                    *["--access-logfile", "-", "--error-logfile", "-"],
                    *_gunicorn_no_control_socket(),
                ],
            ),
            Child(
                "Celery worker",
                [*celery, "worker", "--loglevel=INFO", f"--concurrency={concurrency}"],
            ),
            Child(
                "Celery beat",
                [
                    *celery,
                    "beat",
                    "--loglevel=INFO",
                    f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
                ],
            ),
        ]

    # --- running -------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame) -> None:
        if self.stop_signal is not None:  # a second Ctrl-C: stop at once
            self.stop_signal = signal.SIGKILL
            return
        self.stop_signal = signum

    def _supervise(self, children: list[Child], host: str, port: int) -> Child | None:
        """Wait until a stop is asked for (None) or a child exits (that child)."""
        announced = False
        deadline = time.monotonic() + STARTUP_SECONDS
        while self.stop_signal is None:
            dead = next((child for child in children if not child.running), None)
            if dead is not None:
                return dead
            if not announced and self._accepts_connections(host, port):
                self._announce(host, port)
                announced = True
            elif not announced and time.monotonic() > deadline:
                self.stderr.write(f"The web server does not answer on port {port} yet.")
                deadline = float("inf")
            time.sleep(POLL_SECONDS)
        return None

    @staticmethod
    def _accepts_connections(host: str, port: int) -> bool:
        target = "127.0.0.1" if host in ("0.0.0.0", "") else host.strip("[]")
        try:
            with socket.create_connection((target, port), timeout=1):
                return True
        except OSError:
            return False

    def _stop(self, children: list[Child]) -> None:
        running = [child for child in children if child.running]
        if running:
            names = ", ".join(child.name for child in running)
            self.stdout.write(f"Stopping {names} (Ctrl-C again to stop at once)…")
        for child in running:
            child.send(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while any(child.running for child in children) and time.monotonic() < deadline:
            if self.stop_signal == signal.SIGKILL:
                break
            time.sleep(POLL_SECONDS)
        for child in children:  # leftovers, and any grandchild a child left behind
            if child.running:
                self.stderr.write(f"The {child.name} did not stop in time: killing it.")
            child.send(signal.SIGKILL, whole_group=True)
            if child.process is not None:
                child.process.wait()

    def _announce(self, host: str, port: int) -> None:
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        if ":" in shown_host and not shown_host.startswith("["):
            shown_host = f"[{shown_host}]"
        base = f"http://{shown_host}:{port}"
        password = os.environ.get("DEMO_PASSWORD") or "the one seed_demo printed above"
        codes = [code.lower() for code in STATES]
        lines = [
            "",
            "The registry is running.",
            f"  Web:        {base}/",
            f"  API docs:   {base}/api/v1/docs/",
            f"  Database:   {self._describe_database()}",
            f"  Broker:     {self._describe_broker()}",
            "",
            f"Demo logins (every one has the password: {password}):",
            f"  liaisons, who file:              {' '.join(f'{c}-liaison' for c in codes)}",
            f"  officials, who read and ask:     {' '.join(f'{c}-official' for c in codes)}",
            "  monitors, who audit:             "
            + " ".join(f"{code.lower()}-monitor" for code in ORGANISATIONS),
            "  secretariat, who administers:    secretariat",
            "",
            "Press Ctrl-C to stop.",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))

    @staticmethod
    def _describe_database() -> str:
        db = settings.DATABASES["default"]
        if db["ENGINE"].endswith("sqlite3"):
            return f"SQLite, {db['NAME']}"
        return f"{connection.vendor}, database {db['NAME']} on {db.get('HOST') or 'localhost'}"

    @staticmethod
    def _describe_broker() -> str:
        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            return f"filesystem, {settings.BROKER_DIR}"
        return "Redis (REDIS_URL)"
