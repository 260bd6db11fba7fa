"""Showing compliance figures: words and a symbol for every status, never colour alone."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry import rules

register = template.Library()

BAND_SYMBOLS = {"good": "✓", "fair": "◐", "poor": "✗", "none": "–"}
OBLIGATION_WORDS = {
    rules.ObligationStatus.ON_TIME: ("good", "✓", gettext_lazy("On time")),
    rules.ObligationStatus.FILED: ("good", "✓", gettext_lazy("Filed")),
    rules.ObligationStatus.LATE: ("fair", "◐", gettext_lazy("Late")),
    rules.ObligationStatus.MISSING: ("poor", "✗", gettext_lazy("Missing")),
    rules.ObligationStatus.PENDING: ("none", "…", gettext_lazy("Not yet due")),
    rules.ObligationStatus.NOT_REQUIRED: ("none", "–", gettext_lazy("Not required")),
}


def band_words(kind: str) -> str:
    """A band in words, for those who cannot see its colour or symbol."""
    return {
        "good": _("good"),
        "fair": _("fair"),
        "poor": _("poor"),
        "none": _("nothing to judge"),
    }[kind]


@register.filter
def band(percent):
    return rules.band(percent)


@register.simple_tag
def score_cell(score):
    kind = rules.band(score)
    text = "—" if score is None else f"{score:.0f}"
    label = band_words(kind)
    return format_html(
        '<span class="band band--{}"><span aria-hidden="true">{}</span> {} '
        '<span class="visually-hidden">({})</span></span>',
        kind,
        BAND_SYMBOLS[kind],
        text,
        label,
    )


@register.simple_tag
def ratio_cell(part, whole):
    share = rules.rate(part, whole)
    kind = rules.band(None if share is None else 100 * share)
    if share is None:
        return format_html(
            '<span class="band band--none"><span aria-hidden="true">–</span> {}</span>', _("none")
        )
    return format_html(
        '<span class="band band--{}"><span aria-hidden="true">{}</span> {} / {} '
        '<span class="visually-hidden">({})</span></span>',
        kind,
        BAND_SYMBOLS[kind],
        part,
        whole,
        band_words(kind),
    )


@register.simple_tag
def obligation_cell(obligation):
    if obligation is None:
        return "—"
    kind, symbol, words = OBLIGATION_WORDS[obligation.status]
    late = ""
    if obligation.status == rules.ObligationStatus.LATE and obligation.days_late is not None:
        late = _(" by %(days)d days") % {"days": obligation.days_late}
    return format_html(
        '<span class="band band--{}"><span aria-hidden="true">{}</span> {}{}</span>',
        kind,
        symbol,
        words,
        late,
    )


@register.filter
def percent(value):
    return "—" if value is None else f"{100 * value:.0f} %"


@register.filter
def component_name(name: str) -> str:
    """A component of the score, named as the formula names it."""
    return capfirst(str(rules.SCORE_COMPONENT_NAMES.get(name, name)))


@register.filter
def weight_of(weights, name):
    return weights.get(name)


@register.simple_tag(takes_context=True)
def evidence_href(context, state: str, section: str, figure: str = "") -> str:
    """The evidence page of one figure, for the commitment and year the page shows."""
    args = [state, section, figure] if figure else [state, section]
    name = "compliance-evidence" if figure else "compliance-evidence-section"
    query = urlencode({"commitment": context["commitment"].code, "year": context["year"]})
    return f"{reverse(name, args=args)}?{query}"


FIGURE_LABELS = {
    ("exercises", "notifiable"): gettext_lazy("Notifiable exercises"),
    ("exercises", "timely"): gettext_lazy("Exercises notified on time"),
    ("exercises", "late"): gettext_lazy("Exercises notified late"),
    ("exercises", "snap"): gettext_lazy("Snap exercises"),
    ("exercises", "voluntary"): gettext_lazy("Voluntary (sub-threshold) exercise notices"),
    ("exercises", "cancelled"): gettext_lazy("Cancelled exercises"),
    ("procurement_notices", "filed"): gettext_lazy("Procurement notices"),
    ("procurement_notices", "timely"): gettext_lazy("Procurement notices on time"),
    ("procurement_notices", "late"): gettext_lazy("Procurement notices filed late"),
    ("calendar", ""): gettext_lazy("Annual calendar filings"),
    ("procurement_plan", ""): gettext_lazy("Procurement plan filings"),
    ("acknowledgements", "received"): gettext_lazy("Versions received"),
    ("acknowledgements", "within_deadline"): gettext_lazy("Versions acknowledged in time"),
    ("acknowledgements", "late"): gettext_lazy("Versions acknowledged late"),
    ("acknowledgements", "outstanding"): gettext_lazy("Versions not acknowledged"),
    ("clarifications", "received"): gettext_lazy("Clarification requests received"),
    ("clarifications", "answered_within_deadline"): gettext_lazy(
        "Clarification requests answered in time"
    ),
    ("clarifications", "late"): gettext_lazy("Clarification requests answered late"),
    ("clarifications", "outstanding"): gettext_lazy("Clarification requests not answered"),
    ("findings", ""): gettext_lazy("Findings"),
}


@register.simple_tag
def figure_label(section: str, figure: str = "") -> str:
    return str(FIGURE_LABELS.get((section, figure), section))


@register.simple_tag
def score_bands() -> tuple[int, int]:
    return rules.SCORE_BANDS
