"""Web pages: the counterpart's inbox, acknowledging and asking, answering, the delivery
matrix of a notice, and the secretariat's delivery health page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications import selectors, services
from notifications.forms import (
    AcknowledgementForm,
    AnswerForm,
    ClarificationForm,
    DeliveryFilterForm,
    InboxFilterForm,
    ReplaySinceForm,
)
from notifications.models import Delivery, Endpoint, Route
from registry.services import NotPermitted, RegistryError, require_liaison, require_own_notice
from registry.views import official, registry_page, visible_notice

PAGE_SIZE = 25


def back(request: HttpRequest, default: str) -> HttpResponse:
    """Return to the page the form was on (``next``), if it is one of ours."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return redirect(target if target and safe else default)


def submitted(form, service, **arguments) -> bool:
    """Call a service; a refusal other than a 403 goes on the form, which is shown again."""
    try:
        service(**arguments)
    except NotPermitted:
        raise
    except RegistryError as exc:
        form.add_error(None, exc.message)
        return False
    return True


def secretariat_only(request: HttpRequest) -> None:
    if not official(request).is_secretariat:
        raise PermissionDenied(_("Only the secretariat sees delivery health."))


@registry_page
def inbox(request: HttpRequest) -> HttpResponse:
    filters = InboxFilterForm(request.GET or None)
    state_filter = filters.cleaned_data["status"] if filters.is_valid() else ""
    page = Paginator(selectors.inbox(request.user, state_filter=state_filter), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    selectors.with_deadlines(page.object_list)
    return render(
        request,
        "notifications/inbox.html",
        {
            "filters": filters,
            "page": page,
            "counts": selectors.inbox_counts(request.user),
            "questions": selectors.open_questions(request.user),
        },
    )


@registry_page
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    notice = visible_notice(request, pk)
    form = AcknowledgementForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The acknowledgement could not be recorded."))
        return redirect("notice-detail", pk)
    version = get_object_or_404(notice.versions, number=form.cleaned_data["version"])
    try:
        result = services.acknowledge(
            version=version,
            user=request.user,
            route=Route.WEB,
            comment=form.cleaned_data["comment"],
        )
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    if result.created:
        messages.success(
            request,
            _("Acknowledged %(reference)s version %(version)d.")
            % {"reference": notice.reference, "version": version.number},
        )
    else:
        messages.info(request, _("Your state had already acknowledged this version."))
    return back(request, reverse("notice-detail", args=[pk]))


@registry_page
def ask(request: HttpRequest, pk: int) -> HttpResponse:
    notice = visible_notice(request, pk)
    version = notice.current_version
    services.require_recipient(request.user, version, _("ask for clarification"))
    form = ClarificationForm(request.POST or None, initial={"version": version.number})
    if request.method == "POST" and form.is_valid():
        asked = get_object_or_404(notice.versions, number=form.cleaned_data["version"])
        question = form.cleaned_data["question"]
        if submitted(
            form, services.ask_clarification, user=request.user, version=asked, question=question
        ):
            messages.success(
                request,
                _("Your question was sent to %(state)s.") % {"state": notice.state.local_name},
            )
            return redirect("notice-detail", pk)
    return render(request, "notifications/ask.html", {"notice": notice, "form": form})


@registry_page
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    clarification = get_object_or_404(selectors.clarifications_visible_to(request.user), pk=pk)
    # Only a liaison of the filing state answers: nobody else gets the form (403).
    require_own_notice(require_liaison(request.user), clarification.version.notice)
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["answer"]
        if submitted(
            form,
            services.answer_clarification,
            user=request.user,
            clarification=clarification,
            answer=text,
        ):
            messages.success(
                request,
                _("Your answer was sent to %(state)s.") % {"state": clarification.asking_state_id},
            )
            return redirect("notice-detail", clarification.version.notice_id)
    return render(
        request, "notifications/answer.html", {"clarification": clarification, "form": form}
    )


@registry_page
def notice_deliveries(request: HttpRequest, pk: int) -> HttpResponse:
    notice = visible_notice(request, pk)
    if not selectors.can_see_deliveries(request.user, notice):
        raise PermissionDenied(
            _("Only the filing state, the secretariat and monitors see deliveries.")
        )
    number = request.GET.get("version", "")
    version = (
        get_object_or_404(notice.versions, number=int(number))
        if number.isdigit()
        else notice.current_version
    )
    return render(
        request,
        "notifications/notice_deliveries.html",
        {
            "notice": notice,
            "version": version,
            "versions": notice.versions.order_by("number"),
            "matrix": selectors.matrix_rows(version),
            "can_replay": official(request).is_secretariat,
        },
    )


@registry_page
def delivery_health(request: HttpRequest) -> HttpResponse:
    secretariat_only(request)
    filters = DeliveryFilterForm(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    deliveries = Paginator(selectors.troubled_deliveries(status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/delivery_health.html",
        {
            "filters": filters,
            "deliveries": deliveries,
            "endpoints": selectors.endpoints_needing_attention(),
            "alerts": selectors.alerts_for(request.user)[:20],
            "replay_form": ReplaySinceForm(),
        },
    )


@registry_page
@require_POST
def replay_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    secretariat_only(request)
    delivery = get_object_or_404(Delivery, pk=pk)
    services.replay_delivery(delivery)
    messages.success(request, _("Delivery %(id)d will be sent again now.") % {"id": delivery.pk})
    return back(request, reverse("delivery-health"))


@registry_page
@require_POST
def endpoint_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    secretariat_only(request)
    endpoint = get_object_or_404(Endpoint, pk=pk)
    if action == "resume":
        count = services.resume_endpoint(endpoint, by=request.user)
        messages.success(
            request, _("Endpoint resumed; %(n)d held deliveries are being sent.") % {"n": count}
        )
    elif action == "replay":
        form = ReplaySinceForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the date and time to replay from."))
        else:
            count = services.replay_endpoint(endpoint, form.cleaned_data["since"])
            messages.success(request, _("%(n)d deliveries will be sent again.") % {"n": count})
    else:
        raise PermissionDenied
    return redirect("delivery-health")


@registry_page
def alerts(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.alerts_for(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/alerts.html", {"page": page})
