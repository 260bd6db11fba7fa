"""Forms of the compliance pages: the period shown, and a monitor's finding."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.forms import PolygonField
from registry.models import Commitment, Finding, Notice, State

YEARS = range(2011, 2101)


def year_field(label, initial=None) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, coerce=int, choices=[(y, y) for y in YEARS], initial=initial
    )


class PeriodForm(forms.Form):
    commitment = forms.ModelChoiceField(
        label=_("Commitment"),
        queryset=Commitment.objects.none(),
        to_field_name="code",
        empty_label=None,
    )
    year = year_field(_("Year"))

    def __init__(self, data=None, *, commitments, default_year: int | None = None):
        super().__init__(data)
        self.fields["commitment"].queryset = commitments
        self.fields["year"].initial = default_year or timezone.localdate().year

    def period(self, commitments) -> tuple[Commitment | None, int]:
        """The commitment and year asked for; ``None`` for a commitment the user may not see."""
        if self.is_valid():
            return self.cleaned_data["commitment"], self.cleaned_data["year"]
        if self.is_bound and self.data.get("commitment") and "commitment" in self.errors:
            return None, self.fields["year"].initial
        return commitments.first(), self.fields["year"].initial


class TrendForm(PeriodForm):
    first_year = year_field(_("From"))
    year = year_field(_("To"))

    def __init__(self, data=None, *, commitments, default_year: int | None = None):
        super().__init__(data, commitments=commitments, default_year=default_year)
        self.fields["first_year"].initial = self.fields["year"].initial - 3

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_year"), cleaned.get("year")
        if first and last and not 0 <= last - first < 20:
            raise forms.ValidationError(_("Choose from 1 to 20 years, the first before the last."))
        return cleaned


class ExportForm(forms.Form):
    commitment = forms.ModelChoiceField(queryset=Commitment.objects.all(), to_field_name="code")
    first_year = year_field(_("From"))
    last_year = year_field(_("To"))
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("pdf", "PDF")])
    state = forms.ModelChoiceField(
        queryset=State.objects.all(), to_field_name="code", required=False
    )


class FindingForm(forms.ModelForm):
    """A monitor's finding: an unnotified activity (dates, area, size, sources) or a note."""

    notice_reference = forms.CharField(
        label=_("Notice reference"),
        required=False,
        max_length=24,
        help_text=_("For a note on a notice, e.g. RS-2026-EX-0007."),
    )
    area_polygon = PolygonField(required=False)

    class Meta:
        model = Finding
        fields = [
            "commitment",
            "state",
            "kind",
            "observed_from",
            "observed_to",
            "area_description",
            "area_polygon",
            "estimated_troops",
            "estimated_battle_tanks",
            "estimated_acv",
            "estimated_artillery",
            "sources",
            "note",
        ]
        labels = {"commitment": _("Commitment"), "state": _("State"), "kind": _("Kind")}
        widgets = {
            "observed_from": forms.DateInput(attrs={"type": "date"}),
            "observed_to": forms.DateInput(attrs={"type": "date"}),
            "area_description": forms.Textarea(attrs={"rows": 2}),
            "sources": forms.Textarea(attrs={"rows": 3}),
            "note": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, commitments, visible_notices, **kwargs):
        super().__init__(*args, **kwargs)
        self.visible_notices = visible_notices
        self.fields["commitment"].queryset = commitments
        self.fields["kind"].choices = [
            (Finding.Kind.UNNOTIFIED_ACTIVITY, Finding.Kind.UNNOTIFIED_ACTIVITY.label),
            (Finding.Kind.NOTE, Finding.Kind.NOTE.label),
        ]

    def clean_notice_reference(self) -> Notice | None:
        reference = self.cleaned_data["notice_reference"].strip().upper()
        if not reference:
            return None
        notice = self.visible_notices.filter(reference=reference).first()
        if notice is None:
            raise forms.ValidationError(_("No notice with this reference among those you may see."))
        return notice
