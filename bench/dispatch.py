"""Dispatch: signed webhook deliveries to counterpart states per second, against django-webhook.

``--notices`` notices (100) are filed to ``--recipients`` states (56), each with one
webhook endpoint on a fast local receiver (``bench.dispatch_receiver``, an asyncio server
in its own process that answers 200 at once), with PostgreSQL, a Redis server of the
benchmark's own and ``--concurrency`` (2) Celery worker processes (``celery -A registry
worker --pool prefork``). Two systems do the same work, one after the other, on the same
database, broker, receiver and workers' configuration:

- **registry**: the registry's outbox (``notifications.dispatch``), as shipped;
- **django-webhook**: django-webhook 0.0.15, a popular Celery webhook app that sends one
  task per delivery, triggered by the same filings (``bench.dispatch_settings``).

For each, a burst run files every notice back to back and measures signed deliveries per
second (from the first filing to the last arrival) and, per notice, the time from its
filing (committed) to its last recipient's delivery; a latency run files at a steady
``--rate`` (10 notices/s) for ``--latency-seconds``. CPU is accounted per process group
(workers, PostgreSQL, Redis, the receiver, the filing process, everything else) and per
worker process, with the workers' resident memory. Figures go to ``--json``.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench import dispatch_world as world
from bench.cpu import core_count
from bench.dispatch_filing import Filed, Filer
from bench.dispatch_processes import (
    CeleryWorker,
    ProcessMeter,
    ReceiverProcess,
    RedisServer,
    memory_kib,
)
from bench.server import REPO_ROOT, SetupError, database_name, redacted, source_revision

DEFAULT_JSON = REPO_ROOT / "var" / "bench" / "dispatch.json"
SYSTEMS = ("registry", "django-webhook")
TARGET_RATE = 1000.0
TARGET_RATIO = 5.0
TARGET_P95_S = 2.0
NOISY_OTHER_CORES = 0.15


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--notices", type=int, default=100, help="notices per burst run (100)")
    parser.add_argument("--recipients", type=int, default=56, help="recipient states (56)")
    parser.add_argument(
        "--concurrency", type=int, default=2, help="celery worker processes (prefork pool) (2)"
    )
    parser.add_argument("--rate", type=float, default=10.0, help="notices/s of the latency run")
    parser.add_argument(
        "--latency-seconds", type=float, default=10.0, help="length of the latency run (10)"
    )
    parser.add_argument(
        "--warmup", type=int, default=5, help="notices filed and delivered first, not counted (5)"
    )
    parser.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help="which systems to measure, comma-separated (registry,django-webhook)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait per run")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="S",
        help="before each run, wait up to S seconds for other programs to use under "
        f"{NOISY_OTHER_CORES} cores (0: do not wait)",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write JSON")


# --- running ---------------------------------------------------------------------------


@dataclass
class Services:
    """What every run shares: the database, the broker and the receiver."""

    db_url: str
    redis: RedisServer
    receiver: ReceiverProcess
    recipients: list[str]


def run(args: argparse.Namespace) -> int:
    systems = [name.strip() for name in args.systems.split(",") if name.strip()]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        raise SetupError(f"Unknown systems: {', '.join(sorted(unknown))}")
    db_url = world.dispatch_database_url()
    with (
        RedisServer(world.log_path("redis")) as redis,
        ReceiverProcess(world.log_path("receiver")) as receiver,
    ):
        redis.start()
        receiver.start()
        print(f"Preparing {redacted(db_url)} ...", flush=True)
        world.prepare(db_url, redis.url)
        recipients = world.create_world(args.recipients, receiver.url)
        services = Services(db_url, redis, receiver, recipients)
        results = {system: measure_system(system, services, args) for system in systems}
    report = build_report(results, args)
    print_report(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nFigures written to {args.json}")
    complete = all(run["complete"] for result in results.values() for run in result.values())
    return 0 if complete else 1


def measure_system(system: str, services: Services, args: argparse.Namespace) -> dict:
    """The burst and latency runs of one system, on workers started for it."""
    from django.db import connections

    world.switch_on(system)
    connections.close_all()
    env = world.environment(services.db_url, services.redis.url, system)
    node = f"bench-{system}-{time.monotonic_ns()}"
    with (
        CeleryWorker(world.log_path(f"worker-{system}")) as worker,
        Filer(env) as filer,
    ):
        worker.start(env, args.concurrency, node)
        print(f"{system}: workers {worker.pids()}, filing process {filer.pid}", flush=True)
        if args.warmup:
            print(f"  warming up: {args.warmup} notices ...", flush=True)
            timed_run(system, services, worker, filer, args, args.warmup, None)
        print(f"  burst: {args.notices} notices ...", flush=True)
        burst = timed_run(system, services, worker, filer, args, args.notices, None)
        count = max(1, round(args.rate * args.latency_seconds))
        print(f"  latency: {count} notices at {args.rate:g}/s ...", flush=True)
        steady = timed_run(system, services, worker, filer, args, count, args.rate)
    return {"burst": burst, "steady": steady}


def timed_run(system, services: Services, worker, filer, args, count: int, rate) -> dict:
    """File ``count`` notices, wait for every delivery, and measure what it took."""
    services.receiver.reset()
    meter = ProcessMeter(
        {
            "workers": [worker.session],
            "receiver": [services.receiver.session],
            "redis": [services.redis.session],
        },
        filer.pid,
        database_name(services.db_url),
    )
    if args.wait_quiet:
        wait_until_quiet(meter, args.wait_quiet)
    meter.start()
    filed = filer.file(count, rate)
    expected = count * len(services.recipients)
    records = wait_for_deliveries(system, services.receiver, filed, expected, args.timeout)
    wait_until_recorded(system, filed, expected, args.timeout)
    cpu = meter.stop()
    memory = {pid: memory_kib(pid) for pid in worker.pids()}
    return analyse(system, filed, records, expected, cpu, memory)


def wait_until_quiet(meter: ProcessMeter, patience: float) -> float:
    """Wait until other programs used under ``NOISY_OTHER_CORES`` for a whole second (or
    ``patience`` seconds passed); return what they used in the last second."""
    deadline = time.monotonic() + patience
    while True:
        meter.start()
        time.sleep(1.0)
        other = meter.stop()["cores"]["other"]
        if other < NOISY_OTHER_CORES or time.monotonic() >= deadline:
            return other


def wait_until_recorded(system: str, filed: list[Filed], expected: int, timeout: float) -> None:
    """Wait until the system has recorded every delivery as done, so that the CPU measured
    includes its bookkeeping: the registry's delivery rows, django-webhook's events."""
    from django_webhook.models import WebhookEvent

    from notifications.models import Delivery

    versions = [f.version_id for f in filed]
    if system == "registry":
        done = Delivery.objects.filter(
            version_id__in=versions, endpoint__kind="webhook", status="delivered"
        )
    else:
        done = WebhookEvent.objects.filter(object__object__id__in=versions, status="SUCCESS")
    deadline = time.monotonic() + timeout
    while done.count() < expected and time.monotonic() < deadline:
        time.sleep(0.05)


def wait_for_deliveries(system, receiver, filed: list[Filed], expected: int, timeout: float):
    """The receiver's records once every expected delivery arrived (or the time is up)."""
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        count = receiver.count()
        if count >= expected and count != seen:
            seen = count
            records = receiver.records()
            if len(deliveries_of(system, records, filed)) >= expected:
                return records
        time.sleep(0.02)
    return receiver.records()


# --- what arrived ----------------------------------------------------------------------


def headers_of(head: str) -> dict[str, str]:
    lines = head.split("\r\n")[1:]
    return {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines)
    }


def deliveries_of(system: str, records: list[list], filed: list[Filed]) -> dict:
    """``{(version id, path): first arrival}`` of the filed versions' deliveries."""
    versions = {f.version_id for f in filed}
    key_of = registry_keys(records) if system == "registry" else peer_key
    arrivals: dict[tuple[int, str], float] = {}
    for record in records:
        at, path = record[0], record[1]
        version = key_of(record)
        if version in versions:
            key = (version, path)
            arrivals[key] = min(at, arrivals.get(key, at))
    return arrivals


def registry_keys(records: list[list]):
    """The version of each registry request, from its ``webhook-id`` (a delivery's)."""
    from notifications.models import Delivery

    ids = {headers_of(r[2]).get("webhook-id", "").removeprefix("msg_") for r in records}
    versions = dict(
        Delivery.objects.filter(message_id__in=[i for i in ids if i]).values_list(
            "message_id", "version_id"
        )
    )
    by_hex = {message_id.hex: version for message_id, version in versions.items()}
    return lambda record: by_hex.get(headers_of(record[2]).get("webhook-id", "")[4:])


def peer_key(record: list) -> int | None:
    """The version a django-webhook request is about: its payload is the saved row."""
    try:
        return json.loads(record[3])["object"]["id"]
    except (ValueError, KeyError, TypeError):
        return None


def verify_signatures(system: str, records: list[list]) -> tuple[dict, list[list]]:
    """Check every request's signatures as its receiver would (after the run, so that the
    receiver stays cheap while it runs); only verified requests count as deliveries."""
    check = verify_registry if system == "registry" else verify_peer
    secrets = world.registry_secrets() if system == "registry" else world.peer_secrets()
    verified = [record for record in records if check(record, secrets)]
    return {"checked": len(records), "failed": len(records) - len(verified)}, verified


def verify_registry(record: list, secrets: dict[str, str]) -> bool:
    """``v1`` with the standardwebhooks library and ``v1a`` with the published key."""
    from cryptography.exceptions import InvalidSignature
    from standardwebhooks import Webhook
    from standardwebhooks.webhooks import WebhookVerificationError

    from notifications.signing import KEY_PURPOSE
    from registry.keys import signing_key

    headers, body = headers_of(record[2]), record[3].encode("latin-1")
    try:
        Webhook(secrets[record[1]]).verify(body, headers)  # v1, with the path's own secret
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
        v1a = next(s for s in headers["webhook-signature"].split() if s.startswith("v1a,"))
        signing_key(KEY_PURPOSE).public_key().verify(base64.b64decode(v1a[4:]), signed)
    except (WebhookVerificationError, InvalidSignature, KeyError, StopIteration):
        return False
    return True


def verify_peer(record: list, secrets: dict[str, str]) -> bool:
    """django-webhook's scheme: hex HMAC-SHA256 of ``{timestamp}:{payload}``."""
    headers, secret = headers_of(record[2]), secrets.get(record[1])
    if secret is None:
        return False
    signed = f"{headers.get('django-webhook-request-timestamp')}:{record[3]}".encode("latin-1")
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(digest, headers.get("django-webhook-signature-v1", ""))


# --- figures ---------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, round(p / 100 * len(ordered)))) - 1]


def analyse(system, filed: list[Filed], records, expected: int, cpu: dict, memory) -> dict:
    signatures, verified = verify_signatures(system, records)
    arrivals = deliveries_of(system, verified, filed)
    last: dict[int, float] = defaultdict(float)
    for (version, _), at in arrivals.items():
        last[version] = max(last[version], at)
    complete = len(arrivals) >= expected
    window = (max(arrivals.values()) - filed[0].started) if arrivals else 0.0
    latencies = [last[f.version_id] - f.filed for f in filed if f.version_id in last]
    delivered = len(arrivals)
    figures = {
        "notices": len(filed),
        "expected_deliveries": expected,
        "delivered": delivered,
        "requests": len(records),
        "complete": complete,
        "window_s": round(window, 3),
        "deliveries_per_s": round(delivered / window, 1) if window else 0.0,
        "filing_s": round(filed[-1].filed - filed[0].started, 3),
        "filing_ms_mean": round(1000 * sum(f.filed - f.started for f in filed) / len(filed), 1),
        "latency_s": latency_figures(latencies if complete else []),
        "body_bytes_mean": round(sum(len(r[3]) for r in records) / max(1, len(records))),
        "signatures": signatures,
        "cpu_cores": cpu["cores"],
        "cpu_ms_per_delivery": per_delivery(cpu["cores"], cpu["elapsed_s"], delivered),
        "worker_processes": worker_figures(cpu["worker_processes"], memory),
    }
    if system == "registry":
        figures["database"] = registry_outcome(filed)
    return figures


def latency_figures(latencies: list[float]) -> dict:
    return {
        name: round(value, 3) if value is not None else None
        for name, value in (
            ("p50", percentile(latencies, 50)),
            ("p95", percentile(latencies, 95)),
            ("max", max(latencies) if latencies else None),
        )
    }


def per_delivery(cores: dict, elapsed: float, delivered: int) -> dict:
    """CPU milliseconds per delivery of each group, and of all of them."""
    if not delivered:
        return {}
    skip = ("other", "benchmark", "machine busy")  # not the work of the system measured
    figures = {
        group: round(value * elapsed * 1000 / delivered, 3)
        for group, value in cores.items()
        if group not in skip
    }
    figures["all"] = round(sum(figures.values()), 3)
    return figures


def worker_figures(cores: dict[int, float], memory: dict[int, dict]) -> list[dict]:
    return [
        {
            "pid": pid,
            "cpu_cores": cores.get(pid, 0.0),
            "rss_mib": round(memory[pid].get("rss", 0) / 1024, 1),
            "peak_rss_mib": round(memory[pid].get("peak", 0) / 1024, 1),
        }
        for pid in sorted(memory)
    ]


def registry_outcome(filed: list[Filed]) -> dict:
    """What the database says: every delivery delivered, attempts made."""
    from django.db.models import Count

    from notifications.models import Delivery, DeliveryAttempt

    deliveries = Delivery.objects.filter(
        version_id__in=[f.version_id for f in filed], endpoint__kind="webhook"
    )
    statuses = dict(deliveries.values_list("status").annotate(n=Count("id")).order_by())
    attempts = DeliveryAttempt.objects.filter(delivery__in=deliveries).count()
    return {"statuses": statuses, "attempts": attempts}


def build_report(results: dict[str, dict], args: argparse.Namespace) -> dict:
    report = {
        "benchmark": "dispatch",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "revision": source_revision(),
        "machine": {"cores": core_count()},
        "notices": args.notices,
        "recipients": args.recipients,
        "worker_processes": args.concurrency,
        "rate": args.rate,
        "database": redacted(world.dispatch_database_url()),
        "results": results,
    }
    report["targets"] = targets(results)
    return report


def targets(results: dict[str, dict]) -> dict:
    registry, peer = results.get("registry"), results.get("django-webhook")
    verdicts: dict = {}
    if registry:
        rate = registry["burst"]["deliveries_per_s"]
        p95 = registry["steady"]["latency_s"]["p95"]
        verdicts["deliveries_per_s"] = {"min": TARGET_RATE, "value": rate, "met": rate >= 1000}
        verdicts["p95_s_at_rate"] = {
            "max": TARGET_P95_S,
            "value": p95,
            "met": p95 is not None and p95 < TARGET_P95_S,
        }
    if registry and peer and peer["burst"]["deliveries_per_s"]:
        ratio = registry["burst"]["deliveries_per_s"] / peer["burst"]["deliveries_per_s"]
        verdicts["ratio_to_peer"] = {
            "min": TARGET_RATIO,
            "value": round(ratio, 2),
            "met": ratio >= TARGET_RATIO,
        }
    return verdicts


# --- printing --------------------------------------------------------------------------


def print_report(report: dict) -> None:
    print()
    print(
        f"Dispatch benchmark at {report['revision']}: {report['machine']['cores']} cores, "
        f"{report['notices']} notices x {report['recipients']} recipients, "
        f"{report['worker_processes']} celery worker processes; {report['database']}"
    )
    print()
    print(
        f"{'':<28}{'deliv/s':>9}{'p50 s':>8}{'p95 s':>8}{'max s':>8}"
        f"{'delivered':>11}{'window s':>10}{'filing s':>10}"
    )
    for system, result in report["results"].items():
        for run_name, label in (("burst", "burst"), ("steady", f"at {report['rate']:g}/s")):
            print(table_row(f"{system} {label}", result[run_name]))
    print()
    for system, result in report["results"].items():
        print_cpu(system, result)
    print_cost(report["results"])
    print_targets(report["targets"])


def print_cost(results: dict) -> None:
    """CPU of the whole machine's work per delivery: steady however busy the machine is."""
    costs = {
        system: result["burst"]["cpu_ms_per_delivery"].get("all")
        for system, result in results.items()
    }
    if all(costs.values()):
        parts = ", ".join(f"{system} {ms:.2f} ms" for system, ms in costs.items())
        print(f"CPU per delivery, all processes of the run (burst): {parts}")
        if len(costs) == 2:
            registry, peer = costs.values()
            print(f"  django-webhook / registry: {peer / registry:.1f} times the CPU per delivery")


def table_row(label: str, figures: dict) -> str:
    latency = figures["latency_s"]
    cells = [latency[k] for k in ("p50", "p95", "max")]
    times = "".join(f"{c:>8.2f}" if c is not None else f"{'-':>8}" for c in cells)
    delivered = f"{figures['delivered']}/{figures['expected_deliveries']}"
    return (
        f"{label:<28}{figures['deliveries_per_s']:>9.1f}{times}{delivered:>11}"
        f"{figures['window_s']:>10.2f}{figures['filing_s']:>10.2f}"
    )


def print_cpu(system: str, result: dict) -> None:
    for run_name, figures in result.items():
        cores = "  ".join(f"{k} {v:.2f}" for k, v in figures["cpu_cores"].items())
        per = "  ".join(f"{k} {v:.3f}" for k, v in figures["cpu_ms_per_delivery"].items())
        print(f"{system} {run_name}: CPU in cores: {cores}")
        print(f"{'':<{len(system) + len(run_name) + 2}} CPU ms per delivery: {per}")
        processes = "  ".join(
            f"pid {p['pid']}: {p['cpu_cores']:.2f} cores, {p['rss_mib']:.0f} MiB "
            f"(peak {p['peak_rss_mib']:.0f})"
            for p in figures["worker_processes"]
        )
        print(f"{'':<{len(system) + len(run_name) + 2}} workers: {processes}")
        signatures = figures["signatures"]
        print(
            f"{'':<{len(system) + len(run_name) + 2}} body {figures['body_bytes_mean']} bytes; "
            f"signatures checked {signatures['checked']}, failed {signatures['failed']}; "
            f"requests {figures['requests']}"
            + (f"; database {figures['database']}" if "database" in figures else "")
        )
        if figures["cpu_cores"].get("other", 0) > NOISY_OTHER_CORES:
            print(
                f"  WARNING: other programs used {figures['cpu_cores']['other']:.2f} cores "
                f"(over {NOISY_OTHER_CORES}); the figures are unreliable. Run again when quiet."
            )
    print()


def print_targets(verdicts: dict) -> None:
    labels = {
        "deliveries_per_s": "registry deliveries/s (burst)",
        "ratio_to_peer": "registry / django-webhook",
        "p95_s_at_rate": "registry p95 s, filing to all delivered, steady rate",
    }
    for key, verdict in verdicts.items():
        bound = f">= {verdict['min']:g}" if "min" in verdict else f"< {verdict['max']:g}"
        state = "MET" if verdict["met"] else "MISSED"
        print(f"{labels[key]}: {verdict['value']}   target {bound}: {state}")
