"""The PDF of a compliance report (reportlab: no system libraries, no network)."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from registry.compliance.exports import Progress

STATUS_WORDS = {
    "on_time": "On time",
    "late": "Late",
    "filed": "Filed",
    "pending": "Not yet due",
    "missing": "Missing",
    "not_required": "Not required",
}


def pdf_bytes(header: dict[str, str], documents: list[dict[str, Any]], progress: Progress) -> bytes:
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    story: list[Any] = [Paragraph(_("Compliance report"), styles["Title"])]
    for key, value in header.items():
        story.append(Paragraph(f"<b>{key}:</b> {_escape(value)}", styles["Normal"]))
    story.append(Spacer(1, 6 * mm))
    years = sorted({document["year"] for document in documents})
    for index, year in enumerate(years, start=1):
        story.append(Paragraph(str(year), styles["Heading2"]))
        story.append(_table([d for d in documents if d["year"] == year]))
        story.append(Spacer(1, 4 * mm))
        progress(40 + 50 * index // max(1, len(years)))
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        title=_("Compliance report"),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
    )
    doc.build(story)
    return buffer.getvalue()


HEADINGS = [
    "State",
    "Score",
    "Exercises\ntimely / notifiable",
    "Late\n(days)",
    "Snap",
    "Voluntary",
    "Cancelled",
    "Median\nlead",
    "Calendar",
    "Procurement\nplan",
    "Procurement\nnotices",
    "Acknowledged\nin time / received",
    "Late",
    "Outstanding",
    "Median\nhours",
    "Answers in time\n/ asked",
    "Findings",
]


def _table(documents: list[dict[str, Any]]) -> Table:
    rows = [HEADINGS] + [_row(d) for d in documents]
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 7.5),
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7.5),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6ecf3")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _row(d: dict[str, Any]) -> list[str]:
    ex, ack, clar, pn = (
        d["exercises"],
        d["acknowledgements"],
        d["clarifications"],
        d["procurement_notices"],
    )
    return [
        f"{d['state']} {d['name']}",
        "—" if d["score"] is None else f"{d['score']:.1f}",
        f"{ex['timely']} / {ex['notifiable']}",
        f"{ex['late']} ({ex['days_late_total']})",
        str(ex["snap"]),
        str(ex["voluntary"]),
        str(ex["cancelled"]),
        "—" if ex["median_lead_days"] is None else f"{ex['median_lead_days']:g}",
        _obligation(d["calendar"]),
        _obligation(d["procurement_plan"]),
        f"{pn['timely']} / {pn['filed']}",
        f"{ack['within_deadline']} / {ack['received']}",
        str(ack["late"]),
        str(ack["outstanding"]),
        "—" if ack["median_hours"] is None else f"{ack['median_hours']:g}",
        f"{clar['answered_within_deadline']} / {clar['received']}",
        str(d["findings"]),
    ]


def _obligation(obligation: dict[str, Any] | None) -> str:
    if obligation is None:
        return "—"
    words = _(STATUS_WORDS[obligation["status"]])
    return f"{words} ({obligation['days_late']} d)" if obligation["status"] == "late" else words


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
