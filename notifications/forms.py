"""Forms of the notifications pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import Delivery


class AcknowledgementForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ClarificationForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    question = forms.CharField(
        label=_("Your question"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The filing state must answer within the commitment's deadline."),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6})
    )


INBOX_FILTERS = [
    ("", _("All")),
    ("new", _("Not yet acknowledged")),
    ("overdue", _("Overdue")),
    ("acknowledged", _("Acknowledged")),
]


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Show"), choices=INBOX_FILTERS, required=False)


class ReplaySinceForm(forms.Form):
    since = forms.DateTimeField(
        label=_("Replay every delivery made since"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Failed or held")), *Delivery.Status.choices],
    )
