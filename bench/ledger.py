"""Evidence log: appends per second under concurrent filing, and proof times at 1M and 10M entries.

1. **Appends under concurrent filing.** ``--processes`` OS processes call the filing
   service (``registry.services.file_notice``) and ask for the filing's receipt, as the API
   does, without HTTP, for ``--duration`` seconds each run, on their own PostgreSQL
   connections, while a process sequences the log every ``LEDGER_SEQUENCE_SECONDS`` as
   beat and a worker do: once as shipped, once with the log switched off (no entries, no
   receipts), to show what the log costs filing; then the same processes only record
   events (one ``ledger.record`` per transaction, no receipt), to show the log's own
   capacity. "appends/s" counts the entries of a run over the time until all of them were
   in the log (the run, then one last sequencing). The log is then verified to be dense
   and consistent.
2. **Proofs on big logs.** A log of each ``--sizes`` entries is built in bulk with SQL
   (leaves hashed by PostgreSQL, then every node level by one INSERT … SELECT), its root
   checked against an independent computation (1M) and proofs against it; then random
   inclusion and consistency proofs are timed with a warm cache (``ledger.inclusion_proof``
   and ``ledger.consistency_proof``, the functions the API calls).

Figures are printed and written as JSON (``--json``, default ``var/bench/ledger.json``).
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.cpu import CpuMeter
from bench.filing import exercise_content
from bench.server import (
    REPO_ROOT,
    database_url,
    ensure_database,
    liaison_usernames,
    migrate_and_seed,
    redacted,
    setup_django,
    source_revision,
)

DEFAULT_JSON = REPO_ROOT / "var" / "bench" / "ledger.json"
TARGET_APPENDS = 2000.0
TARGET_PROOF_MS = 10.0
#: A fixed key for the benchmark only (checkpoints are signed during the run).
BENCH_LEDGER_KEY = "whsk_" + base64.b64encode(bytes(range(100, 132))).decode()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--processes", type=int, default=4, help="filing processes (4)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per run (15)")
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of unmeasured filing first (3)"
    )
    parser.add_argument(
        "--sizes",
        default="1000000,10000000",
        help="log sizes for the proof timings, comma-separated (1000000,10000000)",
    )
    parser.add_argument("--proofs", type=int, default=2000, help="timed proofs of each kind")
    parser.add_argument("--skip-appends", action="store_true", help="only the proof timings")
    parser.add_argument("--skip-proofs", action="store_true", help="only the append runs")
    parser.add_argument(
        "--keep", action="store_true", help="keep the big-log database for the next run"
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write JSON")


def database_named(suffix: str) -> str:
    parts = urlsplit(database_url())
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("REGISTRY_LEDGER_SIGNING_KEY", BENCH_LEDGER_KEY)
    filing_db, big_db = database_named("_ledger"), database_named("_ledger_big")
    ensure_database(filing_db, fresh=True)
    setup_django(filing_db)
    print(f"Evidence log benchmark at {source_revision()}: {os.cpu_count()} cores")
    results: dict = {"revision": source_revision(), "cores": os.cpu_count()}
    if not args.skip_appends:
        migrate_and_seed()
        print(f"{args.processes} processes, {args.duration:.0f} s per run; {redacted(filing_db)}\n")
        results["appends"] = append_runs(args)
    if not args.skip_proofs:
        from bench.ledger_big import proof_timings

        sizes = [int(size) for size in args.sizes.split(",")]
        results["proofs"] = proof_timings(big_db, sizes, args.proofs, keep=args.keep)
    verdict = print_verdict(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"\nFigures written to {args.json}")
    return 0 if verdict else 1


# --- concurrent filing -----------------------------------------------------------------------


def append_runs(args: argparse.Namespace) -> dict:
    from registry import ledger

    runs = {}
    if args.warmup > 0:  # every process imported everything, caches warm
        run_processes("with_log", args.processes, args.warmup)
        ledger.sequence_pending()
    for mode, label in (
        ("with_log", "filing, log on"),
        ("appends_only", "log appends only"),
        ("without_log", "filing, log off"),
    ):
        if mode == "without_log":  # its versions have no entries: verify before it
            runs["log_is_dense_and_verified"] = check_log()
        before = ledger.tree_size()
        run = run_processes(mode, args.processes, args.duration)
        appended = ledger.tree_size() - before
        runs[mode] = {
            "operations": run.count,
            "seconds": round(run.seconds, 2),
            "per_second": round(run.count / run.seconds, 1),
            "appends": appended,
            "seconds_until_in_the_log": round(run.logged_after, 2),
            "appends_per_second": round(appended / run.logged_after, 1),
            "left_for_the_last_sequencing": run.left,
            "cpu_cores": run.cpu,
        }
        print(
            f"{label:<20} {run.count / run.seconds:>9.1f} ops/s"
            f"   {appended / run.logged_after:>9.1f} appends/s   ({run.count} in"
            f" {run.seconds:.1f} s, all in the log after {run.logged_after:.1f} s;"
            f" {run.left} left for the last sequencing)"
        )
        print(" " * 21 + "cores used: " + ", ".join(f"{k} {v:.2f}" for k, v in run.cpu.items()))
    print(f"log dense, tree and checkpoints verified: {runs['log_is_dense_and_verified']}")
    return runs


@dataclass
class Run:
    """One run: operations done in ``seconds``; every entry they recorded was in the log
    ``logged_after`` seconds from the start, ``left`` of them moved by the last sequencing."""

    count: int
    seconds: float
    logged_after: float
    left: int
    cpu: dict


def run_processes(mode: str, processes: int, duration: float) -> Run:
    """Run the processes beside the scheduler's sequencer; then sequence what they left."""
    from django.conf import settings
    from django.db import connection, connections

    from registry import ledger

    database = connection.settings_dict["NAME"]
    connections.close_all()  # each child opens its own connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes + 1)
    done = context.Barrier(processes + 1)  # children stay alive until the CPU is read
    counts = context.Queue()
    stop = context.Event()
    users = liaison_usernames(7)
    children = [
        context.Process(
            target=work, args=(mode, users[i % len(users)], duration, (barrier, done), counts, i)
        )
        for i in range(processes)
    ]
    interval = settings.LEDGER_SEQUENCE_SECONDS
    sequencer = context.Process(target=sequence_every, args=(interval, stop))
    for child in children:
        child.start()
    meter = CpuMeter(os.getsid(0), database)  # our session: the forked processes
    barrier.wait()
    meter.start()
    started = time.monotonic()
    sequencer.start()
    total = sum(counts.get(timeout=duration + 120) for _ in children)
    seconds = time.monotonic() - started
    stop.set()
    sequencer.join()
    left = ledger.sequence_pending()
    logged_after = time.monotonic() - started
    cpu = meter.stop()
    connections.close_all()
    done.wait()
    for child in children:
        child.join()
    cpu["bench processes"] = cpu.pop("gunicorn", 0.0)
    cpu.pop("load generator", None)
    return Run(total, seconds, logged_after, left, cpu)


def sequence_every(seconds: float, stop) -> None:
    """What beat and a worker do: the task ``sequence_ledger``, run here on a timer."""
    from django.db import connections

    from registry.ledger.tasks import sequence_ledger

    connections.close_all()
    while not stop.wait(seconds):
        sequence_ledger()
    connections.close_all()


def work(mode: str, username: str, duration: float, barriers, counts, worker: int) -> None:
    """One process: file (or append) in a loop for ``duration`` seconds; report the count."""
    from django.contrib.auth import get_user_model
    from django.db import connections, transaction

    from registry import ledger
    from registry.ledger import events as ledger_events
    from registry.models import Commitment

    connections.close_all()
    user = get_user_model().objects.get(username=username)
    commitment = Commitment.objects.get(code="WB-RTA")
    if mode == "without_log":
        ledger_events.record_version = lambda version, content=None: None
    barrier, done = barriers
    barrier.wait()
    deadline, count = time.monotonic() + duration, 0
    while time.monotonic() < deadline:
        if mode == "appends_only":
            with transaction.atomic():
                ledger.record("bench.append", {"worker": worker, "n": count})
        else:
            ref = f"bench-{mode}-{worker}-{count}-{time.time_ns()}"
            file_one(user, commitment, ref, with_receipt=mode == "with_log")
        count += 1
    counts.put(count)
    done.wait()
    connections.close_all()


def file_one(user, commitment, client_ref: str, with_receipt: bool = True) -> None:
    """File as the API does: the service, then the receipt its answer carries."""
    from registry import services
    from registry.ledger.api import version_receipt

    filing = services.file_notice(
        user=user,
        commitment=commitment,
        kind="exercise",
        client_ref=client_ref,
        content=exercise_content(user.official.state_id),
    )
    if with_receipt:
        version_receipt(filing.version)


def check_log() -> bool:
    from registry.ledger import checkpoints as ledger_checkpoints
    from registry.ledger.verify import verify_log

    ledger_checkpoints.issue_checkpoint()
    report = verify_log()
    if not report.ok:
        print(report.summary())
    return report.ok


# --- verdict ---------------------------------------------------------------------------------


def print_verdict(results: dict) -> bool:
    met = True
    print()
    appends = results.get("appends")
    if appends:
        rate = appends["appends_only"]["appends_per_second"]
        ok = rate >= TARGET_APPENDS and appends["log_is_dense_and_verified"]
        met &= ok
        with_log = appends["with_log"]["per_second"]
        without = appends["without_log"]["per_second"]
        print(
            f"log capacity {rate:.0f} appends/s, target >= {TARGET_APPENDS:.0f}: "
            f"{'met' if ok else 'MISSED'}; filing with the log runs at "
            f"{with_log / without:.0%} of filing without it"
        )
    for size, figures in (results.get("proofs") or {}).items():
        worst = max(figures["inclusion"]["p99_ms"], figures["consistency"]["p99_ms"])
        ok = worst < TARGET_PROOF_MS
        met &= ok
        print(
            f"proofs at {int(size):,} entries: p99 {worst:.2f} ms, target < "
            f"{TARGET_PROOF_MS:.0f} ms: {'met' if ok else 'MISSED'}"
        )
    return met


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def timing(values_ms: list[float]) -> dict:
    return {
        "count": len(values_ms),
        "median_ms": round(statistics.median(values_ms), 3),
        "p99_ms": round(percentile(values_ms, 0.99), 3),
        "max_ms": round(max(values_ms), 3),
    }
