"""Where a filing's time goes: ``python -m bench.profile_filing [--filings N] [--cprofile]``.

In one process, without HTTP or concurrency, on the benchmark database: files exercise
notices through Django's full request stack (middleware, token authentication, the API
view) and reports

- every SQL statement of one filing, and of one ceiling request for comparison;
- the mean wall time per filing of each step of the request path, timed by wrapping
  the functions that do them (steps nest: a step's time includes its sub-steps');
- with ``--cprofile``, the functions with the most own time over all filings.

The server's "SELECT 1" connection health check (one per request) and the BEGIN and
COMMIT of the filing's transaction are round trips that the statement list leaves out.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import functools
import importlib
import pstats
import time
from collections import defaultdict

from bench.filing import REF, exercise_document, templated
from bench.server import SetupError, database_url, prepare_database

#: (label, module, attribute path) of each step timed; indentation shows nesting. "a|b"
#: tries module a, then b (the code moved between revisions); the module is where the
#: caller looks the name up. Steps whose function does not exist are left out.
SERVICES = "registry.services.notices|registry.services"
STEPS = [
    ("whole request (middleware, view, rendering)", "django.test.client", "ClientHandler.__call__"),
    ("  token authentication", "registry.authentication", "ApiTokenAuthentication.authenticate"),
    (
        "  request validation (FilingRequestSerializer)",
        "rest_framework.serializers",
        "Serializer.is_valid",
    ),
    ("  services.file_notice", "registry.services", "file_notice"),
    ("    liaison and state (official_of, .state)", SERVICES, "require_liaison"),
    ("    content build + full_clean (_build)", SERVICES, "_build"),
    ("    submission digest", SERVICES, "submission_digest"),
    ("    replay check (_replay)", SERVICES, "_replay"),
    ("    participation check (takes_part)", SERVICES, "takes_part"),
    ("    participants (participant_codes)", SERVICES, "participant_codes"),
    ("    transaction (_write_new_notice, with on-commit hooks)", SERVICES, "_write_new_notice"),
    ("      next_sequence (counter upsert)", SERVICES, "next_sequence"),
    ("      _write_version", SERVICES, "_write_version"),
    ("        rules.assess", "registry.rules", "assess"),
    ("        content rows save", "registry.notice_content", "ContentKind.save"),
    ("        recipient_codes", SERVICES, "recipient_codes"),
    ("        create_deliveries", "notifications.dispatch", "create_deliveries"),
    (
        "        evidence log submission (record_version)",
        "registry.ledger.events|registry.ledger_events",
        "record_version",
    ),
    ("  response: NoticeSerializer(...).data", "rest_framework.serializers", "Serializer.data"),
    ("    version_content (reload the content)", "registry.serializers", "version_content"),
    ("  response: evidence log receipt (version_receipt)", "registry.api", "version_receipt"),
    ("    sequencing up to the filing's entry", "registry.ledger", "_sequence_batch"),
    ("  JSON rendering", "rest_framework.renderers", "JSONRenderer.render"),
    ("across the request, within the steps above:", "", ""),
    (
        "  COMMIT (waits for the WAL flush)",
        "django.db.backends.base.base",
        "BaseDatabaseWrapper._commit",
    ),
    (
        "  building serializer fields (ModelSerializer.get_fields)",
        "rest_framework.serializers",
        "ModelSerializer.get_fields",
    ),
    (
        "  ExerciseSerializer.to_representation",
        "registry.serializers",
        "ExerciseSerializer.to_representation",
    ),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_filing", description=__doc__)
    parser.add_argument("--filings", type=int, default=300, help="filings timed (300)")
    parser.add_argument("--cprofile", action="store_true", help="also print a cProfile summary")
    args = parser.parse_args(argv)
    try:
        key = prepare_database(database_url(), ["rs-liaison"])["rs-liaison"]
    except SetupError as exc:
        raise SystemExit(str(exc)) from exc
    from django.test import Client

    client = Client(
        SERVER_NAME="127.0.0.1",
        HTTP_AUTHORIZATION=f"Token {key}",
        HTTP_X_FORWARDED_PROTO="https",  # as the TLS proxy says (the settings redirect otherwise)
        raise_request_exception=False,
    )
    filing = Filer(client)
    for _ in range(20):
        filing.post()  # imports, caches, connection
    print_statements("One filing", filing.post)
    print_statements("One ceiling request", lambda: ceiling_post(client))
    print_ceiling_time(client, args.filings)
    print_steps(filing, args.filings)
    if args.cprofile:
        print_cprofile(filing, args.filings)


class Filer:
    """Posts valid exercise filings, each with a new client_ref, and checks the answer."""

    def __init__(self, client):
        self.client = client
        self.body = templated(exercise_document(dt.date.today()))
        self.prefix = f"profile-{time.time_ns()}-"
        self.count = 0

    def post(self):
        self.count += 1
        ref = f"{self.prefix}{self.count}"
        response = self.client.post(
            "/api/v1/notices/", self.body(ref), content_type="application/json"
        )
        if response.status_code != 201:
            raise SystemExit(f"Filing answered {response.status_code}: {response.content[:500]!r}")
        return response


def ceiling_post(client):
    body = templated({"client_ref": REF})(f"profile-ceiling-{time.time_ns()}")
    response = client.post("/bench/ceiling/", body, content_type="application/json")
    if response.status_code != 201:
        raise SystemExit(f"Ceiling answered {response.status_code}: {response.content[:500]!r}")


# --- SQL ---------------------------------------------------------------------------------


def print_statements(title: str, request) -> None:
    """Each statement with its driver time; BEGIN and COMMIT as Django logs them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    database = DatabaseTimer()
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(database):
        request()
    timings = iter(database.timings)
    print(
        f"\n{title}: {database.count} SQL statements ({len(captured)} with BEGIN/COMMIT), "
        f"{database.seconds * 1000:.2f} ms in the database driver"
    )
    for number, query in enumerate(captured.captured_queries, start=1):
        sql = " ".join(query["sql"].split())
        took = "     " if sql in TRANSACTION_CONTROL else f"{next(timings) * 1000:5.2f}"
        print(f"  {number:>2}. {took} ms  {shorten(sql)}")


TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}


def shorten(sql: str, width: int = 150) -> str:
    return sql if len(sql) <= width else sql[: width - 1] + "…"


# --- steps -------------------------------------------------------------------------------


class StepTimer:
    """Wraps each step's function to add up its wall time and calls (outermost calls only),
    and, as a ``connection.execute_wrapper``, the statements run while each step is open."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu_seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.sql_seconds: dict[str, float] = defaultdict(float)
        self.sql_count: dict[str, int] = defaultdict(int)
        self.depth: dict[str, int] = defaultdict(int)
        self.restore: list[tuple[object, str, object]] = []

    def wrap_all(self) -> None:
        for label, module_name, path in STEPS:
            owner, name = resolve(module_name, path)
            if owner is not None:
                self.wrap(owner, name, label)

    def wrap(self, owner, name: str, label: str) -> None:
        own = isinstance(owner, type) and name in owner.__dict__
        original = owner.__dict__[name] if own else getattr(owner, name)
        is_property = isinstance(original, property)
        function = original.fget if is_property else original

        @functools.wraps(function)
        def timed(*args, **kwargs):
            self.depth[label] += 1
            began, cpu_began = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.depth[label] -= 1
                if not self.depth[label]:
                    self.seconds[label] += time.perf_counter() - began
                    self.cpu_seconds[label] += time.thread_time() - cpu_began
                    self.calls[label] += 1

        setattr(owner, name, property(timed) if is_property else timed)
        self.restore.append((owner, name, original if own or not isinstance(owner, type) else None))

    def unwrap_all(self) -> None:
        for owner, name, original in reversed(self.restore):
            if original is None:
                delattr(owner, name)  # it was inherited
            else:
                setattr(owner, name, original)
        self.restore.clear()

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - began
            for label in [label for label, depth in self.depth.items() if depth]:
                self.sql_seconds[label] += took
                self.sql_count[label] += 1


def resolve(module_names: str, path: str):
    """(object holding the attribute, attribute name) in the first of the "a|b" modules that
    has it, or (None, name) if none has it."""
    *parents, name = path.split(".")
    for module_name in filter(None, module_names.split("|")):
        try:
            owner = importlib.import_module(module_name)
        except ImportError:
            continue
        for parent in parents:
            owner = getattr(owner, parent, None)
        if owner is not None and hasattr(owner, name):
            return owner, name
    return None, name


def print_ceiling_time(client, count: int) -> None:
    began = time.perf_counter()
    for _ in range(count):
        ceiling_post(client)
    per_request = (time.perf_counter() - began) / count * 1000
    print(f"\nMean wall time per ceiling request over {count} requests: {per_request:.2f} ms")


def print_steps(filing: Filer, count: int) -> None:
    from django.db import connection

    timer = StepTimer()
    timer.wrap_all()
    try:
        with connection.execute_wrapper(timer):
            began = time.perf_counter()
            for _ in range(count):
                filing.post()
            elapsed = time.perf_counter() - began
    finally:
        timer.unwrap_all()
    print(f"\nMean per filing over {count} filings ({elapsed / count * 1000:.2f} ms wall each):")
    print(f"  {'step':<58}{'wall ms':>8}{'CPU ms':>8}{'SQL':>6}{'SQL ms':>8}{'calls':>7}")
    for label, module_name, _path in STEPS:
        if not module_name:
            print(f"  {label}")
            continue
        if not timer.calls.get(label):
            continue  # not in this revision, or not called
        wall, cpu = timer.seconds[label] / count * 1000, timer.cpu_seconds[label] / count * 1000
        sql = timer.sql_seconds[label] / count * 1000
        print(
            f"  {label:<58}{wall:8.2f}{cpu:8.2f}{timer.sql_count[label] / count:6.1f}{sql:8.2f}"
            f"{timer.calls[label] / count:7.1f}"
        )
    print(
        "  (CPU: this process's CPU time, Python mostly; SQL: statements run within the step\n"
        "   and their wall time in the driver, which includes the database's work)"
    )


class DatabaseTimer:
    """A ``connection.execute_wrapper`` that adds up statements and their wall time."""

    def __init__(self):
        self.timings: list[float] = []

    @property
    def count(self) -> int:
        return len(self.timings)

    @property
    def seconds(self) -> float:
        return sum(self.timings)

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.timings.append(time.perf_counter() - began)


def print_cprofile(filing: Filer, count: int) -> None:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(count):
        filing.post()
    profile.disable()
    print(f"\ncProfile over {count} filings, by own time (top 30):")
    pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
