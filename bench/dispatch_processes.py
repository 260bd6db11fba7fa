"""The processes of the dispatch benchmark, and who of them used the cores and the memory.

Each runs in its own session (process group), so that its CPU can be told apart and it
can be stopped with everything it started: a Redis server of the benchmark's own, the
webhook receiver (``bench.dispatch_receiver``), and ``celery -A registry worker``.
``ProcessMeter`` reads /proc like ``bench.cpu``, by group and by process.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import redis

from bench import cpu
from bench.cpu import PROC, TICKS_PER_SECOND, machine_busy_ticks, postgres_group, read_process
from bench.server import REPO_ROOT, SetupError, free_port

START_TIMEOUT = 60.0


def wait_for(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise SetupError(f"Timed out after {timeout:.0f} s waiting for {what}.")


class Managed:
    """A child process in its own session, logging to a file; stopped with SIGTERM, then KILL."""

    name = "process"

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def launch(self, command: list[str], env: dict[str, str] | None = None) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env or dict(os.environ),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def session(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class RedisServer(Managed):
    """The broker, on a free port, with nothing on disk (the benchmark needs no persistence)."""

    name = "redis"

    def __init__(self, log_path: Path) -> None:
        super().__init__(log_path)
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        options = {"port": str(self.port), "bind": "127.0.0.1", "save": "", "appendonly": "no"}
        arguments = [part for name, value in options.items() for part in (f"--{name}", value)]
        self.launch(["redis-server", *arguments, "--dir", str(self.log_path.parent)])
        wait_for(self._answers, 10, "redis-server to start")
        return self

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.3).ping())
        except redis.RedisError:
            return False


class ReceiverProcess(Managed):
    """``bench.dispatch_receiver`` on a free port; ``count()``, ``records()``, ``reset()``."""

    name = "receiver"

    def __init__(self, log_path: Path) -> None:
        super().__init__(log_path)
        self.port = free_port()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> ReceiverProcess:
        self.launch([sys.executable, "-m", "bench.dispatch_receiver", "--port", str(self.port)])
        wait_for(self._answers, 10, "the receiver to start")
        return self

    def _answers(self) -> bool:
        try:
            self.count()
        except OSError:
            return False
        return True

    def _control(self, method: str, path: str):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path)
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def count(self) -> int:
        return self._control("GET", "/__count")["count"]

    def records(self) -> list[list]:
        """Every request since the last reset: ``[time, path, head, body]``."""
        return self._control("GET", "/__records")

    def reset(self) -> None:
        self._control("POST", "/__reset")


class CeleryWorker(Managed):
    """``celery -A registry worker`` (prefork, ``concurrency`` processes) on the broker."""

    name = "worker"

    def start(self, env: dict[str, str], concurrency: int, node: str) -> CeleryWorker:
        command = [sys.executable, "-m", "celery", "-A", "registry", "worker"]
        command += ["--loglevel", "WARNING", "--pool", "prefork"]
        command += ["--concurrency", str(concurrency), "--without-gossip", "--without-mingle"]
        command += ["--without-heartbeat", "-n", f"{node}@%h"]
        self.launch(command, env)
        wait_for(self._ready, START_TIMEOUT, f"celery worker {node} to start", every=0.2)
        return self

    def _ready(self) -> bool:
        if not self.alive():
            raise SetupError(f"The celery worker exited; see {self.log_path}")
        return len(session_pids(self.session)) > 1 and _connected(self.log())

    def pids(self) -> list[int]:
        return session_pids(self.session)


def _connected(log: str) -> bool:
    # With --loglevel WARNING the banner is all the log has ("ready" is logged at INFO);
    # the warm-up then shows that the worker takes tasks.
    return "[queues]" in log


def session_pids(session: int) -> list[int]:
    """Every live process of a session (a worker's main process and its pool)."""
    pids = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                if read_process(entry)[0] == session:
                    pids.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return sorted(pids)


def memory_kib(pid: int) -> dict[str, int]:
    """Resident memory now (``rss``) and at its peak (``peak``), in KiB."""
    figures = {}
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                figures["rss" if key == "VmRSS" else "peak"] = int(value.split()[0])
    except OSError:
        return {}
    return figures


class ProcessMeter:
    """The cores used between ``start()`` and ``stop()``, by group and by worker process.

    ``groups`` maps a group name to the session ids whose processes belong to it;
    ``filing`` is the pid of the process that files; "benchmark" is this process (it
    polls the receiver and the database while a run lasts); PostgreSQL counts its own
    processes and the backends of the benchmark database; "other" is everything else on
    the machine.
    """

    def __init__(self, groups: dict[str, list[int]], filing_pid: int, database: str) -> None:
        self.groups = groups
        self.filing_pid = filing_pid
        self.database = database

    def group_of(self, pid: int, session: int, name: str, title: str) -> str | None:
        for group, sessions in self.groups.items():
            if session in sessions:
                return group
        if pid == self.filing_pid:
            return "filing"
        if pid == os.getpid():
            return "benchmark"
        return postgres_group(name, title, self.database)

    def snapshot(self) -> dict[int, tuple[str | None, int]]:
        return cpu.snapshot(self.group_of)

    def start(self) -> None:
        self.began = time.perf_counter()
        self.busy_before = machine_busy_ticks()
        self.before = self.snapshot()

    def stop(self) -> dict:
        """Cores used by each group and each worker process over the ``elapsed_s`` measured."""
        elapsed = time.perf_counter() - self.began
        busy = (machine_busy_ticks() - self.busy_before) / TICKS_PER_SECOND / elapsed
        after = self.snapshot()
        cores = dict.fromkeys([*self.groups, "filing", "benchmark", "postgres"], 0.0)
        per_process = {}
        for pid, (group, ticks) in after.items():
            if group is None:
                continue
            used = (ticks - self.before.get(pid, (group, 0))[1]) / TICKS_PER_SECOND / elapsed
            cores[group] += used
            if group == "workers":
                per_process[pid] = round(used, 3)
        cores["other"] = max(0.0, busy - sum(cores.values()))
        cores["machine busy"] = busy
        return {
            "cores": {name: round(value, 3) for name, value in cores.items()},
            "elapsed_s": round(elapsed, 3),
            "worker_processes": per_process,
        }
