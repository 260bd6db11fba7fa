"""Each user's iCalendar feed: a secret address that calendar programs subscribe to.

The address carries a random key (``CalendarFeed``); the feed answers without a session,
as its owner: the exercises its owner may see now (``registry.selectors``), from
``FEED_PAST_DAYS`` ago on, cancelled ones marked so. It stops answering when the owner is
deactivated or loses their registry role, and when the key is reset or the feed turned off.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from registry import selectors
from registry.maps.geography import centre_of
from registry.models import CalendarFeed, ExerciseDetails, Notice
from registry.vocabulary import NoticeStatus

from .events import Filters, exercise_notices

#: Exercises that ended longer ago than this are left out of the feed.
FEED_PAST_DAYS = 90
#: How often the feed's last use is written down (not at every poll).
LAST_USED_PRECISION = dt.timedelta(hours=1)
PRODUCT_ID = "-//Confidence-building notification registry//Exercise calendar//EN"


# --- the key: make, reset, turn off, look up ------------------------------------------------


@transaction.atomic
def calendar_feed_reset(*, user) -> str:
    """Give the user a new feed key (the old address stops working); return the key."""
    key = CalendarFeed.new_key()
    CalendarFeed.objects.update_or_create(
        user=user,
        defaults={
            "key_hash": CalendarFeed.hash(key),
            "hint": key[:10],
            "created_at": timezone.now(),
            "last_used_at": None,
        },
    )
    return key


def calendar_feed_revoke(*, user) -> bool:
    """Turn the user's feed off; True if there was one."""
    deleted, _rows = CalendarFeed.objects.filter(user=user).delete()
    return deleted > 0


def feed_owner(key: str):
    """The active user with a registry role whose feed has this key, or ``None``."""
    feed = (
        CalendarFeed.objects.select_related("user__official")
        .filter(key_hash=CalendarFeed.hash(key), user__is_active=True)
        .first()
    )
    if feed is None or selectors.official_of(feed.user) is None:
        return None
    now = timezone.now()
    if feed.last_used_at is None or feed.last_used_at < now - LAST_USED_PRECISION:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed.user


# --- the iCalendar document -------------------------------------------------------------------


def feed_notices(user, today: dt.date):
    since = today - dt.timedelta(days=FEED_PAST_DAYS)
    return exercise_notices(user, Filters(), with_cancelled=True).filter(
        current_version__exercise__end_date__gte=since
    )


def feed_calendar(user, today: dt.date) -> bytes:
    """The feed as an iCalendar (RFC 5545) document: one all-day event per exercise."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("Exercises (notification registry)"))
    calendar.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", dt.timedelta(hours=1))
    for notice in feed_notices(user, today):
        calendar.add_component(exercise_event(notice))
    return calendar.to_ical()


def exercise_event(notice: Notice) -> Event:
    """An exercise as an all-day event; its UID stays the same through amendments."""
    version = notice.current_version
    assert version is not None  # every filed notice has one
    exercise = version.exercise
    cancelled = notice.status == NoticeStatus.CANCELLED
    event = Event()
    event.add("uid", f"{notice.reference}@{_host()}")
    event.add("sequence", version.number - 1)
    event.add("dtstamp", version.filed_at)
    event.add("created", notice.first_filed_at)
    event.add("last-modified", version.filed_at)
    event.add("dtstart", exercise.start_date)
    event.add("dtend", exercise.end_date + dt.timedelta(days=1))  # DTEND is exclusive
    event.add("summary", _summary(notice, exercise.name, cancelled))
    event.add("location", exercise.area_description)
    longitude, latitude = centre_of(exercise.area_polygon)
    event.add("geo", (round(latitude, 5), round(longitude, 5)))
    event.add("description", _description(notice, exercise))
    event.add("url", settings.REGISTRY_BASE_URL + reverse("notice-detail", args=[notice.pk]))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    event.add("categories", [exercise.get_activity_type_display(), notice.commitment.code])
    return event


def _summary(notice: Notice, name: str, cancelled: bool) -> str:
    summary = f"{notice.state_id}: {name}"
    return _("%(summary)s (cancelled)") % {"summary": summary} if cancelled else summary


def _description(notice: Notice, exercise: ExerciseDetails) -> str:
    lines = [
        f"{notice.reference} · {notice.commitment.code} · {notice.state.name}",
        _("Type: %(type)s") % {"type": exercise.get_activity_type_display()},
        _("Troops: %(troops)d") % {"troops": exercise.troops},
        _("Area: %(area)s") % {"area": exercise.area_description},
        _("Version %(number)d, %(status)s")
        % {"number": exercise.version.number, "status": notice.get_status_display()},
    ]
    return "\n".join(lines)


def _host() -> str:
    return settings.REGISTRY_BASE_URL.split("://", 1)[-1].split("/", 1)[0]
