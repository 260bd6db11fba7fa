"""Real processes for the delivery fault tests: a Redis server, Celery workers and beat.

Each test owns its Redis (a free port, nothing on disk) so it can stop and start the
broker without touching anyone else's, and points this process's Celery app at it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import redis
from django.db import connection

from registry.celery import app as celery_app
from tests.conftest import TEST_KEYS

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, "redis-server to start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        wait_for(lambda: not self._answers(), 5, "redis-server to stop")

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.3).ping())
        except redis.RedisError:
            return False


def use_broker(url: str) -> None:
    """Point this process's Celery app (which queues deliveries on commit) at ``url``."""
    celery_app.conf.broker_url = url
    celery_app.conf.broker_transport_options = {"visibility_timeout": 600}
    celery_app._after_fork()  # drop pooled connections to the previous broker


def test_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class CeleryProcess:
    """``celery -A registry worker`` or ``beat`` in its own process group, logging to a file."""

    def __init__(self, role: str, broker_url: str, workdir: Path, **env: str) -> None:
        self.role = role
        self.log_path = workdir / f"{role}-{time.monotonic_ns()}.log"
        self.env = {
            **os.environ,
            **TEST_KEYS,
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": broker_url,
            "DEBUG": "0",
            "SECRET_KEY": "test-only-secret-key-for-worker-processes",
            "REGISTRY_VAR_DIR": str(workdir),
            "DELIVERY_LEASE_SECONDS": "6",
            "DELIVERY_SWEEP_SECONDS": "1",
            "DELIVERY_SWEEP_GRACE_SECONDS": "1",
            **env,
        }
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        base = [sys.executable, "-m", "celery", "-A", "registry"]
        if self.role == "beat":
            return [*base, "beat", "--loglevel", "INFO", "-s", str(self.workdir / "beat-schedule")]
        return [
            *base,
            "worker",
            "--loglevel",
            "INFO",
            "--pool",
            "prefork",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"test-{time.monotonic_ns()}@%h",
        ]

    def start(self) -> CeleryProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command(),
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        ready_word = "beat: Starting" if self.role == "beat" else "ready."
        wait_for(lambda: ready_word in self.log(), 60, f"celery {self.role} to start")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group: the worker and its children die mid-task."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
