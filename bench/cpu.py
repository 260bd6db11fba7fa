"""Who used the cores during a run: gunicorn, PostgreSQL, the load generator, anything else.

Read from /proc (Linux): the machine's busy time from /proc/stat and each process's user
plus system time from /proc/<pid>/stat, taken per process so that processes starting or
ending during the run do not skew the totals. Figures are in cores (1.0 = one core busy
for the whole run). "postgres" counts the server's own processes and the backends of the
benchmark database; backends of other databases count as "other", like anything else
running on the machine. Where /proc is missing, no figures are given.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
GROUPS = ("gunicorn", "postgres", "load generator")


def core_count() -> int:
    """The cores this process may run on (what gunicorn, PostgreSQL and the clients share)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def machine_busy_ticks() -> int:
    """Ticks all cores spent busy so far (neither idle nor waiting for I/O)."""
    with (PROC / "stat").open() as stat:
        ticks = [int(v) for v in stat.readline().split()[1:9]]
    return sum(ticks) - ticks[3] - ticks[4]


def read_process(pid_dir: Path) -> tuple[int, str, int, str]:
    """(session id, command name, user + system ticks, process title) of one process."""
    text = (pid_dir / "stat").read_text()
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    title = ""
    ticks = int(fields[11]) + int(fields[12])
    if name == "postgres":
        title = (pid_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        if " -D " in title:
            # The postmaster: with the ticks of its children that exited (and were reaped),
            # such as the parallel workers of a big query, which no snapshot catches alive.
            ticks += int(fields[13]) + int(fields[14])
    return int(fields[3]), name, ticks, title


def is_postgres_backend(title: str) -> bool:
    """A backend names its client in its title ("127.0.0.1(5678)", "[local]")."""
    return "(" in title or "[local]" in title


def postgres_group(name: str, title: str, database: str) -> str | None:
    """ "postgres" for PostgreSQL's own processes and the backends of ``database``; None for
    another database's backends and for every other program."""
    if name != "postgres":
        return None
    ours = f" {database} " in f" {title} "
    return "postgres" if ours or not is_postgres_backend(title) else None


def snapshot(group_of) -> dict[int, tuple[str | None, int]]:
    """Every process's group (``group_of(pid, session, name, title)``) and CPU ticks so
    far, by pid."""
    processes = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                session, name, ticks, title = read_process(entry)
            except (OSError, ValueError, IndexError):
                continue  # it exited meanwhile
            pid = int(entry.name)
            processes[pid] = (group_of(pid, session, name, title), ticks)
    return processes


class CpuMeter:
    """``meter.start()``, run, then ``meter.stop()`` gives the cores each group used."""

    def __init__(self, server_session: int, database: str):
        self.server_session = server_session
        self.database = database

    def group_of(self, pid: int, session: int, name: str, title: str) -> str | None:
        if session == self.server_session:
            return "gunicorn"
        if pid == os.getpid():
            return "load generator"
        return postgres_group(name, title, self.database)

    def snapshot(self) -> dict[int, tuple[str | None, int]]:
        return snapshot(self.group_of)

    def start(self) -> None:
        try:
            self.before = (time.perf_counter(), machine_busy_ticks(), self.snapshot())
        except OSError:
            self.before = None

    def stop(self) -> dict[str, float]:
        if self.before is None:
            return {}
        began, busy_before, processes_before = self.before
        busy_ticks, processes_after = machine_busy_ticks(), self.snapshot()
        elapsed = time.perf_counter() - began
        used = dict.fromkeys(GROUPS, 0)
        for pid, (group, ticks) in processes_after.items():
            if group is not None:
                used[group] += ticks - processes_before.get(pid, (group, 0))[1]
        cores = {name: ticks / TICKS_PER_SECOND / elapsed for name, ticks in used.items()}
        busy = (busy_ticks - busy_before) / TICKS_PER_SECOND / elapsed
        cores["other"] = max(0.0, busy - sum(cores.values()))
        cores["machine busy"] = busy
        return {name: round(value, 2) for name, value in cores.items()}
