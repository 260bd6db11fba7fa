"""The error summary at the top of a form page: every error, each linked to its input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms, template

register = template.Library()


@dataclass(frozen=True)
class ErrorLink:
    """One line of an error summary: what is wrong and the id of the input to fix."""

    label: str
    message: str
    anchor: str


def form_error_links(form: forms.Form, prefix: str = "", anchor: str = "") -> list[ErrorLink]:
    links = [ErrorLink(prefix, str(message), anchor) for message in form.non_field_errors()]
    for name, messages in form.errors.items():
        if name == forms.forms.NON_FIELD_ERRORS:
            continue
        field = form[name]
        label = f"{prefix}: {field.label}" if prefix else str(field.label)
        target = field.id_for_label or field.auto_id or anchor
        links += [ErrorLink(label, str(message), target) for message in messages]
    return links


def editor_error_links(editor: Any, anchor: str) -> list[ErrorLink]:
    """The errors of a notice editor (``registry.forms.NoticeEditor``): head, then rows."""
    links = [ErrorLink("", message, anchor) for message in editor.errors]
    links += form_error_links(editor.head, anchor=anchor)
    if editor.rows is not None:
        section = f"{editor.rows_key}-section"
        rows_errors = [*editor.rows.non_form_errors(), *editor.rows_errors]
        links += [ErrorLink(str(editor.rows_legend), str(m), section) for m in rows_errors]
        for number, form in enumerate(editor.rows.forms, 1):
            links += form_error_links(form, f"{editor.row_label} {number}", section)
    return links


@register.inclusion_tag("registry/_error_summary.html")
def error_summary(editor: Any, *other_forms: Any, message: str = "") -> dict[str, Any]:
    """``{% error_summary editor filing_form reason_form message=service_error %}``."""
    anchor = "notice-form"
    links = editor_error_links(editor, anchor) if editor.head.is_bound else []
    for form in other_forms:
        if form is not None and form.is_bound:
            links += form_error_links(form, anchor=anchor)
    return {"error_links": links, "service_error": message}
