"""Big evidence logs for ``python -m bench ledger``: built in bulk, then proofs timed.

The entries get small synthetic payloads whose leaf hashes PostgreSQL computes
(``sha256``); each node level is one INSERT … SELECT joining the level below with itself.
The log is the registry's own tables, so the proofs are read exactly as the API reads them.
"""

from __future__ import annotations

import random
import time

from bench.server import database_name, ensure_database, redacted

LEAVES_SQL = """
INSERT INTO registry_ledgerentry ("index", submission_id, kind, payload, leaf_hash, recorded_at)
SELECT i, -1 - i, 'bench.append', p, sha256('\\x00'::bytea || p), now()
FROM (
    SELECT i, convert_to('{"data":{"n":' || i || '},"kind":"bench.append"}', 'UTF8') AS p
    FROM generate_series(%s::bigint, %s::bigint) AS i
) AS leaves
"""
LEVEL_ONE_SQL = """
INSERT INTO registry_ledgernode (level, "index", hash)
SELECT 1, a."index" / 2, sha256('\\x01'::bytea || a.leaf_hash || b.leaf_hash)
FROM registry_ledgerentry a JOIN registry_ledgerentry b ON b."index" = a."index" + 1
WHERE mod(a."index", 2) = 0
"""
LEVEL_SQL = """
INSERT INTO registry_ledgernode (level, "index", hash)
SELECT %s + 1, a."index" / 2, sha256('\\x01'::bytea || a.hash || b.hash)
FROM registry_ledgernode a JOIN registry_ledgernode b ON b.level = %s AND b."index" = a."index" + 1
WHERE a.level = %s AND a."index" %% 2 = 0
"""


def use_database(db_url: str) -> None:
    """Point this process's Django connection at another database."""
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    name = database_name(db_url)
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name


def proof_timings(db_url: str, sizes: list[int], count: int, *, keep: bool) -> dict:
    from django.core.management import call_command

    ensure_database(db_url)
    use_database(db_url)
    call_command("migrate", verbosity=0, interactive=False)
    print(f"\nProofs on big logs ({redacted(db_url)}), warm cache, {count} random proofs each")
    results: dict = {}
    verified_root: tuple[int, bytes] | None = None
    for size in sorted(sizes):
        results[str(size)] = {"build_seconds": build(size)}
        verified_root = check_root(size, verified_root)
        results[str(size)].update(time_proofs(size, count))
        show(size, results[str(size)])
    if not keep:
        drop(db_url)
    return results


def sql(statement: str, params: list | None = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def build(size: int) -> float:
    """Make the log exactly ``size`` entries with its complete node table; seconds taken."""
    from registry import ledger
    from registry.models import LedgerEntry, LedgerHead

    started = time.monotonic()
    current = LedgerEntry.objects.count()
    if current == size and ledger.tree_size() == size:
        return 0.0  # kept from an earlier run (--keep)
    if current > size:
        sql("TRUNCATE registry_ledgerentry, registry_ledgernode, registry_ledgerhead")
        current = 0
    sql("SET synchronous_commit = off")
    sql(LEAVES_SQL, [current, size - 1])
    sql("TRUNCATE registry_ledgernode")
    sql(LEVEL_ONE_SQL)
    level = 1
    while sql(LEVEL_SQL, [level, level, level]):
        level += 1
    LedgerHead.objects.update_or_create(pk=1, defaults={"size": size})
    sql("VACUUM ANALYZE registry_ledgerentry")
    sql("VACUUM ANALYZE registry_ledgernode")
    seconds = time.monotonic() - started
    print(f"  built {size:,} entries and their nodes in {seconds:.0f} s")
    return round(seconds, 1)


def check_root(size: int, verified: tuple[int, bytes] | None) -> tuple[int, bytes]:
    """The stored tree is the RFC 6962 tree: recompute the smallest log from its leaves;
    show each larger one extends it (a consistency proof)."""
    from registry import ledger
    from registry.ledger import merkle
    from registry.models import LedgerEntry

    root = ledger.root_hash(size)
    if verified is None:
        tree = merkle.CompactRange()
        leaves = LedgerEntry.objects.order_by("index").values_list("leaf_hash", flat=True)
        for leaf in leaves.iterator(chunk_size=20000):
            tree.append(bytes(leaf))
        assert tree.root() == root, "the bulk-built tree is not the RFC 6962 tree"
        print(f"  root of {size:,} recomputed from the leaves: matches")
    else:
        first, first_root = verified
        proof = ledger.consistency_proof(first, size)
        merkle.verify_consistency(first, size, first_root, root, proof)
        print(f"  tree of {size:,} extends the verified tree of {first:,}: consistent")
    return size, root


def time_proofs(size: int, count: int) -> dict:
    from bench.ledger import timing
    from registry import ledger
    from registry.ledger import merkle
    from registry.models import LedgerEntry

    rng = random.Random(size)
    root = ledger.root_hash(size)
    for _ in range(200):  # warm the cache
        ledger.inclusion_proof(rng.randrange(size), size)
        ledger.consistency_proof(rng.randrange(1, size + 1), size)
    inclusion, consistency = [], []
    for number in range(count):
        index = rng.randrange(size)
        started = time.perf_counter()
        proof = ledger.inclusion_proof(index, size)
        inclusion.append((time.perf_counter() - started) * 1000)
        first = rng.randrange(1, size + 1)
        started = time.perf_counter()
        consistency_proof = ledger.consistency_proof(first, size)
        consistency.append((time.perf_counter() - started) * 1000)
        if number % 50 == 0:  # check a sample, outside the timing
            leaf = bytes(LedgerEntry.objects.get(index=index).leaf_hash)
            merkle.verify_inclusion(index, size, leaf, proof, root)
            merkle.verify_consistency(first, size, ledger.root_hash(first), root, consistency_proof)
    return {"inclusion": timing(inclusion), "consistency": timing(consistency)}


def show(size: int, figures: dict) -> None:
    for kind in ("inclusion", "consistency"):
        f = figures[kind]
        print(
            f"  {kind:<12} proof at {size:>12,}: median {f['median_ms']:.2f} ms, "
            f"p99 {f['p99_ms']:.2f} ms, max {f['max_ms']:.2f} ms"
        )


def drop(db_url: str) -> None:
    from django.db import connections

    connections.close_all()
    ensure_database(db_url, fresh=True)  # drop and recreate empty: frees the disk now
