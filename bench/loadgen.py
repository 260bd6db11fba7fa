"""A light closed-loop load generator: one thread and one keep-alive connection per client.

Each client sends a request, waits for the answer, checks it and sends the next one, so
the offered load is exactly ``clients`` requests in flight. A thread spends most of its
time blocked in the socket with the GIL released; the generator's own CPU use is
measured and reported so that one can see it leaves the cores to the server.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_ERROR_TEXT = 300


@dataclass(frozen=True)
class Target:
    """What the clients send: ``make_body(client_ref)`` POSTed to ``path``, answered ``status``.

    An answer counts as a success only with the expected status and the request's own
    ``client_ref`` in its body.
    """

    name: str
    path: str
    make_body: Callable[[str], bytes]
    status: int = 201


@dataclass(frozen=True)
class LoadSpec:
    clients: int
    duration: float | None = None  # seconds, or
    requests: int | None = None  # a total number of requests over all clients


@dataclass
class ClientTally:
    latencies_ns: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


@dataclass
class LoadResult:
    name: str
    clients: int
    elapsed_s: float
    latencies_ms: list[float]  # of successful requests, sorted
    errors: Counter[str]
    observed: dict[str, dict] = field(default_factory=dict)  # what each meter saw

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the successful requests' latencies, in ms."""
        if not self.latencies_ms:
            return float("nan")
        rank = max(1, round(p / 100 * len(self.latencies_ms)))
        return self.latencies_ms[min(rank, len(self.latencies_ms)) - 1]

    def as_dict(self) -> dict:
        return {
            "requests_per_s": round(self.rate, 1),
            "p50_ms": round(self.percentile(50), 1),
            "p99_ms": round(self.percentile(99), 1),
            "max_ms": round(self.latencies_ms[-1], 1) if self.latencies_ms else None,
            "ok": self.ok,
            "errors": self.error_count,
            "error_samples": dict(self.errors.most_common(10)),
            "clients": self.clients,
            "duration_s": round(self.elapsed_s, 2),
            **self.observed,
        }


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    length = parser.add_mutually_exclusive_group()
    length.add_argument(
        "--duration", type=float, default=20.0, help="seconds measured per endpoint (20)"
    )
    length.add_argument(
        "--requests", type=int, help="requests measured per endpoint, instead of --duration"
    )
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of unmeasured load first (3)"
    )


def load_spec(args: argparse.Namespace) -> LoadSpec:
    if args.requests:
        return LoadSpec(clients=args.clients, requests=args.requests)
    return LoadSpec(clients=args.clients, duration=args.duration)


# --- running ---------------------------------------------------------------------------


class _Schedule:
    """Hands out request numbers until the duration is over or the requests are used up."""

    def __init__(self, spec: LoadSpec):
        self.spec = spec
        self.numbers = itertools.count()  # next() is atomic under the GIL
        self.deadline = float("inf")

    def start(self) -> None:
        if self.spec.duration is not None:
            self.deadline = time.perf_counter() + self.spec.duration

    def next_number(self) -> int | None:
        if time.perf_counter() >= self.deadline:
            return None
        number = next(self.numbers)
        if self.spec.requests is not None and number >= self.spec.requests:
            return None
        return number


def run_load(
    port: int, target: Target, tokens: list[str], spec: LoadSpec, run_id: str, meters=None
) -> LoadResult:
    """Run ``spec.clients`` clients against ``target``; client ``i`` uses ``tokens[i % n]``.

    ``meters`` maps names to objects with ``start()`` and ``stop() -> dict`` (such as
    ``bench.cpu.CpuMeter``), run while the clients run; ``result.observed`` has their dicts.
    """
    meters = meters or {}
    schedule = _Schedule(spec)
    tallies = [ClientTally() for _ in range(spec.clients)]
    start = threading.Barrier(spec.clients + 1)
    threads = [
        threading.Thread(
            target=_client,
            args=(port, target, tokens[i % len(tokens)], f"{run_id}-", schedule, tallies[i], start),
            daemon=True,
        )
        for i in range(spec.clients)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    schedule.start()
    for meter in meters.values():
        meter.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    result = _result(target.name, spec, tallies, elapsed)
    result.observed = {name: meter.stop() for name, meter in meters.items()}
    return result


def _client(port, target, token, ref_prefix, schedule, tally, start) -> None:
    headers = {
        "Authorization": f"Token {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        # What the TLS proxy in front of gunicorn says (docs/deployment.md); without it the
        # production settings redirect to HTTPS.
        "X-Forwarded-Proto": "https",
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start.wait()
    try:
        while (number := schedule.next_number()) is not None:
            _one_request(conn, target, headers, f"{ref_prefix}{number}", tally)
    finally:
        conn.close()


def _one_request(conn, target: Target, headers: dict, client_ref: str, tally: ClientTally):
    began = time.perf_counter_ns()
    try:
        conn.request("POST", target.path, target.make_body(client_ref), headers)
        response = conn.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as exc:
        conn.close()  # the next request opens a new connection
        tally.errors[f"{type(exc).__name__}: {exc}"[:MAX_ERROR_TEXT]] += 1
        return
    latency = time.perf_counter_ns() - began
    if response.status == target.status and client_ref.encode() in body:
        tally.latencies_ns.append(latency)
    else:
        tally.errors[f"HTTP {response.status}: {body[:MAX_ERROR_TEXT]!r}"] += 1


def _result(name: str, spec: LoadSpec, tallies: list[ClientTally], elapsed: float) -> LoadResult:
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    for tally in tallies:
        errors.update(tally.errors)
        latencies.extend(ns / 1e6 for ns in tally.latencies_ns)
    return LoadResult(
        name=name,
        clients=spec.clients,
        elapsed_s=elapsed,
        latencies_ms=sorted(latencies),
        errors=errors,
    )
