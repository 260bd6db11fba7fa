"""Give the application's PostgreSQL role what it needs, and nothing that rewrites the log.

Run it as the database's owner (the role that runs the migrations), after every migration:

    python manage.py grant_app_role registry            # apply
    python manage.py grant_app_role registry --print    # only print the SQL

The application role may read and write every table except the evidence log: it only
appends entries, tree nodes and checkpoints (INSERT and SELECT), deletes from the queue
of events waiting for their index, and advances the log's head.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

#: Tables the application appends to and never changes.
APPEND_ONLY_TABLES = ("registry_ledgerentry", "registry_ledgernode", "registry_ledgercheckpoint")


def grant_statements(role: str, database: str) -> list[str]:
    """The SQL that grants ``role`` the application's privileges on ``database``."""
    who = connection.ops.quote_name(role)
    return [
        f"GRANT CONNECT ON DATABASE {connection.ops.quote_name(database)} TO {who}",
        f"GRANT USAGE ON SCHEMA public TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {', '.join(APPEND_ONLY_TABLES)} FROM {who}",
        # The queue: SELECT, INSERT, DELETE. The head: SELECT, INSERT, UPDATE.
        f"REVOKE UPDATE, TRUNCATE ON registry_ledgersubmission FROM {who}",
        f"REVOKE DELETE, TRUNCATE ON registry_ledgerhead FROM {who}",
    ]


def apply_grants(role: str) -> list[str]:
    """Apply the grants to ``role`` on the current database, in one transaction."""
    statements = grant_statements(role, connection.settings_dict["NAME"])
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return statements


class Command(BaseCommand):
    help = "Grant the application's database role its privileges (no UPDATE/DELETE on the log)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="The PostgreSQL role the application connects as.")
        parser.add_argument("--print", action="store_true", help="Print the SQL; change nothing.")

    def handle(self, *args, role: str, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Database roles and grants apply to PostgreSQL only.")
        if options["print"]:
            for statement in grant_statements(role, connection.settings_dict["NAME"]):
                self.stdout.write(statement + ";")
            return
        applied = apply_grants(role)
        self.stdout.write(f"{len(applied)} statements applied to role {role}.")
