"""The monitors' audit pages: the regional overview, trends, each state's report with the
evidence behind every figure, findings, and exports.

Monitors and the secretariat see every state; a state's officials see their own state's
report and the findings about it (``selectors.compliance_scope``).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry import compliance, rules, selectors, services
from registry.compliance import charts
from registry.compliance.exports import build_export, request_export
from registry.compliance.forms import ExportForm, FindingForm, PeriodForm, TrendForm
from registry.models import Commitment, ReportExport, State

from .access import official, registry_page

PAGE_SIZE = 25


def reportable_commitments(request: HttpRequest):
    me = official(request)
    if me.is_monitor:
        return Commitment.objects.filter(monitoring_organisations=me.organisation_id)
    if me.is_secretariat:
        return Commitment.objects.all()
    return Commitment.objects.filter(participations__state_id=me.state_id).distinct()


def require_scope(request: HttpRequest, commitment: Commitment, state: str | None = None) -> str:
    scope = selectors.compliance_scope(request.user, commitment)
    if scope is None or (scope != selectors.ALL_STATES and scope != state):
        raise PermissionDenied(_("You may not see this report."))
    return scope


@registry_page
def overview(request: HttpRequest) -> HttpResponse:
    commitments = reportable_commitments(request)
    form = PeriodForm(request.GET or None, commitments=commitments)
    commitment, year = form.period(commitments)
    me = official(request)
    if me.state_id and not me.is_secretariat:
        return redirect(state_url(me.state_id, commitment, year))
    if commitment is None:
        raise Http404(_("No commitment is granted to your organisation."))
    require_scope(request, commitment)
    report = compliance.compliance_report(commitment, [year])
    return render(
        request,
        "compliance/overview.html",
        {
            "form": form,
            "commitment": commitment,
            "year": year,
            "rows": report.rows,
            "generated_at": report.generated_at,
            "formula": rules.score_formula(),
            "export_form": ExportForm(
                initial={"commitment": commitment, "first_year": year, "last_year": year}
            ),
        },
    )


def state_url(state: str, commitment: Commitment | None, year: int) -> str:
    query = urlencode({"commitment": commitment.code if commitment else "", "year": year})
    return f"{reverse('compliance-state', args=[state])}?{query}"


@registry_page
def trends(request: HttpRequest) -> HttpResponse:
    commitments = reportable_commitments(request)
    form = TrendForm(request.GET or None, commitments=commitments)
    commitment, last = form.period(commitments)
    first = (
        form.cleaned_data["first_year"] if form.is_valid() else form.fields["first_year"].initial
    )
    if commitment is None:
        raise Http404(_("No commitment is granted to your organisation."))
    scope = require_scope(request, commitment, official(request).state_id)
    report = compliance.compliance_report(commitment, range(first, last + 1))
    rows = [r for r in report.rows if scope == selectors.ALL_STATES or r.state == scope]
    states = sorted({r.state for r in rows})
    years = list(range(first, last + 1))
    by_key = {(r.state, r.year): r for r in rows}
    context = {
        "form": form,
        "commitment": commitment,
        "years": years,
        "formula": rules.score_formula(),
        "score_chart": _chart(
            states,
            years,
            by_key,
            lambda r: r.score,
            _("Transparency score"),
            _("Score from 0 to 100 of each state, by year."),
        ),
        "timely_chart": _chart(
            states,
            years,
            by_key,
            _timely_percent,
            _("Exercises notified on time"),
            _("Per cent of notifiable exercises notified on time, by state and year."),
        ),
        "table": [(state, [by_key.get((state, y)) for y in years]) for state in states],
    }
    return render(request, "compliance/trends.html", context)


def _timely_percent(row) -> float | None:
    share = rules.rate(row.exercises["timely"], row.exercises["notifiable"])
    return None if share is None else round(100 * share, 1)


def _chart(states, years, by_key, value, title, description):
    series = [
        charts.Series(
            state, [(y, value(by_key[(state, y)]) if (state, y) in by_key else None) for y in years]
        )
        for state in states
    ]
    return charts.line_chart(series, title=title, description=description)


@registry_page
def state_report(request: HttpRequest, code: str) -> HttpResponse:
    state = get_object_or_404(State, pk=code.upper())
    commitments = reportable_commitments(request)
    form = PeriodForm(request.GET or None, commitments=commitments)
    commitment, year = form.period(commitments)
    if commitment is None:
        raise Http404(_("No commitment to report on."))
    require_scope(request, commitment, state.code)
    report = compliance.compliance_report(commitment, range(year - 3, year + 1))
    rows = report.for_state(state.code)
    current = next((r for r in rows if r.year == year), None)
    return render(
        request,
        "compliance/state.html",
        {
            "form": form,
            "state": state,
            "commitment": commitment,
            "year": year,
            "row": current,
            "history": rows,
            "formula": rules.score_formula(),
            "components": current.score_components() if current else {},
            "weights": rules.SCORE_WEIGHTS,
            "findings": compliance.findings_in(commitment, [year]).filter(state=state),
            "evidence_query": urlencode({"commitment": commitment.code, "year": year}),
        },
    )


EVIDENCE_TEMPLATES = {
    "exercises": "compliance/evidence_notices.html",
    "procurement_notices": "compliance/evidence_notices.html",
    "calendar": "compliance/evidence_notices.html",
    "procurement_plan": "compliance/evidence_notices.html",
    "acknowledgements": "compliance/evidence_receipts.html",
    "clarifications": "compliance/evidence_clarifications.html",
    "findings": "compliance/evidence_findings.html",
}


@registry_page
def evidence(request: HttpRequest, code: str, section: str, figure: str = "") -> HttpResponse:
    state = get_object_or_404(State, pk=code.upper())
    commitment = get_object_or_404(
        reportable_commitments(request), code=request.GET.get("commitment", "")
    )
    require_scope(request, commitment, state.code)
    try:
        year = int(request.GET.get("year", ""))
        rows = compliance.evidence(commitment, state.code, year, section, figure)
    except (KeyError, ValueError) as exc:
        raise Http404(_("No such figure.")) from exc
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        EVIDENCE_TEMPLATES[section],
        {
            "state": state,
            "commitment": commitment,
            "year": year,
            "section": section,
            "figure": figure,
            "page": page,
            "back": state_url(state.code, commitment, year),
        },
    )


@registry_page
def findings(request: HttpRequest) -> HttpResponse:
    rows = selectors.findings_visible_to(request.user).select_related("recorded_by")
    for name, lookup in (
        ("commitment", "commitment__code"),
        ("state", "state_id"),
        ("kind", "kind"),
    ):
        if request.GET.get(name):
            rows = rows.filter(**{lookup: request.GET[name]})
    if request.GET.get("year", "").isdigit():
        rows = rows.filter(year=int(request.GET["year"]))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "compliance/findings.html", {"page": page, "states": State.objects.all()}
    )


@registry_page
def finding_new(request: HttpRequest) -> HttpResponse:
    me = official(request)
    if not me.is_monitor:
        raise PermissionDenied(_("Only monitors record findings."))
    form = FindingForm(
        request.POST or None,
        commitments=reportable_commitments(request),
        visible_notices=selectors.notices_visible_to(request.user),
    )
    if request.method == "POST" and form.is_valid():
        fields = {
            k: v
            for k, v in form.cleaned_data.items()
            if k not in ("commitment", "state", "kind", "notice_reference")
        }
        try:
            finding = services.record_finding(
                user=request.user,
                commitment=form.cleaned_data["commitment"],
                state=form.cleaned_data["state"],
                kind=form.cleaned_data["kind"],
                notice=form.cleaned_data["notice_reference"],
                **fields,
            )
        except services.NotPermitted:
            raise
        except services.RegistryError as exc:
            for name, errors in exc.errors.items():
                form.add_error(name if name in form.fields else None, errors)
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Finding recorded against %(state)s for %(year)d.")
                % {"state": finding.state.local_name, "year": finding.year},
            )
            return redirect(state_url(finding.state_id, finding.commitment, finding.year))
    return render(
        request, "compliance/finding_form.html", {"form": form}, status=400 if form.errors else 200
    )


@registry_page
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.POST)
    if not form.is_valid():
        raise Http404(_("No such report."))
    data = form.cleaned_data
    state = data["state"]
    require_scope(request, data["commitment"], state.code if state else official(request).state_id)
    job = request_export(
        user=request.user,
        commitment=data["commitment"],
        first_year=data["first_year"],
        last_year=max(data["first_year"], data["last_year"]),
        fmt=data["format"],
        state=state,
    )
    return redirect("compliance-export", job.pk)


def own_export(request: HttpRequest, pk: int) -> ReportExport:
    return get_object_or_404(
        ReportExport.objects.select_related("commitment"), pk=pk, requested_by=request.user
    )


@registry_page
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    job = own_export(request, pk)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "status": job.status,
                "progress": job.progress,
                "message": job.message,
                "download": reverse("compliance-export-download", args=[job.pk])
                if job.status == "done"
                else None,
            }
        )
    return render(request, "compliance/export.html", {"job": job})


@registry_page
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = own_export(request, pk)
    if job.status != ReportExport.Status.DONE:
        return redirect("compliance-export", pk)
    response = HttpResponse(bytes(job.content), content_type=job.content_type)
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    return response


@registry_page
@require_POST
def export_build_here(request: HttpRequest, pk: int) -> HttpResponse:
    """Build a queued export in this request when no worker has taken it (the broker is down)."""
    job = own_export(request, pk)
    build_export(job.pk)
    return redirect("compliance-export", pk)
