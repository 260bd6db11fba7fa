"""Statements of the API's hot path, written out once from the models' metadata.

Building a query through the ORM costs 0.2 to 1 ms of CPU each time, as much as a cheap
API request costs in all; the few statements every filing runs are written out here
instead, from the same table and column names the ORM uses, and their rows become model
instances as the ORM's would (``Model.from_db``). Each caller builds its SQL once
(``functools.cache``) and keeps next to it the ORM query it stands for, and a test checks
that both find the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], name: str, alias: str = "") -> str:
    """The quoted column of field ``name`` (``"state_id"`` for a foreign key ``state``;
    ``pk`` names the primary key)."""
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    quoted = connection.ops.quote_name(field.column)
    return f"{alias}.{quoted}" if alias else quoted


def select_list(model: type[Model], alias: str = "") -> str:
    """Every concrete column of ``model``, in the order ``instances`` reads them back."""
    return ", ".join(column(model, field.name, alias) for field in model._meta.concrete_fields)


def instances(models: Sequence[type[Model]], row: Sequence) -> list[Model | None]:
    """One instance per model from its slice of ``row`` (laid out by ``select_list``);
    ``None`` where an outer join found no row."""
    found: list[Model | None] = []
    start = 0
    for model in models:
        fields = model._meta.concrete_fields
        values = row[start : start + len(fields)]
        start += len(fields)
        if values[fields.index(model._meta.pk)] is None:
            found.append(None)
            continue
        names = [field.attname for field in fields]
        found.append(model.from_db(connection.alias, names, values))
    return found


def fetch_all(sql: str, params: Sequence) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params: Sequence) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
