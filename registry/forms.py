"""Web forms: one editor per kind of notice, built from the content models.

The field rules (required, ranges, choices, cross-field checks) come from the models in
``registry.models.content`` through ``ModelForm``; an editor turns its forms into the
content dict that ``registry.notice_content`` reads, keyed by model field names, and puts
the errors a service reports back on the fields they name. ``EDITORS`` maps a kind to its
editor, as ``CONTENT_KINDS`` does for content.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import DateField, Exists, F, Model, OuterRef, Q, QuerySet, TextField
from django.db.models import Field as ModelField
from django.forms.formsets import BaseFormSet, formset_factory
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from registry.models import (
    AnnualCalendarDetails,
    CalendarEntry,
    Commitment,
    ExerciseDetails,
    Notice,
    ProcurementItem,
    ProcurementPlanDetails,
    State,
)
from registry.notice_content import BOOKKEEPING_FIELDS
from registry.services import MAX_REASON_LENGTH
from registry.vocabulary import NoticeKind, NoticeStatus

# --- widgets and fields ----------------------------------------------------------------


class DateInput(forms.DateInput):
    """The browser's date picker; the value travels as an ISO date."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None):
        super().__init__(attrs, format="%Y-%m-%d")


POINT_SEPARATORS = re.compile(r"[,;\s]+")


class PolygonField(forms.Field):
    """A polygon typed as one "longitude, latitude" pair a line.

    It only parses the text into ``[[lon, lat], …]``; the model's ``validate_polygon``
    judges the number of points and their ranges.
    """

    widget = forms.Textarea(attrs={"rows": 5, "spellcheck": "false"})

    def to_python(self, value: Any) -> list[list[float]] | None:
        if value in self.empty_values:
            return None
        if isinstance(value, list):
            return value
        lines = [line.strip() for line in str(value).splitlines()]
        return [self._point(number, line) for number, line in enumerate(lines, 1) if line]

    @staticmethod
    def _point(number: int, line: str) -> list[float]:
        parts = [part for part in POINT_SEPARATORS.split(line) if part]
        try:
            if len(parts) != 2:
                raise ValueError(line)
            return [float(parts[0]), float(parts[1])]
        except ValueError as exc:
            raise ValidationError(
                _("Line %(n)d: write two numbers, “longitude, latitude”."),
                code="invalid_point",
                params={"n": number},
            ) from exc

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(", ".join(str(c) for c in _as_list(point)) for point in value)
        return value


def content_field_names(model: type[Model]) -> list[str]:
    """What a notice says in ``model``: every field but those tying a row to its version."""
    return [f.name for f in model._meta.concrete_fields if f.name not in BOOKKEEPING_FIELDS]


# --- content forms: one ModelForm per content model -------------------------------------


def content_formfield(model_field: ModelField, **kwargs: Any) -> forms.Field | None:
    """The model's own form field, with the browser's date picker and short text areas."""
    if isinstance(model_field, DateField):
        kwargs.setdefault("widget", DateInput())
    elif isinstance(model_field, TextField):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
    return model_field.formfield(**kwargs)


class ContentMeta:
    """The ``Meta`` every content form extends: Django reads ``formfield_callback`` only
    from ``Meta``, so dates get the browser's date picker and text fields short areas."""

    formfield_callback = content_formfield


class ContentForm(forms.ModelForm):
    """A content model's form. ``groups`` lays its fields out in fieldsets."""

    #: (legend, space-separated field names) of each fieldset
    groups: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            choices = list(getattr(field, "choices", None) or [])
            if choices and choices[0][0] == "" and not isinstance(field.widget, forms.RadioSelect):
                field.choices = [("", _("Choose…")), *choices[1:]]

    def grouped_fields(self) -> list[tuple[str, list[forms.BoundField]]]:
        if not self.groups:
            return [("", list(self))]
        return [(legend, [self[name] for name in names.split()]) for legend, names in self.groups]


class ExerciseForm(ContentForm):
    area_polygon = PolygonField(
        label=capfirst(ExerciseDetails._meta.get_field("area_polygon").verbose_name),
        help_text=_(
            "One point a line: longitude, latitude in degrees (for example 20.45, 44.78). "
            "At least three points."
        ),
    )

    groups = [
        (_("The activity"), "name activity_type purpose command_level participating_states"),
        (_("Dates"), "start_date end_date without_advance_notice"),
        (_("Location"), "area_description area_polygon"),
        (
            _("Forces and equipment"),
            "troops battle_tanks acv artillery helicopters fixed_wing_sorties "
            "airborne_amphibious_troops",
        ),
        (_("Observation and calendar"), "observers_invited calendar_changes"),
    ]

    class Meta(ContentMeta):
        model = ExerciseDetails
        fields = content_field_names(ExerciseDetails)
        widgets = {"participating_states": forms.SelectMultiple(attrs={"size": 8})}
        help_texts = {
            "participating_states": _("Select several with Ctrl (Cmd on a Mac)."),
            "without_advance_notice": _("A snap exercise: notified when the troops begin."),
        }


class ProcurementItemForm(ContentForm):
    class Meta(ContentMeta):
        model = ProcurementItem
        fields = content_field_names(ProcurementItem)


class ProcurementPlanForm(ContentForm):
    class Meta(ContentMeta):
        model = ProcurementPlanDetails
        fields = content_field_names(ProcurementPlanDetails)


class AnnualCalendarForm(ContentForm):
    class Meta(ContentMeta):
        model = AnnualCalendarDetails
        fields = content_field_names(AnnualCalendarDetails)
        help_texts = {"nil": _("Tick it, and add no activity, if none is planned.")}


class CalendarEntryForm(ContentForm):
    class Meta(ContentMeta):
        model = CalendarEntry
        fields = content_field_names(CalendarEntry)


class RowFormSet(BaseFormSet):
    """Rows of a content: blank rows are skipped, ticked rows are left out."""

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this row")


def row_formset(form_class: type[forms.Form]) -> type[BaseFormSet]:
    """Rows that can be added and removed; two blank rows let a user without JS add some."""
    limit = settings.REGISTRY_MAX_CONTENT_ROWS
    return formset_factory(
        form_class,
        formset=RowFormSet,
        extra=2,
        can_delete=True,
        max_num=limit,
        validate_max=True,
        absolute_max=limit,
    )


ProcurementItemFormSet = row_formset(ProcurementItemForm)
CalendarEntryFormSet = row_formset(CalendarEntryForm)


# --- editors: the whole form of one kind ------------------------------------------------


class NoticeEditor:
    """The form of one kind of notice: a head form and, for some kinds, a formset of rows.

    ``content()`` gives the dict a service takes; ``add_service_errors()`` puts the errors
    of a ``RegistryError`` back on the inputs; ``assessable_content()`` gives what the
    rules need to assess the notice before it is complete.
    """

    kind: ClassVar[str]
    head_form_class: ClassVar[type[ContentForm]]
    rows_formset_class: ClassVar[type[BaseFormSet] | None] = None
    rows_key: ClassVar[str | None] = None
    rows_legend: ClassVar[str] = ""
    row_label: ClassVar[str] = ""
    #: the head field without which the rules cannot assess the notice
    assessment_needs: ClassVar[str]

    def __init__(self, data: Mapping | None = None, content: Mapping[str, Any] | None = None):
        content = content or {}
        self.head = self.head_form_class(data, initial=self.head_initial(content))
        self.rows: BaseFormSet | None = None
        if self.rows_formset_class is not None:
            initial = list(content.get(self.rows_key or "") or [])
            self.rows = self.rows_formset_class(data, initial=initial or None, prefix=self.rows_key)
            self.rows.extra = 1 if initial else 2
        self.errors: list[str] = []
        self.rows_errors: list[str] = []
        self._row_forms: list[forms.Form] = []

    def head_initial(self, content: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in content.items() if k != self.rows_key}

    def is_valid(self) -> bool:
        head_valid = self.head.is_valid()
        rows_valid = self.rows is None or self.rows.is_valid()
        return head_valid and rows_valid

    def content(self) -> dict[str, Any]:
        """The content dict, keyed by model field names (call after ``is_valid()``)."""
        data = self.head_values()
        if self.rows is not None and self.rows_key:
            self._row_forms = [
                form
                for form in self.rows.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")
            ]
            data[self.rows_key] = [field_values(form) for form in self._row_forms]
        return data

    def head_values(self) -> dict[str, Any]:
        return field_values(self.head)

    def assessable_content(self) -> dict[str, Any] | None:
        """The valid part of the head, or ``None`` if the rules cannot assess it yet."""
        values = self.head_values()
        return values if values.get(self.assessment_needs) is not None else None

    @property
    def assessment_needs_label(self) -> str:
        return str(self.head[self.assessment_needs].label)

    def add_service_errors(self, errors: Any) -> None:
        """Attach a service's content errors (field -> messages, rows as lists) to inputs."""
        if not isinstance(errors, Mapping):
            self.errors += [str(message) for message in _as_list(errors)]
            return
        for name, messages in errors.items():
            if name == self.rows_key:
                self._add_rows_errors(messages)
            else:
                _add_form_error(self.head, name, messages)

    def _add_rows_errors(self, errors: Any) -> None:
        if not isinstance(errors, list) or not all(isinstance(e, Mapping) for e in errors):
            self.rows_errors += [str(message) for message in _as_list(errors)]
            return
        for form, row_errors in zip(self._row_forms, errors, strict=False):
            for name, messages in row_errors.items():
                _add_form_error(form, name, messages)


def field_values(form: forms.Form) -> dict[str, Any]:
    """A form's valid values by model field name (the formset's DELETE flag left out)."""
    cleaned = getattr(form, "cleaned_data", {})
    return {name: cleaned[name] for name in form.fields if name != "DELETE" and name in cleaned}


def _as_list(errors: Any) -> list:
    return list(errors) if isinstance(errors, (list, tuple)) else [errors]


def _add_form_error(form: forms.Form, name: str, messages: Any) -> None:
    if isinstance(messages, Mapping):  # a nested object: flatten it onto this form
        for inner_name, inner in messages.items():
            _add_form_error(form, inner_name, inner)
        return
    field = name if name in form.fields else None
    form.add_error(field, [str(message) for message in _as_list(messages)])


class ExerciseEditor(NoticeEditor):
    kind = NoticeKind.EXERCISE
    head_form_class = ExerciseForm
    assessment_needs = "start_date"


class ProcurementPlanEditor(NoticeEditor):
    kind = NoticeKind.PROCUREMENT_PLAN
    head_form_class = ProcurementPlanForm
    rows_formset_class = ProcurementItemFormSet
    rows_key = "items"
    rows_legend = _("Items")
    row_label = _("Item")
    assessment_needs = "plan_year"


class ProcurementNoticeEditor(NoticeEditor):
    """One contract: the head form is the item itself, sent as ``{"item": {...}}``."""

    kind = NoticeKind.PROCUREMENT_NOTICE
    head_form_class = ProcurementItemForm
    assessment_needs = "contract_date"

    def head_initial(self, content: Mapping[str, Any]) -> dict[str, Any]:
        return dict(content.get("item") or {})

    def content(self) -> dict[str, Any]:
        return {"item": self.head_values()}

    def assessable_content(self) -> dict[str, Any] | None:
        item = super().assessable_content()
        return None if item is None else {"item": item}

    def add_service_errors(self, errors: Any) -> None:
        # The item's errors name the head form's own fields.
        if isinstance(errors, Mapping) and "item" in errors:
            errors = errors["item"]
        super().add_service_errors(errors)


class AnnualCalendarEditor(NoticeEditor):
    kind = NoticeKind.ANNUAL_CALENDAR
    head_form_class = AnnualCalendarForm
    rows_formset_class = CalendarEntryFormSet
    rows_key = "entries"
    rows_legend = _("Planned activities")
    row_label = _("Activity")
    assessment_needs = "year"


EDITORS: dict[str, type[NoticeEditor]] = {
    editor.kind: editor
    for editor in (
        ExerciseEditor,
        ProcurementPlanEditor,
        ProcurementNoticeEditor,
        AnnualCalendarEditor,
    )
}


# --- the other forms of the filing pages -------------------------------------------------


class FilingForm(forms.Form):
    """The client reference that makes a double submission file the notice once."""

    client_ref = forms.CharField(
        widget=forms.HiddenInput, max_length=100, initial=lambda: str(uuid.uuid4())
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the amendment"),
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Counterpart states and monitors read it in the version history."),
    )


class CancellationForm(ReasonForm):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = _("Reason for the cancellation")


class CommitmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Commitment) -> str:
        return f"{obj.code}: {obj.name}"


class ChooseNoticeForm(forms.Form):
    """What to file: under which commitment, and which kind of notice."""

    commitment = CommitmentChoiceField(
        label=_("Commitment"),
        queryset=Commitment.objects.none(),
        to_field_name="code",
        widget=forms.RadioSelect,
        empty_label=None,
    )
    kind = forms.ChoiceField(
        label=_("Kind of notice"), choices=NoticeKind.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, commitments: QuerySet[Commitment], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["commitment"].queryset = commitments


# --- the notice list's filters ----------------------------------------------------------

#: Sort keys of the notice list and the columns they order by.
SORTS = {
    "reference": "reference",
    "filed": "first_filed_at",
    "start": "current_version__exercise__start_date",
    "status": "status",
}
DEFAULT_SORT = "-filed"
#: Filters of the notice list and the lookups they make.
FILTER_LOOKUPS = {
    "state": "state_id",
    "commitment": "commitment__code",
    "kind": "kind",
    "status": "status",
    "year": "year",
}


def _blank(label: str, choices: Any) -> list[tuple[str, str]]:
    return [("", label), *choices]


class NoticeFilterForm(forms.Form):
    """Filters, search and sort of the notice list (a GET form; bad values are ignored)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Reference, title, or an exercise's area."),
    )
    state = forms.ChoiceField(label=_("Filing state"), required=False)
    commitment = forms.ChoiceField(label=_("Commitment"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_blank(_("All kinds"), NoticeKind.choices)
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_blank(_("All"), NoticeStatus.choices)
    )
    year = forms.IntegerField(label=_("Year filed"), required=False, min_value=1990, max_value=2100)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, commitments: QuerySet[Commitment], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = _blank(
            _("All states"), [(s.code, str(s)) for s in State.objects.all()]
        )
        self.fields["commitment"].choices = _blank(
            _("All commitments"), [(c.code, c.code) for c in commitments]
        )

    def value(self, name: str) -> Any:
        """The cleaned value of a filter, or ``None`` if it is unset or invalid."""
        if not self.is_valid() and (not self.is_bound or name in self.errors):
            return None
        return self.cleaned_data.get(name) or None

    @property
    def sort_key(self) -> str:
        sort = self.value("sort") or DEFAULT_SORT
        return sort if sort.lstrip("-") in SORTS else DEFAULT_SORT

    def is_filtered(self) -> bool:
        return any(self.value(name) for name in ("q", *FILTER_LOOKUPS))

    def apply(self, notices: QuerySet[Notice]) -> QuerySet[Notice]:
        for name, lookup in FILTER_LOOKUPS.items():
            if self.value(name) is not None:
                notices = notices.filter(**{lookup: self.value(name)})
        if self.value("q"):
            notices = notices.filter(search_condition(self.value("q")))
        return notices.order_by(self._ordering(), "-id")

    def _ordering(self) -> Any:
        key = self.sort_key
        column = F(SORTS[key.lstrip("-")])
        return column.desc(nulls_last=True) if key.startswith("-") else column.asc(nulls_last=True)


def search_condition(text: str) -> Q:
    """Reference, exercise name or area, procurement system or calendar activity containing
    ``text``."""
    items = ProcurementItem.objects.filter(
        version=OuterRef("current_version"), system__icontains=text
    )
    entries = CalendarEntry.objects.filter(
        version=OuterRef("current_version"), name__icontains=text
    )
    return (
        Q(reference__icontains=text)
        | Q(current_version__exercise__name__icontains=text)
        | Q(current_version__exercise__area_description__icontains=text)
        | Exists(items)
        | Exists(entries)
    )
