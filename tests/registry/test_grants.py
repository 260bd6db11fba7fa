"""The application's database role (``manage.py grant_app_role``) files, acknowledges and
sequences the evidence log, and is refused every UPDATE and DELETE that would rewrite it."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from notifications import services as notification_services
from registry import ledger
from registry.management.commands.grant_app_role import APPEND_ONLY_TABLES, apply_grants
from registry.models import LedgerEntry, LedgerSubmission
from tests.factories import file_exercise


@pytest.fixture
def app_role(db) -> Iterator[str]:
    """A role with the application's grants; the test's queries run as it (SET ROLE)."""
    role = f"registry_app_{uuid.uuid4().hex[:8]}"  # roles are per server: a name of its own
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")  # rolled back with the test
    apply_grants(role)
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role}")
    yield role
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def refused(statement: str) -> bool:
    """Whether PostgreSQL refuses the statement for lack of privilege."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    except ProgrammingError as exc:
        return isinstance(exc.__cause__, psycopg.errors.InsufficientPrivilege)
    return False


def test_the_application_role_files_and_sequences(app_role, liaison_rs, official_hr, wb_rta):
    filing = file_exercise(liaison_rs, wb_rta)
    notification_services.acknowledge(version=filing.version, user=official_hr, route="api")
    assert ledger.sequence_pending() >= 2  # entries and nodes inserted, the queue emptied
    assert not LedgerSubmission.objects.exists()
    assert LedgerEntry.objects.filter(notice=filing.notice).count() == 2


def test_the_application_role_cannot_rewrite_the_log(app_role, liaison_rs, wb_rta):
    file_exercise(liaison_rs, wb_rta)
    ledger.sequence_pending()
    for table in APPEND_ONLY_TABLES:
        assert refused(f"UPDATE {table} SET {key_of(table)} = {key_of(table)}"), table
        assert refused(f"DELETE FROM {table}"), table
        assert refused(f"TRUNCATE {table}"), table
    assert refused("UPDATE registry_ledgersubmission SET kind = kind")
    assert refused("DELETE FROM registry_ledgerhead")
    assert not refused("SELECT count(*) FROM registry_ledgerentry")


def key_of(table: str) -> str:
    return {"registry_ledgerentry": "index", "registry_ledgernode": "level"}.get(table, "id")


def test_the_command_prints_the_grants(db):
    out = io.StringIO()
    call_command("grant_app_role", "registry", "--print", stdout=out)
    text = out.getvalue()
    assert (
        'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "registry";' in text
    )
    assert "REVOKE UPDATE, DELETE, TRUNCATE ON registry_ledgerentry" in text
