"""Showing what a notice says: field labels, readable values, and the changes between versions.

Content arrives as the plain dicts of ``registry.notice_content``; labels and choice
labels come from the content models, so the pages name fields as the forms do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import template
from django.db import models
from django.utils.formats import date_format, number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django_countries import countries
from django_countries.fields import CountryField

from registry.models import Notice
from registry.notice_content import BOOKKEEPING_FIELDS, content_kind

register = template.Library()

EMPTY = "—"


# --- values ------------------------------------------------------------------------------


def display_value(model_field: models.Field, value: Any) -> str:
    """A stored value as a reader sees it: choice labels, country names, dates, numbers."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(model_field, CountryField):
        codes = value if isinstance(value, (list, tuple)) else [value]
        return ", ".join(str(countries.name(code) or code) for code in codes)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return _plain_value(value)


def _plain_value(value: Any) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.date):
        return date_format(value)
    if isinstance(value, (int, Decimal)):
        return number_format(value, force_grouping=True)
    if isinstance(value, list):  # a polygon: one point a line
        return "\n".join(", ".join(str(c) for c in point) for point in value)
    return str(value)


@register.filter
def grouped(value: Any) -> Any:
    """A number with thousands separators (1,500)."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return number_format(value, force_grouping=True)
    return value


@register.filter
def notice_title(notice: Notice) -> str:
    """The title of a notice's current version, from the content already loaded."""
    handler = content_kind(notice.kind)
    return handler.title(handler.as_dict(handler.load(notice.current_version)))


@register.filter
def state_names(states: Any) -> str:
    return ", ".join(str(state) for state in states) or EMPTY


# --- content as sections ------------------------------------------------------------------


def content_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.name not in BOOKKEEPING_FIELDS]


@dataclass
class Part:
    """The head of a content (one record) or its rows (a table), with the model of each."""

    model: type[models.Model]
    values: Any


def content_parts(kind: str, content: dict[str, Any]) -> tuple[Part, Part | None]:
    handler = content_kind(kind)
    if handler.head_model is None:  # a procurement notice is its single item
        assert handler.row_model is not None and handler.rows_key is not None
        return Part(handler.row_model, content.get(handler.rows_key) or {}), None
    head = {k: v for k, v in content.items() if k != handler.rows_key}
    if handler.row_model is None:
        return Part(handler.head_model, head), None
    return Part(handler.head_model, head), Part(handler.row_model, content.get(handler.rows_key))


def labelled(model: type[models.Model], values: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (capfirst(f.verbose_name), display_value(f, values.get(f.name)))
        for f in content_fields(model)
    ]


@register.inclusion_tag("registry/_content.html")
def notice_content(kind: str, content: dict[str, Any]) -> dict[str, Any]:
    """Every field of a version's content with its label; rows as a table."""
    head, rows = content_parts(kind, content)
    context: dict[str, Any] = {"head": labelled(head.model, head.values), "rows": None}
    if rows is not None:
        fields = content_fields(rows.model)
        context["rows"] = {
            "caption": rows_caption(kind),
            "columns": [capfirst(f.verbose_name) for f in fields],
            "rows": [[display_value(f, row.get(f.name)) for f in fields] for row in rows.values],
        }
    return context


def rows_caption(kind: str) -> str:
    return _("Planned activities") if kind == "annual_calendar" else _("Items")


def row_name(kind: str, number: int) -> str:
    if kind == "annual_calendar":
        return _("Activity %(n)d") % {"n": number}
    return _("Item %(n)d") % {"n": number}


# --- differences between two versions ------------------------------------------------------


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class RowChange:
    """A row added, removed or changed (rows are matched by their position)."""

    name: str
    state: str  # "added", "removed" or "changed"
    changes: list[Change] = field(default_factory=list)


def field_changes(model: type[models.Model], before: dict, after: dict) -> list[Change]:
    return [
        Change(
            capfirst(f.verbose_name),
            display_value(f, before.get(f.name)),
            display_value(f, after.get(f.name)),
        )
        for f in content_fields(model)
        if before.get(f.name) != after.get(f.name)
    ]


def row_changes(kind: str, model: type[models.Model], before: list, after: list) -> list:
    changes = []
    for index in range(max(len(before), len(after))):
        old = before[index] if index < len(before) else None
        new = after[index] if index < len(after) else None
        name = row_name(kind, index + 1)
        if old is None:
            changes.append(RowChange(name, "added", field_changes(model, {}, new)))
        elif new is None:
            changes.append(RowChange(name, "removed", field_changes(model, old, {})))
        elif fields := field_changes(model, old, new):
            changes.append(RowChange(name, "changed", fields))
    return changes


@register.inclusion_tag("registry/_diff.html")
def content_diff(
    kind: str, before: dict[str, Any], after: dict[str, Any], before_number: int, after_number: int
) -> dict[str, Any]:
    """Field by field: label, before, after; and the rows added, removed or changed."""
    old_head, old_rows = content_parts(kind, before)
    new_head, new_rows = content_parts(kind, after)
    rows = []
    if old_rows is not None and new_rows is not None:
        rows = row_changes(kind, new_rows.model, old_rows.values or [], new_rows.values or [])
    return {
        "fields": field_changes(new_head.model, old_head.values, new_head.values),
        "rows": rows,
        "before_number": before_number,
        "after_number": after_number,
    }
