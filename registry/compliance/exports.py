"""CSV and PDF exports of compliance reports, built by a Celery task with visible progress.

Every export states the commitment, the period, when it was generated, the formula of the
score, and the evidence log checkpoint it reflects (the latest signed tree head when it
was built), so a reader can tie each figure back to the log.
"""

from __future__ import annotations

import base64
import csv
import io
import logging
from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from registry import compliance, rules, selectors
from registry.models import ReportExport

log = logging.getLogger(__name__)

Progress = Callable[[int], None]

CSV_COLUMNS = [
    ("year", lambda d: d["year"]),
    ("state", lambda d: d["state"]),
    ("role", lambda d: d["role"]),
    ("score", lambda d: d["score"]),
    ("exercises_notifiable", lambda d: d["exercises"]["notifiable"]),
    ("exercises_timely", lambda d: d["exercises"]["timely"]),
    ("exercises_late", lambda d: d["exercises"]["late"]),
    ("exercises_days_late_total", lambda d: d["exercises"]["days_late_total"]),
    ("exercises_snap", lambda d: d["exercises"]["snap"]),
    ("exercises_voluntary", lambda d: d["exercises"]["voluntary"]),
    ("exercises_cancelled", lambda d: d["exercises"]["cancelled"]),
    ("exercises_median_lead_days", lambda d: d["exercises"]["median_lead_days"]),
    ("calendar_status", lambda d: d["calendar"]["status"]),
    ("calendar_days_late", lambda d: d["calendar"]["days_late"]),
    ("procurement_plan_status", lambda d: d["procurement_plan"]["status"]),
    ("procurement_plan_days_late", lambda d: d["procurement_plan"]["days_late"]),
    ("procurement_notices_filed", lambda d: d["procurement_notices"]["filed"]),
    ("procurement_notices_timely", lambda d: d["procurement_notices"]["timely"]),
    ("acknowledgements_received", lambda d: d["acknowledgements"]["received"]),
    ("acknowledgements_within_deadline", lambda d: d["acknowledgements"]["within_deadline"]),
    ("acknowledgements_late", lambda d: d["acknowledgements"]["late"]),
    ("acknowledgements_outstanding", lambda d: d["acknowledgements"]["outstanding"]),
    ("acknowledgements_median_hours", lambda d: d["acknowledgements"]["median_hours"]),
    ("clarifications_received", lambda d: d["clarifications"]["received"]),
    (
        "clarifications_answered_within_deadline",
        lambda d: d["clarifications"]["answered_within_deadline"],
    ),
    ("clarifications_late", lambda d: d["clarifications"]["late"]),
    ("clarifications_outstanding", lambda d: d["clarifications"]["outstanding"]),
    ("findings", lambda d: d["findings"]),
]


def request_export(
    *, user, commitment, first_year: int, last_year: int, fmt: str, state=None
) -> ReportExport:
    """Queue an export of what the user may see; the worker builds it."""
    export = ReportExport.objects.create(
        requested_by=user,
        commitment=commitment,
        state=state,
        first_year=first_year,
        last_year=last_year,
        format=fmt,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    transaction.on_commit(lambda: _queue(export.pk))
    return export


def _queue(export_id: int) -> None:
    try:
        build_export.delay(export_id)
    except Exception:
        log.warning("Broker unavailable; export %d is built on the next visit.", export_id)


@shared_task(acks_late=True)
def build_export(export_id: int) -> None:
    """Build one export; idempotent (a queued or stalled export is claimed once)."""
    claimed = ReportExport.objects.filter(
        pk=export_id, status__in=[ReportExport.Status.QUEUED]
    ).update(status=ReportExport.Status.RUNNING, progress=1)
    if not claimed:
        return
    export = ReportExport.objects.select_related("commitment", "requested_by", "state").get(
        pk=export_id
    )
    try:
        with translation.override(export.language):
            content = render_export(export, lambda percent: _progress(export_id, percent))
    except Exception as exc:
        log.exception("Export %d failed", export_id)
        ReportExport.objects.filter(pk=export_id).update(
            status=ReportExport.Status.FAILED, message=str(exc)[:300], finished_at=timezone.now()
        )
        raise
    ReportExport.objects.filter(pk=export_id).update(
        status=ReportExport.Status.DONE, progress=100, content=content, finished_at=timezone.now()
    )


def _progress(export_id: int, percent: int) -> None:
    ReportExport.objects.filter(pk=export_id).update(progress=max(1, min(99, percent)))


def render_export(export: ReportExport, progress: Progress) -> bytes:
    documents, header = export_documents(export)
    progress(40)
    if export.format == ReportExport.Format.CSV:
        return csv_bytes(header, documents, progress)
    from registry.compliance.pdf import pdf_bytes

    return pdf_bytes(header, documents, progress)


def export_documents(export: ReportExport) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The rows the requester may see, and the facts every export states about itself."""
    commitment = export.commitment
    scope = selectors.compliance_scope(export.requested_by, commitment)
    report = compliance.compliance_report(
        commitment, range(export.first_year, export.last_year + 1)
    )
    rows = [
        row
        for row in report.rows
        if scope is not None
        and (scope == selectors.ALL_STATES or row.state == scope)
        and (export.state_id is None or row.state == export.state_id)
    ]
    header = {
        _("Commitment"): f"{commitment.code}: {commitment.name}",
        _("Period"): _years(export.first_year, export.last_year),
        _("Generated at"): report.generated_at.isoformat(timespec="seconds"),
        _("Evidence log checkpoint"): checkpoint_reference(),
        _("Score"): rules.score_formula(),
    }
    return [compliance.state_year_document(row) for row in rows], header


def checkpoint_reference() -> str:
    """The latest signed checkpoint of the evidence log, as 'size N, root …'."""
    from registry.models import LedgerCheckpoint

    latest = LedgerCheckpoint.objects.order_by("-tree_size").first()
    if latest is None:
        return _("none issued yet")
    root = base64.b64encode(bytes(latest.root_hash)).decode()
    return _("tree size %(size)d, root hash %(root)s, issued %(at)s") % {
        "size": latest.tree_size,
        "root": root,
        "at": latest.issued_at.isoformat(timespec="seconds"),
    }


def _years(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


def csv_bytes(header: dict[str, str], documents: list[dict[str, Any]], progress: Progress) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for key, value in header.items():
        writer.writerow([f"# {key}", value])
    writer.writerow([])
    writer.writerow([name for name, _ in CSV_COLUMNS])
    for index, document in enumerate(documents, start=1):
        writer.writerow([_cell(read(document)) for _, read in CSV_COLUMNS])
        progress(40 + 60 * index // max(1, len(documents)))
    return out.getvalue().encode("utf-8")


def _cell(value: Any) -> Any:
    return "" if value is None else value
