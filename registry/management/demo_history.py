"""A plausible, synthetic history for the demo, so the monitors' pages have years to show.

``seed_demo --with-history`` calls ``seed_history``: for every state taking part in WB-RTA,
from 2023 to today, an annual calendar, a procurement plan, two to six exercises and some
procurement notices, with the recipients' acknowledgements and a few clarifications; the
same under VD11 for its participants (calendars, defence planning, the rare exercise it
makes notifiable, some voluntary notices); and a few monitor findings of activities that
were never notified.

Everything is invented. Names are generic, sizes plausible for the region's forces, and
each state follows a ``Conduct`` profile so that the dashboard shows some states keeping
their commitments better than others; faults were commoner in the arrangement's first
year and fade after. Deadlines and thresholds come from the commitments' parameters
through ``registry.rules``.

The generation is deterministic: each state and year draws from its own ``random.Random``
with a fixed seed, whatever the date, and everything dated after ``now`` is left out. The
lines are the import format of ``registry.services.history`` with fixed ``client_ref``s, so a second
run imports nothing new, and findings are matched on what was observed. A run on a later day
adds what was filed in between; notices already there keep the versions and responses they
were imported with.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from registry import rules, services
from registry.models import Commitment, Finding, Organisation, Participation, State
from registry.services.history import import_notice, parse_line

#: Chosen among a few seeds so that every case the compliance pages explain appears at least
#: once (a near-threshold size, a late answer, an unanswered question, a moved start, …).
SEED = "demo-16"
FIRST_YEAR = 2023
REGIONAL, VIENNA = "WB-RTA", "VD11"

# --- who does what, and how well --------------------------------------------------------------


@dataclass(frozen=True)
class Conduct:
    """How a state keeps its commitments in the generated history."""

    laxity: float  # 0: always on time; 1: the most often late or silent
    exercises: tuple[int, int]  # how many a year
    largest: int  # troops in its largest usual exercise
    tanks: bool = False
    coast: bool = False

    def rate(self, fault: str) -> float:
        return FAULT_RATES[fault] * self.laxity


#: The chance of each fault at laxity 1 (per obligation, notice or response).
FAULT_RATES = {
    "late_calendar": 0.35,
    "missing_calendar": 0.2,
    "late_plan": 0.4,
    "missing_plan": 0.2,
    "late_exercise": 0.3,
    "late_procurement": 0.35,
    "late_acknowledgement": 0.18,
    "no_acknowledgement": 0.04,
    "late_answer": 0.3,
    "unnotified": 0.25,
}
CONDUCT = {
    "HR": Conduct(0.15, (3, 6), 4200, tanks=True, coast=True),
    "ME": Conduct(0.25, (2, 4), 1900, coast=True),
    "MK": Conduct(0.3, (2, 5), 2800, tanks=True),
    "AL": Conduct(0.55, (2, 5), 2800, coast=True),
    "RS": Conduct(0.6, (3, 6), 4800, tanks=True),
    "XK": Conduct(0.85, (2, 4), 2200),
    "BA": Conduct(1.0, (2, 4), 2500, tanks=True),
}
AVERAGE = Conduct(0.5, (2, 5), 2500)

#: Fault rates by year: the arrangement's first full year was the hardest.
YEAR_FACTOR = {2023: 1.5, 2024: 1.0, 2025: 0.8}
LATER_YEARS_FACTOR = 0.7


@dataclass(frozen=True)
class Area:
    description: str
    west: float
    south: float
    east: float
    north: float
    naval: bool = False


AREAS = {
    "AL": [
        Area("Biza plateau training area", 20.02, 41.30, 20.20, 41.40),
        Area("Kukës highlands", 20.35, 42.04, 20.52, 42.15),
        Area("Adriatic coast and waters off Durrës", 19.30, 41.22, 19.50, 41.38, naval=True),
    ],
    "BA": [
        Area("Manjača training area", 17.02, 44.70, 17.25, 44.86),
        Area("Glamoč training area", 16.80, 43.95, 17.00, 44.10),
        Area("Kalinovik plateau", 18.33, 43.43, 18.55, 43.56),
    ],
    "HR": [
        Area("Slunj training area", 15.50, 45.04, 15.70, 45.16),
        Area("Gašinci training area", 18.15, 45.34, 18.36, 45.46),
        Area("Adriatic, waters off Split", 16.20, 43.33, 16.52, 43.50, naval=True),
    ],
    "XK": [
        Area("Training area near Ferizaj/Uroševac", 21.08, 42.30, 21.25, 42.41),
        Area("Golesh/Goleš hills", 20.95, 42.55, 21.10, 42.66),
    ],
    "ME": [
        Area("Nikšić plateau", 18.85, 42.74, 19.06, 42.86),
        Area("Danilovgrad training area", 19.04, 42.50, 19.20, 42.60),
        Area("Coast and waters off Bar", 19.02, 42.03, 19.20, 42.15, naval=True),
    ],
    "MK": [
        Area("Krivolak training area", 21.94, 41.49, 22.16, 41.62),
        Area("Petrovec plain", 21.58, 41.92, 21.75, 42.00),
        Area("Ohrid lakeside", 20.74, 41.04, 20.90, 41.15),
    ],
    "RS": [
        Area("Pasuljanske livade training area, near Ćuprija", 21.35, 43.90, 21.48, 43.98),
        Area("Nikinci training area", 19.75, 44.84, 19.92, 44.95),
        Area("Peskovi training area, near Pančevo", 20.62, 44.80, 20.78, 44.90),
    ],
}

FIRST_WORDS = [
    "Northern",
    "Southern",
    "Mountain",
    "Valley",
    "River",
    "Steadfast",
    "Swift",
    "Iron",
    "Silver",
    "Eagle",
    "Falcon",
    "Granite",
]
SECOND_WORDS = [
    "Shield",
    "Guardian",
    "Resolve",
    "Sentinel",
    "Response",
    "Horizon",
    "Bridge",
    "Partner",
    "Lance",
    "Trail",
]
PARTNERS = ["AT", "DE", "FR", "GB", "GR", "HU", "IT", "RO", "SI", "US"]

PURPOSES = {
    "field_training": "Field training of a {level}: defensive operations, manoeuvre and "
    "combat service support.",
    "live_fire": "Live-fire training of artillery and mechanised units on a certified range.",
    "command_post": "Command post exercise testing staff procedures and communications.",
    "air": "Air defence and close air support training with ground units.",
    "naval": "Maritime security training: patrol, boarding, search and rescue.",
    "amphibious": "Amphibious landing and coastal defence training.",
    "airborne": "Parachute insertion and air assault training.",
}
DURATION = {
    "field_training": (5, 14),
    "live_fire": (2, 6),
    "command_post": (3, 7),
    "air": (2, 5),
    "naval": (3, 8),
    "amphibious": (3, 7),
    "airborne": (2, 4),
}

#: (category, system, quantities, unit price in EUR); only generic designations.
SYSTEMS = [
    ("II", "Wheeled armoured personnel carrier 8x8", (6, 24), 3_200_000),
    ("II", "Light armoured patrol vehicle 4x4", (10, 60), 650_000),
    ("III", "Self-propelled howitzer 155 mm", (4, 18), 5_500_000),
    ("III", "Truck-mounted multiple rocket launcher", (2, 8), 4_000_000),
    ("V", "Light attack helicopter", (2, 6), 14_000_000),
    ("IV", "Unmanned combat aerial vehicle", (2, 6), 6_000_000),
    ("VII", "Man-portable air defence system launchers", (12, 48), 120_000),
    ("AD", "Short-range air defence system (battery)", (1, 3), 45_000_000),
    ("UAV", "Tactical reconnaissance drone", (4, 24), 350_000),
    ("SALW", "Assault rifles 5.56 mm", (500, 4000), 1_400),
    ("AMMO", "Artillery ammunition 155 mm (rounds)", (2000, 15000), 3_500),
    ("EW", "Electronic warfare vehicle", (1, 4), 7_000_000),
]
TANKS = ("I", "Main battle tank (modernisation kit)", (6, 30), 2_800_000)
SHIPS = ("VI", "Coastal patrol vessel", (1, 2), 38_000_000)

QUESTIONS = [
    (
        "Please confirm the number of battle tanks and artillery pieces taking part.",
        "Confirmed: the figures notified are the maximum at any time.",
    ),
    (
        "Could you specify the live-fire zones inside the notified area?",
        "Live firing is limited to the certified range in the northern part of the area.",
    ),
    (
        "Will observers from neighbouring states be invited?",
        "Observers can be invited on request through the points of contact.",
    ),
    (
        "Please clarify when the units will return to their garrisons.",
        "All units return to garrison within three days of the end date.",
    ),
    (
        "Does the exercise include movements near the state border?",
        "No: every movement stays more than 30 km from the border.",
    ),
]
AMENDMENT_REASONS = {
    "earlier": "Start brought forward: the range became available earlier.",
    "later": "Postponed because of the weather forecast.",
    "size": "More units assigned to the exercise.",
    "area": "Part of the activity moved to a nearby range.",
}
CANCELLATION_REASONS = [
    "Cancelled: the units were assigned to wildfire relief.",
    "Cancelled for budgetary reasons.",
    "Cancelled: merged into another exercise.",
]


def local(day: dt.date, hour: int, minute: int, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


def hours(value: float) -> dt.timedelta:
    return dt.timedelta(hours=round(value, 2))


# --- the generator ---------------------------------------------------------------------------


@dataclass
class Exercise:
    """A planned exercise, before it becomes a notice under one commitment or two."""

    content: dict[str, Any]
    filed_at: dt.datetime
    amendments: list[dict[str, Any]] = field(default_factory=list)
    cancelled: dict[str, Any] | None = None
    in_calendar: bool = True


class StateYear:
    """Everything one state files about one year, drawn from its own random stream."""

    def __init__(self, generator: HistoryGenerator, state: str, year: int):
        self.g = generator
        self.state = state
        self.year = year
        self.rng = random.Random(f"{SEED}:{state}:{year}")
        self.conduct = CONDUCT.get(state, AVERAGE)
        self.factor = YEAR_FACTOR.get(year, LATER_YEARS_FACTOR)
        self.regional = generator.commitments[REGIONAL]
        self.tz = ZoneInfo(self.regional.time_zone)
        self.exercises = self._exercises()
        self.plan_items = self._plan_items()
        self.budget_approved_on = self._budget_approved_on()

    def chance(self, fault: str) -> bool:
        """Whether the state commits ``fault`` this time (commoner in early years)."""
        return self.rng.random() < self.conduct.rate(fault) * self.factor

    def at(self, day: dt.date) -> dt.datetime:
        """A time in office hours on ``day``."""
        return local(day, self.rng.randint(8, 16), self.rng.randrange(0, 60, 5), self.tz)

    def some_day(self, first: dt.date, last: dt.date) -> dt.date:
        return first + dt.timedelta(days=self.rng.randint(0, (last - first).days))

    # exercises -------------------------------------------------------------------------

    def _exercises(self) -> list[Exercise]:
        """Two to six, in different months; most notifiable, some voluntary, near or snap."""
        count = self.rng.randint(*self.conduct.exercises)
        names: set[str] = set()
        exercises = []
        for month in sorted(self.rng.sample(range(1, 13), count)):
            start = dt.date(self.year, month, self.rng.randint(1, 24))
            role = self.rng.choices(
                ["notifiable", "voluntary", "near", "snap", "large"],
                weights=[60, 20, 7, 10, 3 if self.conduct.largest >= 4000 else 0],
            )[0]
            exercises.append(self._exercise(start, role, self._name(names)))
        return exercises

    def _name(self, taken: set[str]) -> str:
        while True:
            name = f"{self.rng.choice(FIRST_WORDS)} {self.rng.choice(SECOND_WORDS)} {self.year}"
            if name not in taken:
                taken.add(name)
                return name

    def _exercise(self, start: dt.date, role: str, name: str) -> Exercise:
        troops = self._troops(role)
        activity = "field_training" if role == "large" else self._activity(role, troops)
        content = self._content(name, activity, start, troops, role)
        planned = role in ("notifiable", "large")
        exercise = Exercise(content, self._filed_at(start, role))
        exercise.in_calendar = planned and self.rng.random() > 0.1
        if planned and not exercise.in_calendar:
            content["calendar_changes"] = f"Not in the annual calendar for {self.year}."
        if role != "snap":
            self._maybe_change(exercise)
        return exercise

    def _troops(self, role: str) -> int:
        """Sizes against the regional threshold; ``large`` reaches the Vienna Document's."""
        threshold = self.regional.threshold_troops
        if role == "notifiable":
            return int(self.rng.triangular(threshold, self.conduct.largest, threshold * 1.15))
        if role == "voluntary":
            return self.rng.randrange(300, int(threshold * 0.9), 10)
        if role == "near":  # within the margin the registry flags
            return self.rng.randint(int(threshold * 0.954), threshold - 1)
        if role == "snap":
            return self.rng.randrange(threshold, threshold + 1000, 10)
        vienna = self.g.commitments[VIENNA].threshold_troops
        return self.rng.randrange(vienna + 100, vienna + 900, 50)

    def _activity(self, role: str, troops: int) -> str:
        if role in ("voluntary", "near") and self.rng.random() < 0.3:
            return "command_post"
        options = ["field_training"] * 6 + ["live_fire"] * 2 + ["air"]
        if self.conduct.coast:
            options += ["naval", "amphibious"]
        if role == "notifiable" and troops < 2500:
            options.append("airborne")
        return self.rng.choice(options)

    def _content(self, name, activity, start, troops, role) -> dict[str, Any]:
        """The API's exercise object."""
        low, high = DURATION[activity]
        level = "battalion" if troops < 1000 else "brigade" if troops < 4000 else "division"
        if activity == "command_post":
            level = self.rng.choice(["corps", "joint"])
        return {
            "name": name,
            "activity_type": activity,
            "purpose": PURPOSES[activity].format(level=level),
            "command_level": level,
            "start_date": start,
            "end_date": start + dt.timedelta(days=self.rng.randint(low, high) - 1),
            "area": self._area(activity),
            "troops": troops,
            **self._equipment(activity, troops, sub_threshold=role in ("voluntary", "near")),
            "participating_states": self._participants(role),
            "observers_invited": self.rng.random() < 0.2,
            "without_advance_notice": role == "snap",
            "calendar_changes": "",
        }

    def _area(self, activity: str) -> dict[str, Any]:
        """One of the state's areas, its corners moved a little each time."""
        naval = activity in ("naval", "amphibious")
        area = self.rng.choice([a for a in AREAS[self.state] if a.naval == naval])
        corners = [
            (area.west, area.south),
            (area.east, area.south),
            (area.east, area.north),
            (area.west, area.north),
        ]
        polygon = [[self._jitter(lon), self._jitter(lat)] for lon, lat in corners]
        return {"description": area.description, "polygon": polygon}

    def _jitter(self, degrees: float) -> float:
        return round(degrees + self.rng.uniform(-0.015, 0.015), 4)

    def _equipment(self, activity: str, troops: int, *, sub_threshold: bool) -> dict[str, int]:
        """Counts that fit the activity: a sub-threshold exercise stays well under every
        threshold, and only a ``near`` role's troops fall in the margin the registry flags."""
        ground = activity in ("field_training", "live_fire")
        tanks = ground and self.conduct.tanks
        carried = activity in ("airborne", "amphibious")
        counts = {
            "battle_tanks": self.rng.randint(0, troops // 120) if tanks else 0,
            "acv": self.rng.randint(troops // 80, troops // 35) if ground else 0,
            "artillery": self.rng.randint(2, 6 + troops // 150 if activity == "live_fire" else 6),
            "helicopters": self.rng.randint(0, 8),
            "fixed_wing_sorties": self.rng.randint(20, 80) if activity == "air" else 0,
            "airborne_amphibious_troops": self.rng.randrange(200, 700, 10) if carried else 0,
        }
        for name, parameter in rules.NOTIFIABILITY_THRESHOLDS.items():
            limit = getattr(self.regional, parameter)
            if (
                name in counts
                and limit is not None
                and (sub_threshold or name in rules.near_thresholds(self.regional, counts))
            ):
                counts[name] = min(counts[name], int(limit * 0.8))
        return counts

    def _participants(self, role: str) -> list[str]:
        """Mostly the state alone; sometimes a neighbour or a partner from further away."""
        states = [self.state]
        if role == "large" or self.rng.random() < 0.2:
            neighbours = sorted(set(self.g.participants[REGIONAL]) - {self.state})
            states += self.rng.sample(neighbours, 2 if role == "large" else 1)
        if role == "large" or self.rng.random() < 0.1:
            states.append(self.rng.choice(PARTNERS))
        return states

    def _filed_at(self, start: dt.date, role: str) -> dt.datetime:
        """Mostly 45 to 120 days ahead; some late by days or weeks; a snap on its first day."""
        if role == "snap":
            return local(start, self.rng.randint(6, 18), self.rng.randrange(0, 60, 5), self.tz)
        required = self.regional.exercise_lead_days
        if role == "notifiable" and self.chance("late_exercise"):
            short = self.rng.randint(1, 12) if self.rng.random() < 0.8 else self.rng.randint(13, 25)
            return self.at(workday(start - dt.timedelta(days=required - short), later=True))
        lead = self.rng.randint(required + 3, required + 78)
        return self.at(workday(start - dt.timedelta(days=lead), later=False))

    def _maybe_change(self, exercise: Exercise) -> None:
        """An occasional cancellation; a few amendments, some moving the start earlier."""
        content = exercise.content
        first = exercise.filed_at.date() + dt.timedelta(days=2)
        last = content["start_date"] - dt.timedelta(days=3)
        if last <= first:
            return
        roll = self.rng.random()
        day = self.some_day(first, last)
        if roll < 0.05:
            reason = self.rng.choice(CANCELLATION_REASONS)
            exercise.cancelled = {"filed_at": self.at(day), "reason": reason}
        elif roll < 0.2:
            how = self.rng.choice(list(AMENDMENT_REASONS))
            amended = self._amended(content, how, day)
            exercise.amendments.append(
                {"filed_at": self.at(day), "reason": AMENDMENT_REASONS[how], "exercise": amended}
            )

    def _amended(self, content: dict[str, Any], how: str, filed_on: dt.date) -> dict[str, Any]:
        changed = dict(content)
        if how in ("earlier", "later"):
            days = self.rng.randint(3, 12)
            if how == "earlier":  # never before the amendment itself
                days = -min(days, (content["start_date"] - filed_on).days - 1)
            changed["start_date"] = content["start_date"] + dt.timedelta(days=days)
            changed["end_date"] = content["end_date"] + dt.timedelta(days=days)
        elif how == "size":
            changed["troops"] = int(content["troops"] * self.rng.uniform(1.05, 1.15))
        else:
            area = content["area"]
            changed["area"] = {**area, "description": f"{area['description']} and a nearby range"}
        return changed

    # calendars, plans, procurement -------------------------------------------------------

    def calendar(self, commitment: Commitment, listed: list[Exercise]) -> dict[str, Any] | None:
        """The calendar of this year (nil if nothing is listed), filed the year before."""
        due = rules.calendar_due_by(commitment, self.year)
        if due is None or self.chance("missing_calendar"):
            return None
        day = self._filing_day(due, "late_calendar", early=25, late=45)
        entries = [calendar_entry(e, self.rng) for e in listed]
        return {
            "filed_at": self.at(day),
            "annual_calendar": {"year": self.year, "nil": not entries, "entries": entries},
        }

    def plan(self, commitment: Commitment) -> dict[str, Any] | None:
        """The procurement plan; under VD11 it is due months after the budget's approval."""
        budget = self.budget_approved_on
        due = rules.procurement_plan_due_by(commitment, self.year, budget)
        if due is None or self.chance("missing_plan"):
            return None
        day = max(
            self._filing_day(due, "late_plan", early=40, late=60), budget + dt.timedelta(days=5)
        )
        plan = {"plan_year": self.year, "budget_approved_on": budget, "items": self.plan_items}
        return {"filed_at": self.at(workday(day, later=True)), "procurement_plan": plan}

    def _filing_day(self, due: dt.date, fault: str, *, early: int, late: int) -> dt.date:
        """On a workday up to ``early`` days before ``due``, or 1 to ``late`` days after it."""
        if self.chance(fault):
            return workday(due + dt.timedelta(days=self.rng.randint(1, late)), later=True)
        return workday(due - dt.timedelta(days=self.rng.randint(0, early)), later=False)

    def _plan_items(self) -> list[dict[str, Any]]:
        systems = list(SYSTEMS)
        if self.conduct.tanks:
            systems.append(TANKS)
        if self.conduct.coast:
            systems.append(SHIPS)
        chosen = self.rng.sample(systems, self.rng.randint(1, 4))
        return [self._item(*system) for system in chosen]

    def _item(self, category, system, quantities, price) -> dict[str, Any]:
        quantity = self.rng.randint(*quantities)
        national = self.state in ("RS", "HR") and self.rng.random() < 0.3
        modes = ["import"] * 5 + ["donation", "lease"]
        mode = "national_production" if national else self.rng.choice(modes)
        delivery = dt.date(self.year, 1, 1) + dt.timedelta(days=self.rng.randint(180, 720))
        return {
            "category": category,
            "system": system,
            "quantity": quantity,
            "supplier_state": "" if national else self.rng.choice(PARTNERS),
            "mode": mode,
            "contract_date": None,
            "delivery_start": delivery,
            "delivery_end": delivery + dt.timedelta(days=self.rng.randint(60, 540)),
            "value_eur": None if mode == "donation" else f"{round(quantity * price, -3):.2f}",
        }

    def _budget_approved_on(self) -> dt.date:
        """Mostly in December of the year before; sometimes late, in the first quarter."""
        if self.rng.random() < 0.75:
            return dt.date(self.year - 1, 12, self.rng.randint(8, 28))
        return dt.date(self.year, self.rng.randint(1, 3), self.rng.randint(1, 28))

    def procurement_notices(self, window: int) -> list[dict[str, Any]]:
        """A contract for none, one or two items of the plan, mostly notified within
        ``window`` days of its signature."""
        count = min(len(self.plan_items), self.rng.choice([0, 1, 1, 2]))
        notices = []
        for item in self.rng.sample(self.plan_items, count):
            signed = dt.date(self.year, self.rng.randint(2, 11), self.rng.randint(1, 28))
            late = self.chance("late_procurement")
            delay = (
                self.rng.randint(window + 1, window + 50)
                if late
                else self.rng.randint(2, window - 2)
            )
            filed_on = workday(signed + dt.timedelta(days=delay), later=late)
            notice = {"item": {**item, "contract_date": signed}}
            notices.append({"filed_at": self.at(filed_on), "procurement_notice": notice})
        return notices

    # responses -------------------------------------------------------------------------------

    def acknowledgements(self, commitment, versions, recipients) -> list[dict[str, Any]]:
        """Each recipient's acknowledgement of each version, unless it never came."""
        acknowledgements = []
        for number, filed_at in enumerate(versions, start=1):
            for state in recipients:
                delay = self._acknowledgement_delay(commitment, state)
                if delay is not None:
                    acknowledgements.append(
                        {"state": state, "version": number, "acknowledged_at": filed_at + delay}
                    )
        return acknowledgements

    def _acknowledgement_delay(self, commitment, state: str) -> dt.timedelta | None:
        """Mostly within hours; some late, as the recipient's conduct has it; a few never."""
        conduct = CONDUCT.get(state, AVERAGE)
        window = commitment.acknowledgement_hours
        roll = self.rng.random() / self.factor
        never = conduct.rate("no_acknowledgement")
        if roll < never:
            return None
        if roll < never + conduct.rate("late_acknowledgement"):
            return hours(self.rng.uniform(window + 2, window * 3.5))
        spans = [(0.2, 6.0)] * 11 + [(6.0, 26.0)] * 7 + [(26.0, window - 1.0)] * 2
        return hours(self.rng.uniform(*self.rng.choice(spans)))

    def clarifications(self, commitment, filed_at, recipients) -> list[dict[str, Any]]:
        """Now and then a recipient asks; most answers come within the deadline."""
        if self.rng.random() >= 0.2 or not recipients:
            return []
        asker = self.rng.choice(recipients)
        question, answer = self.rng.choice(QUESTIONS)
        asked_at = filed_at + hours(self.rng.uniform(3, 200))
        window = commitment.clarification_hours
        roll = self.rng.random()
        answered_at: dt.datetime | None = None
        if roll >= 0.08 + self.conduct.rate("late_answer") * self.factor:
            answered_at = asked_at + hours(self.rng.uniform(1, window - 2))
        elif roll >= 0.08:
            answered_at = asked_at + hours(self.rng.uniform(window + 2, window * 3))
        question_line = {
            "state": asker,
            "version": 1,
            "asked_at": asked_at,
            "question": question,
            "asked_by": f"{asker.lower()}-official",
            "answered_at": answered_at,
            "answer": answer if answered_at else "",
            "answered_by": f"{self.state.lower()}-liaison",
        }
        return [question_line]

    def finding(self) -> dict[str, Any] | None:
        """Sometimes a monitor observes an activity that was never notified."""
        if not self.chance("unnotified"):
            return None
        start = dt.date(self.year, self.rng.randint(2, 11), self.rng.randint(1, 25))
        end = start + dt.timedelta(days=self.rng.randint(2, 6))
        area = self.rng.choice([a for a in AREAS[self.state] if not a.naval])
        troops = self.rng.randrange(1600, 2600, 100)
        recorded_on = end + dt.timedelta(days=self.rng.randint(5, 30))
        return {
            "state_id": self.state,
            "observed_from": start,
            "observed_to": end,
            "area_description": area.description,
            "estimated_troops": troops,
            "estimated_acv": self.rng.randrange(20, 60, 5),
            "recorded_at": local(recorded_on, 11, 0, self.tz),
            "sources": "Observation by the monitoring mission; commercial satellite imagery.",
            "note": f"Activity of about {troops} troops observed from {start:%d %B} to "
            f"{end:%d %B %Y} ({area.description}); no notice was filed under {REGIONAL}.",
        }


def calendar_entry(exercise: Exercise, rng: random.Random) -> dict[str, Any]:
    content = exercise.content
    start = content["start_date"]
    return {
        "name": content["name"],
        "activity_type": content["activity_type"],
        "start_window_from": start - dt.timedelta(days=rng.randint(0, 10)),
        "start_window_to": start + dt.timedelta(days=rng.randint(0, 14)),
        "duration_days": (content["end_date"] - start).days + 1,
        "troops": round(content["troops"], -2),
        "battle_tanks": content["battle_tanks"],
        "acv": content["acv"],
        "artillery": content["artillery"],
        "airborne_amphibious_troops": content["airborne_amphibious_troops"],
        "area_description": content["area"]["description"],
    }


def workday(day: dt.date, *, later: bool) -> dt.date:
    """The nearest Monday-to-Friday date: forward if ``later``, else back."""
    while day.weekday() >= 5:
        day += dt.timedelta(days=1 if later else -1)
    return day


class HistoryGenerator:
    """The import lines and findings of every state and year, with nothing after ``now``."""

    def __init__(self, commitments: dict[str, Commitment], participants, now: dt.datetime):
        self.commitments = commitments
        self.participants = participants  # {commitment code: {state: (joined_on, left_on)}}
        self.now = now

    def state_years(self) -> Iterator[StateYear]:
        last = rules.local_date(self.commitments[REGIONAL], self.now).year
        for state in sorted(set(self.participants[REGIONAL]) & set(AREAS)):
            for year in range(FIRST_YEAR, last + 2):  # next year's early filings too
                yield StateYear(self, state, year)

    def lines(self) -> list[dict[str, Any]]:
        """Every notice as a decoded JSON line of the import format, in order of filing (so
        that references are numbered in that order)."""
        lines = []
        for state_year in self.state_years():
            for code in (REGIONAL, VIENNA):
                for line in self._notices(state_year, code):
                    if self._takes_part(code, state_year.state, line["filed_at"]):
                        lines.append(self._respond(state_year, code, line))
        lines.sort(key=lambda line: line["filed_at"])
        return [decoded for line in lines if (decoded := self._until_now(line))]

    def findings(self, organisations: list[str]) -> list[dict[str, Any]]:
        """Findings up to ``now``; the monitoring organisations take turns recording them."""
        if not organisations:
            return []
        found = [f for sy in self.state_years() if (f := sy.finding())]
        for n, finding in enumerate(found):
            finding["organisation_id"] = organisations[n % len(organisations)]
        return [f for f in found if f["recorded_at"] <= self.now]

    def _notices(self, sy: StateYear, code: str) -> Iterator[dict[str, Any]]:
        """Each notice of one state and year under one commitment, before the responses."""
        if sy.state not in self.participants.get(code, {}):
            return
        commitment = self.commitments[code]
        prefix = f"DEMO-{code}-{sy.state}-{sy.year}"
        exercises = [
            (n, e)
            for n, e in enumerate(sy.exercises, start=1)
            if code == REGIONAL or self._vienna(sy, e)
        ]
        listed = [
            e for _, e in exercises if e.in_calendar and rules.is_notifiable(commitment, e.content)
        ]
        calendar = sy.calendar(commitment, listed)
        if calendar:
            yield {"kind": "annual_calendar", "client_ref": f"{prefix}-AC", **calendar}
        plan = sy.plan(commitment)
        if plan:
            yield {"kind": "procurement_plan", "client_ref": f"{prefix}-PP", **plan}
        if commitment.procurement_notice_days is not None:
            window = commitment.procurement_notice_days
            for n, notice in enumerate(sy.procurement_notices(window), start=1):
                yield {"kind": "procurement_notice", "client_ref": f"{prefix}-PN{n}", **notice}
        for n, exercise in exercises:
            yield exercise_line(exercise, f"{prefix}-EX{n}")

    def _vienna(self, sy: StateYear, exercise: Exercise) -> bool:
        """Notifiable under VD11, or notified voluntarily there (a third of the largest)."""
        if rules.is_notifiable(self.commitments[VIENNA], exercise.content):
            return True
        largest = max(sy.exercises, key=lambda e: e.content["troops"])
        return exercise is largest and sy.rng.random() < 0.35

    def _respond(self, sy: StateYear, code: str, line: dict[str, Any]) -> dict[str, Any]:
        commitment = self.commitments[code]
        recipients = self._recipients(code, sy.state, line["filed_at"])
        versions = [line["filed_at"]] + [a["filed_at"] for a in line.get("amendments", [])]
        if line.get("cancelled"):
            versions.append(line["cancelled"]["filed_at"])
        line.update(
            state=sy.state,
            commitment=code,
            filed_by=f"{sy.state.lower()}-liaison",
            acknowledgements=sy.acknowledgements(commitment, versions, recipients),
        )
        if line["kind"] == "exercise":
            line["clarifications"] = sy.clarifications(commitment, line["filed_at"], recipients)
        return line

    def _recipients(self, code: str, state: str, at: dt.datetime) -> list[str]:
        return [
            s
            for s in sorted(self.participants[code])
            if s != state and self._takes_part(code, s, at)
        ]

    def _takes_part(self, code: str, state: str, at: dt.datetime) -> bool:
        joined, left = self.participants[code][state]
        day = rules.local_date(self.commitments[code], at)
        return joined <= day and (left is None or day < left)

    def _until_now(self, line: dict[str, Any]) -> dict[str, Any] | None:
        """The line as JSON would carry it, without anything dated after ``now``."""
        now = self.now
        if line["filed_at"] > now:
            return None
        line["amendments"] = [a for a in line.get("amendments", []) if a["filed_at"] <= now]
        if line.get("cancelled") and line["cancelled"]["filed_at"] > now:
            del line["cancelled"]
        count = 1 + len(line["amendments"]) + (1 if line.get("cancelled") else 0)
        line["acknowledgements"] = [
            a
            for a in line["acknowledgements"]
            if a["version"] <= count and a["acknowledged_at"] <= now
        ]
        line["clarifications"] = [
            answered_by(c, now) for c in line.get("clarifications", []) if c["asked_at"] <= now
        ]
        return json.loads(json.dumps(line, cls=DjangoJSONEncoder))


def answered_by(clarification: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The clarification as it stood at ``now``: unanswered if the answer came later."""
    if clarification["answered_at"] and clarification["answered_at"] > now:
        return {**clarification, "answered_at": None, "answer": ""}
    return clarification


def exercise_line(exercise: Exercise, client_ref: str) -> dict[str, Any]:
    line: dict[str, Any] = {
        "kind": "exercise",
        "client_ref": client_ref,
        "filed_at": exercise.filed_at,
        "exercise": exercise.content,
        "amendments": [dict(a) for a in exercise.amendments],
    }
    if exercise.cancelled:
        line["cancelled"] = dict(exercise.cancelled)
    return line


# --- writing it -------------------------------------------------------------------------------


def participants_by_commitment(commitments: dict[str, Commitment]) -> dict[str, dict]:
    table: dict[str, dict] = {code: {} for code in commitments}
    for p in Participation.objects.filter(commitment__code__in=commitments).order_by("joined_on"):
        table[p.commitment.code][p.state_id] = (p.joined_on, p.left_on)
    return table


@transaction.atomic
def seed_history(*, default_user, now: dt.datetime | None = None) -> Counter[str]:
    """Import the generated history; counts of ``imported``, ``present`` and ``findings``."""
    commitments = {code: Commitment.objects.get(code=code) for code in (REGIONAL, VIENNA)}
    generator = HistoryGenerator(
        commitments, participants_by_commitment(commitments), now or timezone.now()
    )
    tally: Counter[str] = Counter()
    for line in generator.lines():
        filing = import_notice(parse_line(line, default_user))
        tally["imported" if filing.created else "present"] += 1
    organisations = sorted(Organisation.objects.values_list("code", flat=True))
    for finding in generator.findings(organisations):
        tally["findings"] += record_finding(commitments[REGIONAL], finding)
    return tally


def record_finding(commitment: Commitment, finding: dict[str, Any]) -> int:
    """Have the organisation's demo monitor record the finding, once; 1 if it is new."""
    key = ("state_id", "organisation_id", "observed_from", "observed_to")
    recorded = Finding.objects.filter(
        kind=Finding.Kind.UNNOTIFIED_ACTIVITY,
        commitment=commitment,
        **{name: finding[name] for name in key},
    )
    username = f"{finding['organisation_id'].lower()}-monitor"
    monitor = get_user_model().objects.filter(username=username).first()
    if recorded.exists() or monitor is None:
        return 0
    services.record_finding(
        user=monitor,
        commitment=commitment,
        state=State.objects.get(pk=finding["state_id"]),
        kind=Finding.Kind.UNNOTIFIED_ACTIVITY,
        **{k: v for k, v in finding.items() if k not in ("state_id", "organisation_id")},
    )
    return 1
