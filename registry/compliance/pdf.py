"""The PDF of a compliance report (reportlab: no system libraries, no network)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from registry.compliance.exports import Progress

STATUS_WORDS = {
    "on_time": gettext_lazy("On time"),
    "late": gettext_lazy("Late"),
    "filed": gettext_lazy("Filed"),
    "pending": gettext_lazy("Not yet due"),
    "missing": gettext_lazy("Missing"),
    "not_required": gettext_lazy("Not required"),
}
#: DejaVu Sans Condensed (fonts/README.md): every letter of the interface's languages.
FONTS = Path(__file__).parent / "fonts"
FONT, BOLD_FONT = "DejaVuSansCondensed", "DejaVuSansCondensed-Bold"


def _register_fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONTS / f"{FONT}.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD_FONT, str(FONTS / f"{BOLD_FONT}.ttf")))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD_FONT)


def _styles():
    styles = getSampleStyleSheet()
    for name in ("Title", "Normal", "Heading2"):
        bold = name != "Normal"
        styles[name].fontName = BOLD_FONT if bold else FONT
    return styles


def pdf_bytes(header: dict[str, str], documents: list[dict[str, Any]], progress: Progress) -> bytes:
    buffer = io.BytesIO()
    _register_fonts()
    styles = _styles()
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
    gettext_lazy("State"),
    gettext_lazy("Score"),
    gettext_lazy("Exercises\ntimely / notifiable"),
    gettext_lazy("Late\n(days)"),
    gettext_lazy("Snap"),
    gettext_lazy("Voluntary"),
    gettext_lazy("Cancelled"),
    gettext_lazy("Median\nlead"),
    gettext_lazy("Calendar"),
    gettext_lazy("Procurement\nplan"),
    gettext_lazy("Procurement\nnotices"),
    gettext_lazy("Acknowledged\nin time / received"),
    gettext_lazy("Late"),
    gettext_lazy("Outstanding"),
    gettext_lazy("Median\nhours"),
    gettext_lazy("Answers in time\n/ asked"),
    gettext_lazy("Findings"),
]


def _table(documents: list[dict[str, Any]]) -> Table:
    rows = [[str(heading) for heading in HEADINGS]] + [_row(d) for d in documents]
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 7.5),
                ("FONT", (0, 0), (-1, 0), BOLD_FONT, 7.5),
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
        f"{d['state']} {_(d['name'])}",
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
    words = str(STATUS_WORDS[obligation["status"]])
    return f"{words} ({obligation['days_late']} d)" if obligation["status"] == "late" else words


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
