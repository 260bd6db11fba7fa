"""The calendar page's filters: view, month, filing state, commitment, near a border."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.models import Commitment, State

from .events import Filters

MONTH_VIEW, LIST_VIEW = "month", "list"


class MonthInput(forms.DateInput):
    """The browser's month picker (YYYY-MM)."""

    input_type = "month"

    def __init__(self):
        super().__init__(format="%Y-%m")


class CalendarFilterForm(forms.Form):
    view = forms.ChoiceField(
        label=_("View"),
        choices=[(MONTH_VIEW, _("Month")), (LIST_VIEW, _("List of upcoming exercises"))],
        required=False,
        widget=forms.HiddenInput,
    )
    month = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=MonthInput(),
        help_text=_("Year and month, for example 2027-05."),
    )
    state = forms.ModelChoiceField(
        label=_("Filing state"),
        queryset=State.objects.order_by("name"),
        to_field_name="code",
        required=False,
        empty_label=_("All states"),
    )
    commitment = forms.ModelChoiceField(
        label=_("Commitment"),
        queryset=Commitment.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("All commitments"),
    )
    near_border = forms.BooleanField(label=_("Only areas near a border"), required=False)

    def __init__(self, data, *, commitments, near_border_km: float):
        super().__init__(data)
        self.fields["commitment"].queryset = commitments  # type: ignore[attr-defined]
        self.fields["near_border"].help_text = _(
            "Within %(km)s km of an international land border, or across one."
        ) % {"km": f"{near_border_km:g}"}

    def value(self, name: str):
        """A field's cleaned value (None if it was left empty or is invalid)."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name)

    @property
    def chosen_view(self) -> str:
        return self.value("view") or MONTH_VIEW

    def month_start(self, today: dt.date) -> dt.date:
        month = self.value("month")
        return (month or today).replace(day=1)

    def filters(self) -> Filters:
        state = self.value("state")
        return Filters(
            state=state.code if state else "",
            commitment=self.value("commitment"),
            near_border=bool(self.value("near_border")),
        )

    def is_filtered(self) -> bool:
        filters = self.filters()
        return bool(filters.state or filters.commitment or filters.near_border)
