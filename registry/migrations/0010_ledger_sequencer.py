"""The evidence log's sequencer as one PostgreSQL function: a batch is one round trip.

``registry_ledger_sequence(p_limit, p_wait)`` takes the sequencer's transaction-level
advisory lock (waiting for it when ``p_wait``, else giving up at once and answering -1),
moves the oldest ``p_limit`` submissions into the entries with the next indexes, hashes
the new tree nodes onto the head's right edge exactly as ``registry.ledger.merkle.
appended_nodes`` does (RFC 6962: SHA-256(0x01 ‖ left ‖ right)), stores them and advances
the head; it answers how many entries it added. Called as a statement of its own, its
transaction (and so the lock) ends with it. ``verify_ledger`` recomputes the tree from the
leaves in Python, so the two implementations check each other.

The function runs with its caller's rights: the application's role needs no grant beyond
those of the deployment guide. SQLite keeps the Python sequencer.
"""

from django.db import migrations

#: The advisory lock that makes the sequencer run one batch at a time.
SEQUENCER_LOCK_KEY = 0x6C656467  # "ledg"
COLUMNS = "kind, payload, leaf_hash, recorded_at, source_id, notice_id, state_id, commitment_id"

INSTALL = f"""
CREATE OR REPLACE FUNCTION registry_ledger_edge(p_size bigint, p_edge bytea)
RETURNS bytea[] LANGUAGE plpgsql STABLE AS $$
-- The hashes of merkle.frontier_nodes(p_size), largest subtree first: from the head's
-- copy, or from the entries and nodes when the head has none.
DECLARE
    v_edge bytea[] := '{{}}';
    v_position bigint := 0;
    v_level integer;
    v_hash bytea;
BEGIN
    IF p_edge IS NOT NULL AND length(p_edge) = 32 * length(replace(p_size::bit(64)::text, '0', '')) THEN
        FOR i IN 0 .. length(p_edge) / 32 - 1 LOOP
            v_edge := v_edge || substring(p_edge FROM 32 * i + 1 FOR 32);
        END LOOP;
        RETURN v_edge;
    END IF;
    FOR v_level IN REVERSE 62 .. 0 LOOP
        CONTINUE WHEN (p_size >> v_level) & 1 = 0;
        IF v_level = 0 THEN
            SELECT leaf_hash INTO v_hash FROM registry_ledgerentry WHERE "index" = v_position;
        ELSE
            SELECT hash INTO v_hash FROM registry_ledgernode
            WHERE level = v_level AND "index" = v_position >> v_level;
        END IF;
        IF v_hash IS NULL THEN
            RAISE EXCEPTION 'The log is missing tree node %/%', v_level, v_position >> v_level;
        END IF;
        v_edge := v_edge || v_hash;
        v_position := v_position + (1::bigint << v_level);
    END LOOP;
    RETURN v_edge;
END
$$;

CREATE OR REPLACE FUNCTION registry_ledger_extend(p_size bigint, p_leaves bytea[])
RETURNS void LANGUAGE plpgsql AS $$
-- Hash leaves p_size, p_size + 1, … (already in the entries) onto the tree of p_size
-- leaves: store every subtree they complete and advance the head.
DECLARE
    v_edge bytea[];
    v_level integer;
    v_index bigint;
    v_hash bytea;
    v_levels smallint[] := '{{}}';
    v_indexes bigint[] := '{{}}';
    v_hashes bytea[] := '{{}}';
BEGIN
    v_edge := registry_ledger_edge(
        p_size, (SELECT frontier FROM registry_ledgerhead WHERE id = 1));
    FOR i IN 1 .. cardinality(p_leaves) LOOP
        v_level := 0;
        v_index := p_size + i - 1;
        v_hash := p_leaves[i];
        WHILE v_index % 2 = 1 LOOP  -- an odd position completes a subtree
            v_hash := sha256('\\x01'::bytea || v_edge[cardinality(v_edge)] || v_hash);
            v_edge := v_edge[1:cardinality(v_edge) - 1];
            v_level := v_level + 1;
            v_index := v_index / 2;
            v_levels := v_levels || v_level::smallint;
            v_indexes := v_indexes || v_index;
            v_hashes := v_hashes || v_hash;
        END LOOP;
        v_edge := v_edge || v_hash;
    END LOOP;
    INSERT INTO registry_ledgernode (level, "index", hash)
    SELECT * FROM unnest(v_levels, v_indexes, v_hashes);
    INSERT INTO registry_ledgerhead (id, size, frontier, updated_at)
    VALUES (1, p_size + cardinality(p_leaves),
            (SELECT coalesce(string_agg(h, ''::bytea ORDER BY n), '')
             FROM unnest(v_edge) WITH ORDINALITY AS e(h, n)),
            now())
    ON CONFLICT (id) DO UPDATE SET size = EXCLUDED.size, frontier = EXCLUDED.frontier,
        updated_at = EXCLUDED.updated_at;
END
$$;

CREATE OR REPLACE FUNCTION registry_ledger_sequence(p_limit integer, p_wait boolean)
RETURNS integer LANGUAGE plpgsql AS $$
-- Move the oldest p_limit submissions into the log; how many, or -1 if the sequencer's
-- lock is taken and p_wait is false.
DECLARE
    v_size bigint;
    v_leaves bytea[];
BEGIN
    IF p_wait THEN
        PERFORM pg_advisory_xact_lock({SEQUENCER_LOCK_KEY});
    ELSIF NOT pg_try_advisory_xact_lock({SEQUENCER_LOCK_KEY}) THEN
        RETURN -1;
    END IF;
    v_size := coalesce((SELECT size FROM registry_ledgerhead WHERE id = 1), 0);
    WITH moved AS (
        DELETE FROM registry_ledgersubmission WHERE id IN (
            SELECT id FROM registry_ledgersubmission ORDER BY id LIMIT p_limit)
        RETURNING *
    ), inserted AS (
        INSERT INTO registry_ledgerentry ("index", submission_id, {COLUMNS})
        SELECT v_size + row_number() OVER (ORDER BY id) - 1, id, {COLUMNS} FROM moved
        RETURNING "index", leaf_hash
    )
    SELECT array_agg(leaf_hash ORDER BY "index") INTO v_leaves FROM inserted;
    IF v_leaves IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM registry_ledger_extend(v_size, v_leaves);
    RETURN cardinality(v_leaves);
END
$$;


CREATE OR REPLACE PROCEDURE registry_ledger_sequence_if_free(p_limit integer, p_rounds integer)
LANGUAGE plpgsql AS $$
-- Group commit, called right after an event commits: sequence everything pending unless a
-- sequencer is at work, which then takes it. Each batch commits (ending its lock) before
-- the look for newcomers, so a submission whose committer found the lock taken is always
-- seen by the holder's look. CALL it outside a transaction block.
DECLARE
    v_moved integer;
BEGIN
    FOR i IN 1 .. p_rounds LOOP
        v_moved := registry_ledger_sequence(p_limit, false);
        IF v_moved < 0 THEN
            RETURN;
        END IF;
        COMMIT;
        EXIT WHEN v_moved < p_limit
            AND NOT EXISTS (SELECT FROM registry_ledgersubmission ORDER BY id LIMIT 1);
    END LOOP;
END
$$;
"""

UNINSTALL = """
DROP PROCEDURE IF EXISTS registry_ledger_sequence_if_free(integer, integer);
DROP FUNCTION IF EXISTS registry_ledger_sequence(integer, boolean);
DROP FUNCTION IF EXISTS registry_ledger_extend(bigint, bytea[]);
DROP FUNCTION IF EXISTS registry_ledger_edge(bigint, bytea);
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0009_receipts_refresh_plan"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]
