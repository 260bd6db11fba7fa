"""The typed content of a notice version: build it from input, check it, save it, load it.

Content travels through the registry as a plain dict keyed by model field names, the
shape the API's kind object validates into (``{"name": …, "start_date": …}`` for an
exercise, ``{"plan_year": …, "items": […]}`` for a procurement plan). One small class
per kind knows its models; ``CONTENT_KINDS`` maps a kind to its class.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django_countries.fields import Country, MultipleCountriesDescriptor

from registry.models import (
    AnnualCalendarDetails,
    CalendarEntry,
    ExerciseDetails,
    NoticeVersion,
    ProcurementItem,
    ProcurementPlanDetails,
)
from registry.vocabulary import NoticeKind

#: Fields that tie a content row to its version; they are not part of what a notice says.
BOOKKEEPING_FIELDS = {"id", "version", "position"}


class ContentError(Exception):
    """Content that breaks a field or cross-field rule; ``errors`` maps fields to messages."""

    def __init__(self, errors: dict[str, Any]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class Content:
    """The rows of one version's content: an optional head row and a list of rows."""

    head: models.Model | None = None
    rows: list[models.Model] = field(default_factory=list)


def field_values(instance: models.Model) -> dict[str, Any]:
    """A row's content fields as plain values, normalised as the database gives them back.

    Country codes rather than ``Country`` objects, several countries sorted and once each,
    decimals to their field's places: the content of a row just built equals the content of
    the same row read back, so digests, "changes nothing" checks and the log agree.
    """
    values = {}
    for model_field in instance._meta.concrete_fields:
        if model_field.name in BOOKKEEPING_FIELDS:
            continue
        values[model_field.name] = _plain(model_field, getattr(instance, model_field.name))
    return values


def _plain(model_field: models.Field, value: Any) -> Any:
    if isinstance(value, Country):
        return value.code or ""
    if isinstance(value, MultipleCountriesDescriptor):
        return sorted({country.code for country in value})
    if isinstance(value, Decimal) and isinstance(model_field, models.DecimalField):
        return value.quantize(Decimal(1).scaleb(-model_field.decimal_places))
    return value


def shape_errors(model: type[models.Model], data: Any) -> dict[str, list[str]]:
    """Errors of content that is not the model's fields as JSON gives them: not an object,
    unknown fields, or text with NUL characters (which PostgreSQL refuses to store)."""
    if not isinstance(data, Mapping):
        return {"non_field_errors": [_("Give an object of fields.")]}
    known = {f.name for f in model._meta.concrete_fields} - BOOKKEEPING_FIELDS
    errors = {str(name): [_("Unknown field.")] for name in data if name not in known}
    for name, value in data.items():
        if has_nul(value):
            errors[str(name)] = [_("Null characters are not allowed.")]
    return errors


def wrong_types(instance: models.Model) -> dict[str, list[str]]:
    """Fields whose value is of a type their conversion chokes on (a TypeError or ValueError
    rather than a ValidationError: a list for a date, say)."""
    errors = {}
    for model_field in instance._meta.concrete_fields:
        if model_field.is_relation or model_field.name in BOOKKEEPING_FIELDS:
            continue
        try:
            model_field.to_python(getattr(instance, model_field.attname))
        except ValidationError:
            continue  # full_clean names it, with its own message
        except (TypeError, ValueError, OverflowError):
            errors[model_field.name] = [_("Not a valid value.")]
    return errors


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    if isinstance(value, Mapping):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    return False


def full_clean_errors(instance: models.Model) -> dict[str, list[str]]:
    """Field and cross-field errors of an unsaved row (database constraints back them up)."""
    if wrong := wrong_types(instance):
        return wrong
    try:
        instance.full_clean(exclude=["version"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return exc.message_dict
    return {}


class ContentKind(ABC):
    """How one kind of notice stores its content: a head model and/or a list of rows."""

    kind: ClassVar[str]
    head_model: ClassVar[type[models.Model] | None] = None
    head_related: ClassVar[str | None] = None
    row_model: ClassVar[type[models.Model] | None] = None
    rows_related: ClassVar[str | None] = None
    rows_key: ClassVar[str | None] = None

    def build(self, data: Mapping[str, Any]) -> Content:
        """Unsaved rows for ``data``; raises ``ContentError`` naming every bad field."""
        errors: dict[str, Any] = {}
        content = Content()
        if not isinstance(data, Mapping):
            raise ContentError({"non_field_errors": [_("Give an object of fields.")]})
        head_data = {k: v for k, v in data.items() if k != self.rows_key}
        if self.head_model is not None:
            if shape := shape_errors(self.head_model, head_data):
                raise ContentError(shape)
            content.head = self.head_model(**head_data)
            errors.update(full_clean_errors(content.head))
        elif head_data:  # a kind without a head holds its rows' key alone
            raise ContentError({str(name): [_("Unknown field.")] for name in head_data})
        if self.row_model is not None:
            errors.update(self._build_rows(content, self.raw_rows(data)))
        errors.update(self.check(content))
        if errors:
            raise ContentError(errors)
        return content

    def _build_rows(self, content: Content, raw_rows: list[Mapping[str, Any]]) -> dict[str, Any]:
        assert self.row_model is not None and self.rows_key is not None
        limit = settings.REGISTRY_MAX_CONTENT_ROWS
        if len(raw_rows) > limit:
            return {self.rows_key: [_("At most %(limit)d rows.") % {"limit": limit}]}
        row_errors = []
        for position, row_data in enumerate(raw_rows, start=1):
            if shape := shape_errors(self.row_model, row_data):
                row_errors.append(shape)
                continue
            row = self.row_model(position=position, **row_data)
            content.rows.append(row)
            row_errors.append(full_clean_errors(row))
        return {self.rows_key: row_errors} if any(row_errors) else {}

    def raw_rows(self, data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        rows = data.get(self.rows_key or "", []) or []
        if not isinstance(rows, list):
            raise ContentError({self.rows_key: [_("Give a list of rows.")]})
        return rows

    def check(self, content: Content) -> dict[str, Any]:
        """Rules across the whole content of this kind; none by default."""
        return {}

    def save(self, version: NoticeVersion, content: Content) -> None:
        if content.head is not None:
            content.head.version = version
            content.head.save(force_insert=True)
        if content.rows:
            for row in content.rows:
                row.version = version
            type(content.rows[0]).objects.bulk_create(content.rows)

    def load(self, version: NoticeVersion) -> Content:
        head = getattr(version, self.head_related) if self.head_related else None
        rows = list(getattr(version, self.rows_related).all()) if self.rows_related else []
        return Content(head=head, rows=rows)

    def as_dict(self, content: Content) -> dict[str, Any]:
        data = field_values(content.head) if content.head is not None else {}
        if self.rows_key:
            data[self.rows_key] = [field_values(row) for row in content.rows]
        return data

    @abstractmethod
    def title(self, data: Mapping[str, Any]) -> str:
        """A short human title of the content, for lists and pages."""


class ExerciseContent(ContentKind):
    kind = NoticeKind.EXERCISE
    head_model = ExerciseDetails
    head_related = "exercise"

    def title(self, data: Mapping[str, Any]) -> str:
        return str(data["name"])


class ProcurementPlanContent(ContentKind):
    kind = NoticeKind.PROCUREMENT_PLAN
    head_model = ProcurementPlanDetails
    head_related = "procurement_plan"
    row_model = ProcurementItem
    rows_related = "items"
    rows_key = "items"

    def title(self, data: Mapping[str, Any]) -> str:
        return _("Procurement plan %(year)s") % {"year": data["plan_year"]}


class ProcurementNoticeContent(ContentKind):
    """One contract: a single ``item``, whose contract date starts the notice's deadline."""

    kind = NoticeKind.PROCUREMENT_NOTICE
    row_model = ProcurementItem
    rows_related = "items"
    rows_key = "item"

    def raw_rows(self, data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return [data["item"]] if data.get("item") is not None else []

    def _build_rows(self, content: Content, raw_rows: list[Mapping[str, Any]]) -> dict[str, Any]:
        errors = super()._build_rows(content, raw_rows)
        return {"item": errors["item"][0]} if errors else {}

    def check(self, content: Content) -> dict[str, Any]:
        if not content.rows:
            return {"item": [_("Give the contract's item.")]}
        item = content.rows[0]
        if item.contract_date is None:  # type: ignore[attr-defined]
            return {"item": {"contract_date": [_("A procurement notice needs the contract date.")]}}
        return {}

    def as_dict(self, content: Content) -> dict[str, Any]:
        return {"item": field_values(content.rows[0])}

    def title(self, data: Mapping[str, Any]) -> str:
        item = data["item"]
        return f"{item['system']} ({item['quantity']})"


class AnnualCalendarContent(ContentKind):
    kind = NoticeKind.ANNUAL_CALENDAR
    head_model = AnnualCalendarDetails
    head_related = "annual_calendar"
    row_model = CalendarEntry
    rows_related = "calendar_entries"
    rows_key = "entries"

    def check(self, content: Content) -> dict[str, Any]:
        nil = content.head.nil  # type: ignore[union-attr]
        if nil and content.rows:
            return {"entries": [_("A nil calendar has no entries.")]}
        if not nil and not content.rows:
            return {"entries": [_("Give at least one planned activity, or file a nil calendar.")]}
        return {}

    def title(self, data: Mapping[str, Any]) -> str:
        if data.get("nil"):
            return _("Annual calendar %(year)s (nil)") % {"year": data["year"]}
        return _("Annual calendar %(year)s") % {"year": data["year"]}


CONTENT_KINDS: dict[str, ContentKind] = {
    kind_class.kind: kind_class()
    for kind_class in (
        ExerciseContent,
        ProcurementPlanContent,
        ProcurementNoticeContent,
        AnnualCalendarContent,
    )
}


def content_kind(kind: str) -> ContentKind:
    return CONTENT_KINDS[kind]


def version_content(version: NoticeVersion, kind: str | None = None) -> dict[str, Any]:
    """What a saved version says, as a content dict (give ``kind`` to spare a query)."""
    handler = content_kind(kind or version.notice.kind)
    return handler.as_dict(handler.load(version))


def version_title(version: NoticeVersion) -> str:
    return content_kind(version.notice.kind).title(version_content(version))


def content_prefetches() -> Iterable[str]:
    """Lookups that load every kind's content of many versions in a fixed number of queries."""
    return ("items", "calendar_entries")


def content_select_related() -> tuple[str, ...]:
    return ("exercise", "procurement_plan", "annual_calendar")
