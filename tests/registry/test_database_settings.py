"""How the registry talks to PostgreSQL: parameters bound by the server, and statements
prepared once a connection has run them often (``DB_PREPARE_THRESHOLD``)."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings
from django.db import connection

from registry.models import State


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_run_often_is_prepared_once(db):
    look_up = 'FROM "registry_state" WHERE "registry_state"."code" = $1'
    for _ in range(settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] + 1):
        State.objects.filter(code="RS").first()
    prepared = [sql for sql in prepared_statements() if look_up in sql]
    assert len(prepared) == 1, prepared


def options_under(environment: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "from registry import settings; print(settings.DATABASES)"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": "postgres://registry@db-host/registry", **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_preparing_can_be_turned_off_for_a_pooler():
    assert "'prepare_threshold': 5" in options_under({})
    assert "'prepare_threshold': None" in options_under({"DB_PREPARE_THRESHOLD": "off"})
    assert "'server_side_binding': True" in options_under({"DB_PREPARE_THRESHOLD": "off"})
