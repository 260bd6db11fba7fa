"""The calendar of exercises (month and list views, with a map) and the iCalendar feed.

The feed's address works without a session, so calendar programs can subscribe: the key
in the address stands for its owner (``registry.calendar.feed``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from registry import selectors
from registry.calendar import feed
from registry.calendar.events import (
    exercises_between,
    month_weeks,
    shift_month,
    upcoming_exercises,
)
from registry.calendar.forms import LIST_VIEW, CalendarFilterForm
from registry.maps import MapArea, areas_map
from registry.models import CalendarFeed

from .access import registry_page

PAGE_SIZE = 25


def signed_in(request: HttpRequest):
    """The signed-in user (``registry_page`` let only such requests through)."""
    user = request.user
    assert user.is_authenticated
    return user


@registry_page
def calendar_page(request: HttpRequest) -> HttpResponse:
    """Upcoming exercises the user may see: a month, or a list; with a map of their areas."""
    form = CalendarFilterForm(
        request.GET,
        commitments=selectors.commitments_visible_to(request.user),
        near_border_km=settings.REGISTRY_NEAR_BORDER_KM,
    )
    today = timezone.localdate()
    if form.chosen_view == LIST_VIEW:
        context = list_context(request, form, today)
    else:
        context = month_context(request, form, today)
    context.update(
        form=form,
        view=form.chosen_view,
        filtered=form.is_filtered(),
        near_border_km=f"{settings.REGISTRY_NEAR_BORDER_KM:g}",
        has_feed=CalendarFeed.objects.filter(user=signed_in(request)).exists(),
    )
    return render(request, "registry/calendar.html", context)


def month_context(request: HttpRequest, form: CalendarFilterForm, today: dt.date) -> dict:
    """A month as weeks of days, each with the exercises running on it; days of the
    neighbouring months that complete the weeks are shown without exercises."""
    start = form.month_start(today)
    end = _month_end(start)
    exercises = exercises_between(request.user, start, end, form.filters())
    title = _("Exercise areas in %(month)s") % {"month": date_format(start, "YEAR_MONTH_FORMAT")}
    return {
        "month": start,
        "weeks": month_weeks(start.year, start.month, today, exercises),
        "exercises": exercises,
        "previous_month": _month_value(*shift_month(start.year, start.month, -1)),
        "next_month": _month_value(*shift_month(start.year, start.month, 1)),
        "this_month": _month_value(today.year, today.month),
        "areas_map": _map(exercises, title),
    }


def list_context(request: HttpRequest, form: CalendarFilterForm, today: dt.date) -> dict:
    exercises = upcoming_exercises(request.user, today, form.filters())
    page = Paginator(exercises, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "page": page,
        "exercises": list(page.object_list),
        "areas_map": _map(page.object_list, _("Areas of the upcoming exercises listed")),
    }


def _map(exercises, title: str):
    areas = [MapArea(item.exercise.area_polygon, item.number) for item in exercises]
    return areas_map(areas, title=title, id_prefix="calendar-map") if areas else None


def _month_end(start: dt.date) -> dt.date:
    year, month = shift_month(start.year, start.month, 1)
    return dt.date(year, month, 1) - dt.timedelta(days=1)


def _month_value(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


# --- the feed -----------------------------------------------------------------------------------


@registry_page
def calendar_feed_settings(request: HttpRequest) -> HttpResponse:
    """Make, reset or turn off the user's feed address; a new address is shown only once."""
    existing = CalendarFeed.objects.filter(user=signed_in(request)).first()
    context: dict[str, Any] = {"feed": existing}
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke":
            if feed.calendar_feed_revoke(user=request.user):
                messages.success(
                    request, _("Your calendar feed is turned off; its address no longer works.")
                )
            return redirect("calendar-feed-settings")
        if action != "reset":
            raise Http404(_("No such action."))
        key = feed.calendar_feed_reset(user=request.user)
        context["feed"] = CalendarFeed.objects.get(user=signed_in(request))
        context["feed_url"] = request.build_absolute_uri(reverse("calendar-feed", args=[key]))
        context["was_reset"] = existing is not None
    response = render(request, "registry/calendar_feed.html", context)
    if "feed_url" in context:
        response["Cache-Control"] = "no-store"  # the page shows the secret address
    return response


@login_not_required
@require_safe
def calendar_feed(request: HttpRequest, key: str) -> HttpResponse:
    """The iCalendar document of the feed whose key is in the address (no session needed)."""
    owner = feed.feed_owner(key)
    if owner is None:
        raise Http404(_("No such calendar feed."))
    response = HttpResponse(
        feed.feed_calendar(owner, timezone.localdate()), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="exercises.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
