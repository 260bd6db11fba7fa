"""How many database sessions of the benchmark wait on a lock, sampled from pg_stat_activity.

A filing holds its state's reference counter row from ``next_sequence`` until it commits;
another filing of the same state waits meanwhile (wait event type "Lock"). Sampling every
10 ms while the clients run gives the mean number of waiting sessions and the share of
samples in which at least one waited.
"""

from __future__ import annotations

import threading

import psycopg

SAMPLE_SECONDS = 0.01
QUERY = """
SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'),
       count(*) FILTER (WHERE state = 'active')
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


class LockSampler:
    """``sampler.start()``, run, then ``sampler.stop()`` gives the lock-wait figures."""

    def __init__(self, db_url: str):
        self.db_url = db_url
        self.samples: list[tuple[int, int]] = []
        self.done = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.samples.clear()
        self.done.clear()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def stop(self) -> dict[str, float]:
        self.done.set()
        if self.thread is not None:
            self.thread.join()
        if not self.samples:
            return {}
        count = len(self.samples)
        return {
            "mean_waiting": round(sum(w for w, _ in self.samples) / count, 2),
            "share_with_waiter": round(sum(1 for w, _ in self.samples if w) / count, 3),
            "mean_active": round(sum(a for _, a in self.samples) / count, 2),
        }

    def _sample(self) -> None:
        try:
            with psycopg.connect(self.db_url, autocommit=True) as conn:
                while not self.done.wait(SAMPLE_SECONDS):
                    waiting, active = conn.execute(QUERY).fetchone()
                    self.samples.append((waiting, active))
        except psycopg.Error:
            return  # no figures rather than no benchmark
