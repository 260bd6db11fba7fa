"""Content and filings for tests, with sensible defaults that each test overrides."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from registry import rules, services
from registry.models import Commitment

_refs = itertools.count(1)

POLYGON = [[20.40, 44.70], [20.60, 44.70], [20.60, 44.85], [20.40, 44.85]]


def local_today(commitment: Commitment) -> dt.date:
    return rules.local_date(commitment, timezone.now())


def exercise(start: dt.date | None = None, **overrides: Any) -> dict[str, Any]:
    """Content of an exercise (model field names), starting in 60 days by default."""
    start = start or timezone.localdate() + dt.timedelta(days=60)
    content = {
        "name": "Steadfast Resolve",
        "activity_type": "field_training",
        "purpose": "Brigade field training",
        "command_level": "brigade",
        "start_date": start,
        "end_date": start + dt.timedelta(days=6),
        "area_description": "Pasuljanske livade training area",
        "area_polygon": POLYGON,
        "troops": 1200,
        "participating_states": ["RS"],
    }
    content.update(overrides)
    return content


def procurement_item(**overrides: Any) -> dict[str, Any]:
    item = {
        "category": "II",
        "system": "Lazar 3 APC",
        "quantity": 12,
        "supplier_state": "",
        "mode": "national_production",
        "contract_date": timezone.localdate() - dt.timedelta(days=5),
        "delivery_start": None,
        "delivery_end": None,
        "value_eur": None,
    }
    item.update(overrides)
    return item


def procurement_plan(plan_year: int, items: list[dict] | None = None, **overrides: Any) -> dict:
    return {
        "plan_year": plan_year,
        "items": items if items is not None else [procurement_item()],
        **overrides,
    }


def calendar_entry(year: int, **overrides: Any) -> dict[str, Any]:
    entry = {
        "name": "Spring Shield",
        "activity_type": "field_training",
        "start_window_from": dt.date(year, 4, 1),
        "start_window_to": dt.date(year, 4, 30),
        "duration_days": 7,
        "troops": 2000,
    }
    entry.update(overrides)
    return entry


def annual_calendar(year: int, entries: list[dict] | None = None, nil: bool = False) -> dict:
    if entries is None:
        entries = [] if nil else [calendar_entry(year)]
    return {"year": year, "nil": nil, "entries": entries}


def file(user, commitment: Commitment, kind: str, content: dict, client_ref: str | None = None):
    return services.file_notice(
        user=user,
        commitment=commitment,
        kind=kind,
        client_ref=client_ref or f"test-{next(_refs)}",
        content=content,
    )


def file_exercise(user, commitment: Commitment, **overrides: Any):
    return file(user, commitment, "exercise", exercise(**overrides))
