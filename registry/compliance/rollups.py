"""Closed years' figures: read back where stored, stored where computed.

See the package's docstring ("Closed years", "Concurrent writes"): a year is stored only
while this transaction holds its advisory lock exclusively, which every write to that year
takes (shared) before deleting its rollup (the triggers of migration
``0007_compliance_receipts``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone

from registry.models import Commitment, ComplianceRollup

#: Raise when a figure's definition changes: rollups stored before are then computed again.
FIGURES_VERSION = 1


def uses_stored_figures() -> bool:
    """Receipts and rollups are kept by PostgreSQL triggers; elsewhere all is computed."""
    return connection.vendor == "postgresql"


def yearly_figures(
    commitment: Commitment, years: list[int], today: dt.date, compute: Callable[..., dict]
) -> dict:
    """``{year: figures}``: closed years from their rollups where stored, every other year
    by ``compute(commitment, years)`` (and stored if closed and no write to it is in flight)."""
    closed = [year for year in years if year < today.year]
    if not closed or not uses_stored_figures():
        return compute(commitment, years)
    with transaction.atomic():
        stored, locked = _read_rollups(commitment, closed)
        computed = compute(commitment, [year for year in years if year not in stored])
        _store_rollups(commitment, {year: computed[year] for year in locked})
    return {**stored, **computed}


def rollup_parameters(commitment: Commitment) -> str:
    """What stored figures depend on besides the records."""
    return f"v{FIGURES_VERSION} {commitment.time_zone} {commitment.acknowledgement_hours}h"


READ_ROLLUPS_SQL = """
SELECT y.year, r.figures::text,
       CASE WHEN r.id IS NULL
            THEN pg_try_advisory_xact_lock(registry_compliance_lock_key(%s, y.year))
            ELSE false END
FROM unnest(%s::integer[]) AS y(year)
LEFT JOIN registry_compliancerollup r
       ON r.commitment_id = %s AND r.year = y.year AND r.parameters = %s
"""


def _read_rollups(commitment: Commitment, years: list[int]) -> tuple[dict, list[int]]:
    """The stored years' figures, and the years not stored whose lock this transaction got."""
    with connection.cursor() as cursor:
        cursor.execute(
            READ_ROLLUPS_SQL,
            [commitment.pk, years, commitment.pk, rollup_parameters(commitment)],
        )
        found = cursor.fetchall()
    stored = {year: json.loads(figures) for year, figures, _locked in found if figures}
    return stored, [year for year, _figures, locked in found if locked]


def _store_rollups(commitment: Commitment, figures: dict[int, dict]) -> None:
    if not figures:
        return
    parameters, now = rollup_parameters(commitment), timezone.now()
    ComplianceRollup.objects.bulk_create(
        [
            ComplianceRollup(
                commitment=commitment,
                year=year,
                parameters=parameters,
                figures=year_figures,
                computed_at=now,
            )
            for year, year_figures in figures.items()
        ],
        update_conflicts=True,
        unique_fields=["commitment", "year"],
        update_fields=["parameters", "figures", "computed_at"],
    )
