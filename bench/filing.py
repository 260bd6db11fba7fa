"""Filing throughput: exercise notices filed through the API, against the framework's ceiling.

Both endpoints run on the same gunicorn, with the same token authentication and the same
clients: first the ceiling (an authenticated DRF view that inserts one row), then the
filing of WB-RTA exercise notices (POST /api/v1/notices/).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from bench.cpu import CpuMeter, core_count
from bench.loadgen import LoadResult, LoadSpec, Target, add_load_arguments, load_spec
from bench.loadgen import run_load as run_clients
from bench.locks import LockSampler
from bench.server import (
    REPO_ROOT,
    GunicornConfig,
    GunicornServer,
    add_server_arguments,
    database_name,
    database_url,
    gunicorn_config,
    liaison_usernames,
    prepare_database,
    redacted,
    source_revision,
)

NAME = "filing"
DEFAULT_JSON = REPO_ROOT / "var" / "bench" / "filing.json"
SERVER_LOG = REPO_ROOT / "var" / "bench" / "gunicorn-filing.log"
TARGET_RATIO = 0.25
TARGET_P99_MS = 100.0
TARGET_CLIENTS = 16
SERVER_GROUPS = ("gunicorn", "postgres")
NOISY_OTHER_CORES = 0.15  # CPU used by other programs above which figures are unreliable
REF = "@@CLIENT_REF@@"
ROWS = (("ceiling (1-row write)", "ceiling"), ("filing (notices/s)", "filing"))
POLYGON = [[20.40, 44.70], [20.60, 44.70], [20.60, 44.85], [20.40, 44.85]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_load_arguments(parser)
    add_server_arguments(parser)
    parser.add_argument(
        "--states",
        type=int,
        choices=range(1, 8),
        default=7,
        metavar="1-7",
        help="how many states' liaisons file, clients spread over them (7)",
    )
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help="where to write the figures as JSON"
    )


# --- what the clients send -------------------------------------------------------------


def templated(document: dict) -> Callable[[str], bytes]:
    """A body builder that puts the client reference into a pre-encoded JSON document."""
    template = json.dumps(document).encode()
    return lambda client_ref: template.replace(REF.encode(), client_ref.encode())


def exercise_content(state_code: str) -> dict:
    """The tests' exercise (model field names, below the thresholds, starting in 60 days),
    for the benchmarks that file in-process through the service (Django set up first)."""
    from tests.factories import exercise

    return exercise(participating_states=[state_code])


def exercise_document(today: dt.date) -> dict:
    """A valid WB-RTA exercise filing (below the thresholds, starting in 60 days)."""
    start = today + dt.timedelta(days=60)
    return {
        "commitment": "WB-RTA",
        "kind": "exercise",
        "client_ref": REF,
        "exercise": {
            "name": "Steadfast Resolve",
            "activity_type": "field_training",
            "purpose": "Brigade field training",
            "command_level": "brigade",
            "start_date": start.isoformat(),
            "end_date": (start + dt.timedelta(days=6)).isoformat(),
            "area": {"description": "Pasuljanske livade training area", "polygon": POLYGON},
            "troops": 1200,
            "participating_states": ["RS"],
        },
    }


def targets() -> tuple[Target, Target]:
    ceiling = Target("ceiling", "/bench/ceiling/", templated({"client_ref": REF}))
    filing = Target("filing", "/api/v1/notices/", templated(exercise_document(dt.date.today())))
    return ceiling, filing


# --- running ---------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    db_url, config, spec = database_url(), gunicorn_config(args), load_spec(args)
    print(f"Preparing {redacted(db_url)} ...", flush=True)
    tokens = prepare_database(db_url, liaison_usernames(args.states), fresh=args.fresh)
    results = {}
    with GunicornServer(config, db_url, SERVER_LOG) as server:
        print(f"gunicorn ({config.describe()}) on 127.0.0.1:{server.port}", flush=True)
        for target in targets():
            meters = meters_for(server, db_url)
            results[target.name] = measure(
                server.port, target, list(tokens.values()), spec, args, meters
            )
    report = build_report(results, config, spec, args)
    print_report(report, results)
    write_json(report, args.json)
    return 1 if any(result.error_count for result in results.values()) else 0


def meters_for(server: GunicornServer, db_url: str) -> dict:
    """What is observed while the clients run: who uses the cores, who waits on locks."""
    return {
        "cpu_cores": CpuMeter(server.pid, database_name(db_url)),
        "db_lock_waits": LockSampler(db_url),
    }


def measure(port, target: Target, tokens: list[str], spec: LoadSpec, args, meters) -> LoadResult:
    run_id = f"bench-{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}-{target.name}"
    if args.warmup > 0:
        print(f"  {target.name}: warming up {args.warmup:g} s ...", flush=True)
        warmup = LoadSpec(clients=spec.clients, duration=args.warmup)
        warm = run_clients(port, target, tokens, warmup, f"{run_id}-w")
        if warm.error_count:
            print_errors(warm)
    print(f"  {target.name}: measuring {length(spec)} ...", flush=True)
    return run_clients(port, target, tokens, spec, f"{run_id}-m", meters)


def length(spec: LoadSpec) -> str:
    return f"{spec.requests} requests" if spec.requests else f"{spec.duration:g} s"


# --- reporting -------------------------------------------------------------------------


def build_report(results: dict[str, LoadResult], config: GunicornConfig, spec, args) -> dict:
    ceiling, filing = results["ceiling"], results["filing"]
    ratio = filing.rate / ceiling.rate if ceiling.rate else 0.0
    p99 = filing.percentile(99)
    return {
        "benchmark": NAME,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cores": core_count()},
        "revision": source_revision(),
        "gunicorn": {
            "worker_class": config.worker_class,
            "workers": config.workers,
            "threads": config.threads,
        },
        "clients": spec.clients,
        "filing_states": args.states,
        "database": redacted(database_url()),
        "ceiling": with_cpu_per_request(ceiling),
        "filing": with_cpu_per_request(filing),
        "filing_to_ceiling": round(ratio, 3),
        "targets": {
            "throughput_ratio": {"min": TARGET_RATIO, "met": ratio >= TARGET_RATIO},
            "filing_p99_ms": {
                "max": TARGET_P99_MS,
                "at_clients": TARGET_CLIENTS,
                "met": p99 < TARGET_P99_MS if spec.clients == TARGET_CLIENTS else None,
            },
        },
    }


def with_cpu_per_request(result: LoadResult) -> dict:
    """The result's figures plus the server's CPU milliseconds per successful request.

    Unlike throughput, CPU per request hardly changes when other programs compete for the
    cores, so it still compares filing with the ceiling on a busy machine.
    """
    figures = result.as_dict()
    cores = figures.get("cpu_cores", {})
    if result.rate and cores:
        figures["cpu_ms_per_request"] = {
            group: round(cores[group] * 1000 / result.rate, 2) for group in SERVER_GROUPS
        }
    return figures


def print_report(report: dict, results: dict[str, LoadResult]) -> None:
    gunicorn = GunicornConfig(**report["gunicorn"]).describe()
    print()
    print(
        f"Filing benchmark at {report['revision']}: {report['machine']['cores']} cores, "
        f"gunicorn {gunicorn}"
    )
    states = report["filing_states"]
    print(
        f"{report['clients']} clients filing as the liaisons of {states} "
        f"state{'s' if states > 1 else ''}; {report['database']}"
    )
    print()
    header = f"{'':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    print(f"{header}{'ok':>8}{'errors':>8}{'secs':>7}")
    for label, key in ROWS:
        print(table_row(label, report[key]))
    print()
    print_cpu(report)
    print_lock_waits(report)
    print()
    print_targets(report)
    for result in results.values():
        print_errors(result)


def print_cpu(report: dict) -> None:
    print(f"CPU used, in cores (of {report['machine']['cores']}):")
    for key in ("ceiling", "filing"):
        cpu = report[key].get("cpu_cores", {})
        print(f"  {key:<8}" + "  ".join(f"{name} {cores:.2f}" for name, cores in cpu.items()))
    print_cpu_per_request(report)
    if any(
        report[key].get("cpu_cores", {}).get("other", 0) > NOISY_OTHER_CORES
        for key in ("ceiling", "filing")
    ):
        print(
            f"  WARNING: other programs used over {NOISY_OTHER_CORES} cores during the run; "
            "the figures are unreliable. Run again on a quiet machine."
        )


def print_cpu_per_request(report: dict) -> None:
    per_request = {key: report[key].get("cpu_ms_per_request") for key in ("ceiling", "filing")}
    if not all(per_request.values()):
        return
    print("Server CPU per request, in ms:")
    for key, groups in per_request.items():
        parts = "  ".join(f"{name} {ms:.2f}" for name, ms in groups.items())
        print(f"  {key:<8}{parts}  together {sum(groups.values()):.2f}")
    ceiling_ms, filing_ms = (sum(per_request[key].values()) for key in ("ceiling", "filing"))
    print(f"  a filing costs {filing_ms / ceiling_ms:.1f} times a ceiling request's server CPU")


def print_lock_waits(report: dict) -> None:
    print("Database sessions waiting on a lock (sampled every 10 ms):")
    for key in ("ceiling", "filing"):
        locks = report[key].get("db_lock_waits", {})
        if locks:
            print(
                f"  {key:<8}mean {locks['mean_waiting']:.2f} waiting "
                f"(at least one in {locks['share_with_waiter']:.0%} of samples), "
                f"mean {locks['mean_active']:.2f} active"
            )


def table_row(label: str, figures: dict) -> str:
    return (
        f"{label:<22}{figures['requests_per_s']:>9.1f}{figures['p50_ms']:>9.1f}"
        f"{figures['p99_ms']:>9.1f}{figures['max_ms'] or 0:>9.1f}{figures['ok']:>8}"
        f"{figures['errors']:>8}{figures['duration_s']:>7.1f}"
    )


def print_targets(report: dict) -> None:
    ratio, p99 = report["filing_to_ceiling"], report["filing"]["p99_ms"]
    met = report["targets"]
    print(
        f"filing / ceiling: {ratio:.1%}   target >= {TARGET_RATIO:.0%}: "
        f"{verdict(met['throughput_ratio']['met'])}"
    )
    note = "" if report["clients"] == TARGET_CLIENTS else f" (this run: {report['clients']})"
    print(
        f"filing p99: {p99:.1f} ms   target < {TARGET_P99_MS:.0f} ms at {TARGET_CLIENTS} "
        f"clients{note}: {verdict(met['filing_p99_ms']['met'])}"
    )


def verdict(met: bool | None) -> str:
    if met is None:
        return "not judged (another client count)"
    return "MET" if met else "MISSED"


def print_errors(result: LoadResult) -> None:
    if not result.errors:
        return
    print(f"\n{result.name}: {result.error_count} failed requests; the most frequent:")
    for text, count in result.errors.most_common(10):
        print(f"  {count:>6} x {text}")
    print(f"  (server log: {SERVER_LOG})")


def write_json(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nFigures written to {path}")
