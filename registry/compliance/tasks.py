"""Keeping the closed years' figures stored, so that a monitor's report rarely computes one.

A write to a closed year deletes its stored figures (``registry.compliance.rollups``), and
a deploy that changes the engine's figures makes every stored year stale. The first report
after either computes those years while the monitor waits (seconds for ten years of a large
history, bench/README.md "compliance"); this periodic task computes them first.
"""

from __future__ import annotations

from celery import shared_task
from django.db.models import Min
from django.utils import timezone

from registry import rules
from registry.compliance import compute_years, rollups
from registry.models import Commitment


@shared_task
def store_closed_years() -> int:
    """Store the figures of every closed year of every commitment that lacks them (a year
    already stored costs one read). Returns how many commitments were looked at."""
    if not rollups.uses_stored_figures():
        return 0
    commitments = Commitment.objects.annotate(first_joined=Min("participations__joined_on"))
    for commitment in commitments.exclude(first_joined=None):
        today = rules.local_date(commitment, timezone.now())
        closed = list(range(commitment.first_joined.year, today.year))
        if closed:
            rollups.yearly_figures(commitment, closed, today, compute_years)
    return len(commitments)
