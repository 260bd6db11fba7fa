"""The evidence log is sequenced in batches by the scheduler and by answers that need an
index, no longer after every event's commit.

- ``registry_ledger_sequence(p_limit)`` waits for the sequencer's transaction-level advisory
  lock and moves the oldest ``p_limit`` submissions, as in migration 0010, but finds them
  through the queue's primary key: the queue is a table rows are deleted from, and a plan
  that read it whole (a hash join, an ``EXISTS`` without its order) grew slower with every
  dead row until the table was vacuumed.
- The group commit's procedure ``registry_ledger_sequence_if_free`` is dropped: a call after
  every commit cost more than half of PostgreSQL's time per event.

Nodes are hashed and stored by ``registry_ledger_extend`` (migration 0010), unchanged.
"""

import importlib

from django.db import migrations


def previous():
    return importlib.import_module("registry.migrations.0010_ledger_sequencer")


SEQUENCER_LOCK_KEY = previous().SEQUENCER_LOCK_KEY
COLUMNS = previous().COLUMNS

INSTALL = f"""
DROP PROCEDURE IF EXISTS registry_ledger_sequence_if_free(integer, integer);
DROP FUNCTION IF EXISTS registry_ledger_sequence(integer, boolean);

CREATE OR REPLACE FUNCTION registry_ledger_sequence(p_limit integer)
RETURNS integer LANGUAGE plpgsql AS $$
-- Once the batch at work (if any) has committed, move the oldest p_limit submissions into
-- the log; how many moved.
DECLARE
    v_size bigint;
    v_leaves bytea[];
BEGIN
    PERFORM pg_advisory_xact_lock({SEQUENCER_LOCK_KEY});
    v_size := coalesce((SELECT size FROM registry_ledgerhead WHERE id = 1), 0);
    WITH moved AS (
        DELETE FROM registry_ledgersubmission WHERE id = ANY (ARRAY(
            SELECT id FROM registry_ledgersubmission ORDER BY id LIMIT p_limit))
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
"""

UNINSTALL = "DROP FUNCTION IF EXISTS registry_ledger_sequence(integer);"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL, params=None)
        previous().install(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0010_ledger_sequencer"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]
