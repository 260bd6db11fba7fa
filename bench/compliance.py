"""Compliance reports at scale: 57 states, 10 years, 100,000 notices, 6 million receipts.

The history (``bench.compliance_data``) is built once in its own database with bulk SQL and
reused by later runs (``--fresh`` builds it again); a sample of it is checked against the
rules, the models and the deliveries. Then ``registry.compliance.compliance_report`` is
timed in this process for one year (the current one, always computed, and the last closed
one) and for the 10-year trend, each:

- **first** (nothing stored): the commitment's closed years' rollups deleted and a new
  database connection before each run: what the first report after a deploy costs;
- **cold**: a new database connection, the rollups as the previous report left them;
- **warm**: the same report again on the same connection;
- **after a late acknowledgement** (the trend): an outstanding receipt of six years ago
  acknowledged through the service just before, which throws that year's rollup away.

Each figure is the median of ``--runs`` runs, with the number of SQL statements of one run.
Then the same reports through the API on gunicorn (``GET /api/v1/compliance/``), as a
monitor. Target: under 1 s each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.cpu import CpuMeter, core_count
from bench.server import (
    REPO_ROOT,
    GunicornConfig,
    GunicornServer,
    database_name,
    database_url,
    ensure_database,
    issue_tokens,
    migrate_and_seed,
    redacted,
    setup_django,
    source_revision,
)

NAME = "compliance"
DEFAULT_JSON = REPO_ROOT / "var" / "bench" / "compliance.json"
SERVER_LOG = REPO_ROOT / "var" / "bench" / "gunicorn-compliance.log"
TARGET_SECONDS = 1.0
NOISY_OTHER_CORES = 0.15
MONITOR = "eu-monitor"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (5); the median")
    parser.add_argument(
        "--fresh", action="store_true", help="drop the database and build the history again"
    )
    parser.add_argument("--skip-api", action="store_true", help="no timings through the API")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write JSON")


def database_named(suffix: str) -> str:
    parts = urlsplit(database_url())
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def run(args: argparse.Namespace) -> int:
    db_url = database_named("_compliance")
    print(f"Compliance benchmark at {source_revision()}: {core_count()} cores, {redacted(db_url)}")
    ensure_database(db_url, fresh=args.fresh)
    setup_django(db_url)
    migrate_and_seed()
    report: dict = {
        "benchmark": NAME,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "revision": source_revision(),
        "machine": {"cores": core_count()},
    }
    commitment, report["build"] = history()
    report["rows"] = row_counts(commitment)
    print_counts(report["rows"])
    problems = check(commitment)
    meter = CpuMeter(server_session=-1, database=database_name(db_url))
    report["engine"] = engine_timings(commitment, args.runs, meter)
    if not args.skip_api:
        report["api"] = api_timings(commitment, db_url, args.runs)
    print_verdict(report)
    write_json(report, args.json)
    return 1 if problems else 0


# --- the history ---------------------------------------------------------------------------


def history():
    """The benchmark commitment (built now unless an earlier run built it), and the build's
    seconds by step (``None`` if it was there already)."""
    from django.utils import timezone

    from bench import compliance_data
    from registry import rules

    commitment = compliance_data.setup_commitment()
    if compliance_data.is_built():
        print("History: built by an earlier run (--fresh to build it again)")
        return commitment, None
    now = timezone.now()
    year = rules.local_date(commitment, now).year
    print(f"Building the history of {year - 9}-{year} up to now:", flush=True)
    started = time.monotonic()
    steps = compliance_data.build(compliance_data.History(year - 9, year, now))
    total = time.monotonic() - started
    print(f"  {'total':<28} {total:6.1f} s")
    steps = {name: round(seconds, 1) for name, seconds in steps.items()}
    return commitment, {"seconds": round(total, 1), "steps": steps}


def row_counts(commitment) -> dict[str, int]:
    from notifications.models import Acknowledgement, Clarification, Delivery
    from registry.models import Finding, Notice, NoticeVersion, Participation, Receipt

    mine = {"version__notice__commitment": commitment}
    return {
        "states": Participation.objects.filter(commitment=commitment).count(),
        "notices": Notice.objects.filter(commitment=commitment).count(),
        "versions": NoticeVersion.objects.filter(notice__commitment=commitment).count(),
        "deliveries": Delivery.objects.filter(**mine).count(),
        "acknowledgements": Acknowledgement.objects.filter(**mine).count(),
        "receipts": Receipt.objects.filter(commitment=commitment).count(),
        "clarifications": Clarification.objects.filter(**mine).count(),
        "findings": Finding.objects.filter(commitment=commitment).count(),
    }


def print_counts(counts: dict[str, int]) -> None:
    print("Rows: " + ", ".join(f"{count:,} {name}" for name, count in counts.items()))


def check(commitment) -> list[str]:
    from bench.compliance_data import check_sample

    started = time.monotonic()
    problems = check_sample(commitment)
    seconds = time.monotonic() - started
    verdict = "as the services would have written them" if not problems else "PROBLEMS"
    print(f"Sample of 300 versions and one state's receipts: {verdict} ({seconds:.1f} s)")
    for problem in problems[:10]:
        print(f"  {problem}")
    return problems


# --- timings in this process ---------------------------------------------------------------


#: How each report is timed: before each run, forget the stored years and reconnect
#: (first), reconnect (cold), or nothing (warm).
KINDS = ("first", "cold", "warm")


def scenarios(commitment) -> list[tuple[str, str, list[int], dict[str, Callable]]]:
    """(label, key, years, {kind: what to do before each run}) for every timed report."""
    from registry import rules

    year = rules.local_date(commitment, dt.datetime.now(dt.UTC)).year
    trend = list(range(year - 9, year + 1))
    kinds = {
        "first": lambda: forget_rollups(commitment),
        "cold": fresh_connection,
        "warm": lambda: None,
    }
    return [
        (f"one year, current ({year})", "current_year", [year], kinds),
        (f"one year, closed ({year - 1})", "closed_year", [year - 1], kinds),
        (f"10-year trend ({trend[0]}-{year})", "trend", trend, kinds),
        (
            f"10-year trend, after a late ack of {year - 6}",
            "trend_after_late_ack",
            trend,
            {"cold": late_acknowledgement(commitment, year - 6)},
        ),
    ]


def engine_timings(commitment, runs: int, meter: CpuMeter) -> dict:
    print(f"\ncompliance_report in this process, median of {runs} runs:")
    print(f"  {'':<44} {'first':>8} {'cold':>8} {'warm':>8}   statements")
    results = {}
    for label, key, years, kinds in scenarios(commitment):
        meter.start()
        timed = {kind: measure(commitment, years, runs, before) for kind, before in kinds.items()}
        timed["cpu_cores"] = meter.stop()
        results[key] = timed
        print_timing(label, timed)
    return results


def measure(commitment, years: list[int], runs: int, before: Callable) -> dict:
    """Median seconds of ``runs`` reports, each after ``before``, and one run's statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registry.compliance import compliance_report

    seconds, statements = [], 0
    for _ in range(runs):
        before()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            compliance_report(commitment, years)
            seconds.append(time.perf_counter() - started)
        statements = len(queries)
    return {"median_s": round(statistics.median(seconds), 3), "queries": statements}


def fresh_connection() -> None:
    from django.db import connections

    connections.close_all()


def forget_rollups(commitment) -> None:
    from registry.models import ComplianceRollup

    ComplianceRollup.objects.filter(commitment=commitment).delete()
    fresh_connection()


def late_acknowledgement(commitment, year: int) -> Callable:
    """Acknowledge, through the service, one more outstanding receipt of ``year`` each call."""
    from notifications import services
    from notifications.models import Route
    from registry.models import Receipt

    def acknowledge() -> None:
        receipt = (
            Receipt.objects.filter(commitment=commitment, year=year, acknowledged_at=None)
            .select_related("version", "recipient")
            .first()
        )
        services.acknowledge(
            version=receipt.version, route=Route.SIGNED_URL, state=receipt.recipient
        )
        fresh_connection()

    return acknowledge


def print_timing(label: str, timed: dict) -> None:
    cells = [f"{timed[k]['median_s']:>7.3f}s" if k in timed else f"{'-':>8}" for k in KINDS]
    queries = "/".join(str(timed[k]["queries"]) if k in timed else "-" for k in KINDS)
    other = timed["cpu_cores"].get("other")
    print(f"  {label:<44} {' '.join(cells)}   {queries:<10} (others: {other} cores)")


# --- timings through the API -----------------------------------------------------------------


def api_timings(commitment, db_url: str, runs: int) -> dict:
    """``GET /api/v1/compliance/`` on gunicorn (one worker), as a monitor: first and warm."""
    from registry import rules

    token = issue_tokens([MONITOR])[MONITOR]
    # Plain HTTP on the loopback, as behind the TLS proxy (whose header the requests carry);
    # gunicorn inherits this process's environment.
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    year = rules.local_date(commitment, dt.datetime.now(dt.UTC)).year
    paths = {
        "current_year": f"year={year}",
        "trend": f"year={year - 9}&to_year={year}",
    }
    print(
        f"\nGET /api/v1/compliance/?commitment={commitment.code}&… on gunicorn (1 worker), "
        f"as {MONITOR}, median of {runs}:"
    )
    results = {}
    with GunicornServer(GunicornConfig(workers=1), db_url, SERVER_LOG) as server:
        for key, query in paths.items():
            url = f"/api/v1/compliance/?commitment={commitment.code}&{query}"
            first = time_get(server.port, url, token, runs, lambda: forget_rollups(commitment))
            warm = time_get(server.port, url, token, runs, lambda: None)
            results[key] = {"query": query, "first": first, "warm": warm}
            print(
                f"  {query:<30} first {first['median_s']:.3f}s  warm {warm['median_s']:.3f}s"
                f"  ({warm['bytes']:,} bytes, {warm['states']} state-years)"
            )
    return results


def time_get(port: int, url: str, token: str, runs: int, before: Callable) -> dict:
    import http.client

    seconds, body = [], b""
    for _ in range(runs):
        before()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Token {token}", "X-Forwarded-Proto": "https"}
        started = time.perf_counter()
        connection.request("GET", url, headers=headers)
        response = connection.getresponse()
        body = response.read()
        seconds.append(time.perf_counter() - started)
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"GET {url}: {response.status} {body[:300]!r}")
    states = len(json.loads(body)["states"])
    return {"median_s": round(statistics.median(seconds), 3), "bytes": len(body), "states": states}


# --- verdict ------------------------------------------------------------------------------


def print_verdict(report: dict) -> None:
    print()
    for key, timed in report["engine"].items():
        for kind in ("cold", "warm"):
            if kind not in timed:
                continue
            seconds = timed[kind]["median_s"]
            verdict = "met" if seconds < TARGET_SECONDS else "MISSED"
            print(f"{key} ({kind}): {seconds:.3f} s   target < {TARGET_SECONDS:g} s: {verdict}")
        other = timed["cpu_cores"].get("other", 0.0)
        if other > NOISY_OTHER_CORES:
            print(f"  WARNING: other programs used {other} cores meanwhile; figures unreliable")


def write_json(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nFigures written to {path}")
