"""The process that files the dispatch benchmark's notices, as the web server would.

It runs in its own process (spawned, so it loads only the settings of the system under
measurement) and calls the filing service, ``registry.services.file_notice``, which
writes the version and its deliveries and queues them once committed. It notes when each
filing started and when it returned (committed): the benchmark measures the time from
the latter to the last recipient's delivery.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import time
from dataclasses import dataclass

from bench.filing import exercise_content


@dataclass(frozen=True)
class Filed:
    """One filing: when it started and returned (``time.monotonic()``), and its version."""

    started: float
    filed: float
    version_id: int


class Filer:
    """``with Filer(env) as filer: filer.file(count, rate)`` files in a child process."""

    def __init__(self, env: dict[str, str]) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child, env), daemon=True)

    def __enter__(self) -> Filer:
        self.process.start()
        if self.conn.recv() != "ready":
            raise RuntimeError("The filing process did not start.")
        return self

    def __exit__(self, *exc) -> None:
        if self.process.is_alive():
            self.conn.send(None)
            self.process.join(10)
        if self.process.is_alive():
            self.process.kill()

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def file(self, count: int, rate: float | None = None) -> list[Filed]:
        """File ``count`` notices, back to back or at ``rate`` per second (open loop)."""
        self.conn.send((count, rate))
        answer = self.conn.recv()
        if isinstance(answer, str):
            raise RuntimeError(f"Filing failed: {answer}")
        return answer


def serve(conn, env: dict[str, str]) -> None:
    """The child: set up Django with ``env``, then file what it is asked until told to stop."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from bench.dispatch_world import COMMITMENT, LIAISON
    from registry.models import Commitment

    user = get_user_model().objects.select_related("official__state").get(username=LIAISON)
    commitment = Commitment.objects.get(code=COMMITMENT)
    refs = itertools.count(1)
    conn.send("ready")
    while (command := conn.recv()) is not None:
        count, rate = command
        try:
            conn.send(file_notices(user, commitment, refs, count, rate))
        except Exception as exc:  # reported to the benchmark, which stops
            conn.send(f"{type(exc).__name__}: {exc}")


def file_notices(user, commitment, refs, count: int, rate: float | None) -> list[Filed]:
    from registry.services import file_notice

    filed = []
    began = time.monotonic()
    content = exercise_content(user.official.state_id)
    for number in range(count):
        if rate:
            time.sleep(max(0.0, began + number / rate - time.monotonic()))
        started = time.monotonic()
        filing = file_notice(
            user=user,
            commitment=commitment,
            kind="exercise",
            client_ref=f"bench-{os.getpid()}-{next(refs)}",
            content=content,
        )
        filed.append(Filed(started, time.monotonic(), filing.version.pk))
    return filed
