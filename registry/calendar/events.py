"""Exercises for the calendar: those the user may see, by their dates, with where they are.

Only the current version of a notice counts (an amendment moves the exercise), and a
cancelled exercise is left out of the page (the iCalendar feed keeps it, marked
cancelled, so that subscribed calendars drop it).
"""

from __future__ import annotations

import calendar as stdlib_calendar
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet

from registry import selectors
from registry.maps import AreaGeography, describe_area
from registry.models import Commitment, ExerciseDetails, Notice
from registry.vocabulary import NoticeKind, NoticeStatus


@dataclass(frozen=True)
class Filters:
    """The calendar's filters: the filing state, the commitment, near a border only."""

    state: str = ""
    commitment: Commitment | None = None
    near_border: bool = False


@dataclass
class CalendarExercise:
    """An exercise notice as the calendar shows it; ``number`` ties it to the map."""

    notice: Notice
    number: int = 0

    @property
    def exercise(self) -> ExerciseDetails:
        version = self.notice.current_version
        assert version is not None  # every filed notice has one
        return version.exercise

    @property
    def geography(self) -> AreaGeography:
        return describe_area(self.exercise.area_polygon)

    def runs_on(self, day: dt.date) -> bool:
        return self.exercise.start_date <= day <= self.exercise.end_date


def exercise_notices(user, filters: Filters, *, with_cancelled: bool = False) -> QuerySet[Notice]:
    """Exercise notices the user may see, filtered by state and commitment."""
    notices = selectors.notices_for_listing(user).filter(kind=NoticeKind.EXERCISE)
    if not with_cancelled:
        notices = notices.exclude(status=NoticeStatus.CANCELLED)
    if filters.state:
        notices = notices.filter(state_id=filters.state)
    if filters.commitment is not None:
        notices = notices.filter(commitment=filters.commitment)
    return notices.order_by(
        "current_version__exercise__start_date", "current_version__exercise__end_date", "reference"
    )


def exercises_between(user, first: dt.date, last: dt.date, filters: Filters) -> list:
    """Exercises running on at least one day from ``first`` to ``last``, by start date."""
    notices = exercise_notices(user, filters).filter(
        current_version__exercise__start_date__lte=last,
        current_version__exercise__end_date__gte=first,
    )
    return numbered(notices, filters)


def upcoming_exercises(user, today: dt.date, filters: Filters) -> list:
    """Exercises that have not ended by ``today``, by start date."""
    notices = exercise_notices(user, filters).filter(current_version__exercise__end_date__gte=today)
    return numbered(notices, filters)


def numbered(notices, filters: Filters) -> list[CalendarExercise]:
    items = [CalendarExercise(notice) for notice in notices]
    if filters.near_border:
        items = [item for item in items if item.geography.near_border]
    for number, item in enumerate(items, start=1):
        item.number = number
    return items


# --- the month view -------------------------------------------------------------------------


@dataclass
class Day:
    date: dt.date
    in_month: bool
    is_today: bool
    exercises: list[CalendarExercise] = field(default_factory=list)


def month_weeks(year: int, month: int, today: dt.date, exercises: list) -> list[list[Day]]:
    """The month's weeks, each day with the exercises running on it."""
    weeks = stdlib_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [
        [
            Day(
                date=day,
                in_month=day.month == month,
                is_today=day == today,
                exercises=[i for i in exercises if day.month == month and i.runs_on(day)],
            )
            for day in week
        ]
        for week in weeks
    ]


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1
