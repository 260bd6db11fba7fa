"""The registry's web pages: thin views that validate a form, call one service, and render.

Who may see a notice is ``registry.selectors``' answer; who may change one, and every
rule of the regimes, is the services' and ``registry.rules``' answer. A service's
``NotPermitted`` becomes a 403 page, its other ``RegistryError`` a form re-rendered with
the errors on the inputs they name.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry import maps, rules, selectors, services
from registry.forms import (
    EDITORS,
    CancellationForm,
    ChooseNoticeForm,
    FilingForm,
    NoticeEditor,
    NoticeFilterForm,
    ReasonForm,
)
from registry.models import Commitment, ExerciseDetails, Notice, NoticeVersion
from registry.notice_content import version_content
from registry.vocabulary import NoticeKind

from .access import official, registry_page, visible_notice

PAGE_SIZE = 25
HOME_LIST_SIZE = 10


def require_change(request: HttpRequest, notice: Notice) -> None:
    """Only a liaison of the filing state may amend or cancel (a 403 for anyone else)."""
    services.require_own_notice(services.require_liaison(request.user), notice)


def can_change(request: HttpRequest, notice: Notice) -> bool:
    try:
        require_change(request, notice)
    except PermissionDenied:
        return False
    return not notice.is_cancelled


def stored_assessment(notice: Notice, version: NoticeVersion) -> dict[str, Any]:
    """The assessment columns of a version, for the assessment template."""
    return {
        "assessment": version,
        "assessment_commitment": notice.commitment,
        "assessment_filed_on": rules.local_date(notice.commitment, notice.first_filed_at),
    }


def area_map(notice: Notice, version: NoticeVersion) -> maps.AreaMap | None:
    """The map of an exercise's area as this version gives it (other kinds have none)."""
    if notice.kind != NoticeKind.EXERCISE:
        return None
    exercise = version.exercise
    return maps.exercise_map(exercise.area_description, exercise.area_polygon)


def editor_class(kind: str) -> type[NoticeEditor]:
    if kind not in EDITORS:
        raise Http404(_("No such kind of notice."))
    return EDITORS[kind]


# --- reading -----------------------------------------------------------------------------


@registry_page
def home(request: HttpRequest) -> HttpResponse:
    me = official(request)
    if me.is_monitor:
        return redirect("notice-list")
    notices = selectors.notices_for_listing(request.user)
    if me.is_secretariat:
        context = {"recent": notices[:HOME_LIST_SIZE]}
    else:
        context = {
            "filed": notices.filter(state_id=me.state_id)[:HOME_LIST_SIZE],
            "received": notices.exclude(state_id=me.state_id)[:HOME_LIST_SIZE],
        }
    return render(request, "registry/home.html", context)


@registry_page
def notice_list(request: HttpRequest) -> HttpResponse:
    form = NoticeFilterForm(
        request.GET or None, commitments=selectors.commitments_visible_to(request.user)
    )
    notices = form.apply(selectors.notices_for_listing(request.user))
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "sort": form.sort_key, "filtered": form.is_filtered()}
    return render(request, "registry/notice_list.html", context)


@registry_page
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = visible_notice(request, pk)
    versions = list(selectors.versions_with_content(notice))
    current = next(v for v in versions if v.pk == notice.current_version_id)
    context = {
        "notice": notice,
        "version": current,
        "versions": versions,
        "content": version_content(current),
        "can_change": can_change(request, notice),
        "area_map": area_map(notice, current),
        **stored_assessment(notice, current),
    }
    return render(request, "registry/notice_detail.html", context)


@registry_page
def version_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    notice = visible_notice(request, pk)
    version = get_object_or_404(selectors.versions_with_content(notice), number=number)
    context = {
        "notice": notice,
        "version": version,
        "content": version_content(version),
        "last_number": notice.current_version.number,
        "area_map": area_map(notice, version),
        **stored_assessment(notice, version),
    }
    return render(request, "registry/version_detail.html", context)


@registry_page
def notice_diff(request: HttpRequest, pk: int) -> HttpResponse:
    notice = visible_notice(request, pk)
    last = notice.current_version.number
    to_number = _version_number(request.GET.get("to"), default=last)
    from_number = _version_number(request.GET.get("from"), default=max(1, to_number - 1))
    versions = selectors.versions_with_content(notice)
    before = get_object_or_404(versions, number=from_number)
    after = get_object_or_404(versions, number=to_number)
    context = {
        "notice": notice,
        "before": before,
        "after": after,
        "before_content": version_content(before),
        "after_content": version_content(after),
        "numbers": range(1, last + 1),
    }
    return render(request, "registry/notice_diff.html", context)


def _version_number(value: str | None, *, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise Http404(_("No such version.")) from exc


# --- filing ------------------------------------------------------------------------------


def open_commitments(request: HttpRequest):
    """Commitments the user's state takes part in today; a 403 for anyone but a liaison."""
    liaison = services.require_liaison(request.user)  # NotPermitted answers 403
    return selectors.commitments_open_to(liaison.state, timezone.localdate())


@registry_page
def notice_new(request: HttpRequest) -> HttpResponse:
    """Choose the commitment and the kind, then go to that kind's form."""
    form = ChooseNoticeForm(request.GET or None, commitments=open_commitments(request))
    if form.is_valid():
        url = reverse("notice-file", args=[form.cleaned_data["kind"]])
        query = urlencode({"commitment": form.cleaned_data["commitment"].code})
        return redirect(f"{url}?{query}")
    return render(request, "registry/notice_choose.html", {"form": form})


@registry_page
def notice_file(request: HttpRequest, kind: str) -> HttpResponse:
    editor_type = editor_class(kind)
    commitment = open_commitments(request).filter(code=request.GET.get("commitment")).first()
    if commitment is None:
        messages.error(request, _("Choose a commitment your state takes part in today."))
        return redirect("notice-new")
    data = request.POST if request.method == "POST" else None
    page = EditorPage(
        request,
        editor=editor_type(data),
        commitment=commitment,
        filing_form=FilingForm(data),
        assess_query={"kind": kind, "commitment": commitment.code},
    )
    if data is None or page.shows_again():
        return page.render()
    try:
        filing = services.file_notice(
            user=request.user,
            commitment=commitment,
            kind=kind,
            client_ref=page.filing_form.cleaned_data["client_ref"],
            content=page.editor.content(),
        )
    except services.RegistryError as exc:
        return page.render_error(exc)
    if filing.created:
        messages.success(request, _("Filed %(ref)s.") % {"ref": filing.notice.reference})
    else:
        messages.info(
            request,
            _("%(ref)s was already filed with this form; it was not filed twice.")
            % {"ref": filing.notice.reference},
        )
    return redirect("notice-detail", pk=filing.notice.pk)


@registry_page
def notice_amend(request: HttpRequest, pk: int) -> HttpResponse:
    notice = visible_notice(request, pk)
    require_change(request, notice)
    if notice.is_cancelled:
        messages.error(request, _("This notice is cancelled; it can no longer be changed."))
        return redirect("notice-detail", pk=notice.pk)
    data = request.POST if request.method == "POST" else None
    page = EditorPage(
        request,
        editor=editor_class(notice.kind)(data, content=version_content(notice.current_version)),
        commitment=notice.commitment,
        reason_form=ReasonForm(data),
        notice=notice,
        assess_query={"notice": notice.pk},
    )
    if data is None or page.shows_again():
        return page.render()
    try:
        filing = services.amend_notice(
            user=request.user,
            notice=notice,
            content=page.editor.content(),
            reason=page.reason_form.cleaned_data["reason"],
        )
    except services.RegistryError as exc:
        return page.render_error(exc)
    messages.success(
        request,
        _("Amended %(ref)s: version %(n)d filed.")
        % {"ref": notice.reference, "n": filing.version.number},
    )
    return redirect("notice-detail", pk=notice.pk)


@registry_page
def notice_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    notice = visible_notice(request, pk)
    require_change(request, notice)
    if notice.is_cancelled:
        messages.error(request, _("This notice is already cancelled."))
        return redirect("notice-detail", pk=notice.pk)
    form = CancellationForm(request.POST if request.method == "POST" else None)
    context = {"notice": notice, "form": form}
    if request.method != "POST" or not form.is_valid():
        return render(request, "registry/notice_cancel.html", context, status=_form_status(form))
    try:
        services.cancel_notice(user=request.user, notice=notice, reason=form.cleaned_data["reason"])
    except services.NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except services.RegistryError as exc:
        for name, errors in exc.errors.items():
            form.add_error(name if name in form.fields else None, errors)
        context["service_error"] = exc.message
        return render(request, "registry/notice_cancel.html", context, status=exc.status_code)
    messages.success(request, _("Cancelled %(ref)s.") % {"ref": notice.reference})
    return redirect("notice-detail", pk=notice.pk)


def _form_status(form: Any) -> int:
    return 400 if form.is_bound and form.errors else 200


# --- the form page of a notice, and its assessment ------------------------------------------


class EditorPage:
    """The filing or amendment form: the kind's editor, its assessment, and its errors."""

    template = "registry/notice_form.html"

    def __init__(
        self,
        request: HttpRequest,
        *,
        editor: NoticeEditor,
        commitment: Commitment,
        assess_query: dict[str, Any],
        filing_form: FilingForm | None = None,
        reason_form: ReasonForm | None = None,
        notice: Notice | None = None,
    ):
        self.request, self.editor, self.commitment = request, editor, commitment
        self.filing_form, self.reason_form, self.notice = filing_form, reason_form, notice
        self.assess_url = f"{reverse('notice-assess')}?{urlencode(assess_query)}"
        self.service_error = ""
        self.valid = False
        if editor.head.is_bound:
            # Every form is validated (no short-circuit), so every error shows at once.
            side_forms = [form for form in (filing_form, reason_form) if form is not None]
            self.valid = all([editor.is_valid(), *(form.is_valid() for form in side_forms)])

    def wants_check(self) -> bool:
        """The no-JS "Check" button: show the assessment, file nothing."""
        return self.request.POST.get("action") == "check"

    def shows_again(self) -> bool:
        """True if the form is to be shown again: the user asked for a check, or errors."""
        return self.wants_check() or not self.valid

    def render(self, status: int | None = None) -> HttpResponse:
        bound = self.editor.head.is_bound
        if status is None:
            status = 400 if bound and not self.valid and not self.wants_check() else 200
        context = {
            "editor": self.editor,
            "commitment": self.commitment,
            "kind_label": NoticeKind(self.editor.kind).label,
            "filing_form": self.filing_form,
            "reason_form": self.reason_form,
            "notice": self.notice,
            "assess_url": self.assess_url,
            "service_error": self.service_error,
            **(assessment_context(self.editor, self.commitment, self.notice) if bound else {}),
        }
        return render(self.request, self.template, context, status=status)

    def render_error(self, exc: services.RegistryError) -> HttpResponse:
        """The form again with a service's errors on the inputs they name (400, 403, 409)."""
        if isinstance(exc, services.NotPermitted):
            raise PermissionDenied(exc.message) from exc
        self.service_error = exc.message
        errors = dict(exc.errors)
        self.editor.add_service_errors(errors.pop(self.editor.kind, {}))
        if self.reason_form is not None and "reason" in errors:
            self.reason_form.add_error("reason", errors.pop("reason"))
        for messages_ in errors.values():
            self.editor.add_service_errors(messages_)
        return self.render(status=exc.status_code)


def assessment_context(
    editor: NoticeEditor, commitment: Commitment, notice: Notice | None
) -> dict[str, Any]:
    """What ``registry.rules`` concludes of the form as it stands, if filed now.

    An amendment keeps the lead time of its notice's first filing.
    """
    editor.is_valid()
    content = editor.assessable_content()
    if content is None:
        return {"assessment": None, "assessment_needs": editor.assessment_needs_label}
    first_filed_at = notice.first_filed_at if notice else timezone.now()
    return {
        "assessment": rules.assess(commitment, editor.kind, content, first_filed_at),
        "assessment_live": True,
        "assessment_commitment": commitment,
        "assessment_filed_on": rules.local_date(commitment, first_filed_at),
        "assessment_is_amendment": notice is not None,
        "thresholds": thresholds_reached(commitment, editor.kind, content),
    }


def thresholds_reached(commitment: Commitment, kind: str, content: dict) -> list[dict]:
    """The counts that reach a threshold, each with its label and the commitment's figure."""
    if kind != NoticeKind.EXERCISE:
        return []
    return [
        {
            "label": capfirst(ExerciseDetails._meta.get_field(name).verbose_name),
            "count": content.get(name),
            "threshold": getattr(commitment, rules.NOTIFIABILITY_THRESHOLDS[name]),
        }
        for name in rules.thresholds_reached(commitment, content)
    ]


@require_POST
@registry_page
def notice_assess(request: HttpRequest) -> HttpResponse:
    """The assessment of a form as typed so far, as an HTML fragment for the form page."""
    notice = None
    if request.GET.get("notice"):
        notice = visible_notice(request, _as_id(request.GET["notice"]))
        kind, commitment = notice.kind, notice.commitment
    else:
        kind = request.GET.get("kind", "")
        commitment = get_object_or_404(
            selectors.commitments_visible_to(request.user), code=request.GET.get("commitment")
        )
    editor = editor_class(kind)(request.POST)
    context = assessment_context(editor, commitment, notice)
    return render(request, "registry/_assessment.html", context)


def _as_id(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise Http404(_("No such notice.")) from exc
