"""Helpers shared by the browser forms."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_noop

from kaigan.errors import ApplicationError

# Django 6.1's empty choice of every select (BLANK_CHOICE_LABEL); its own zh_Hans catalog has
# no translation for it yet, ours does (locale/).
gettext_noop("- Select an option -")


def add_service_errors(form, exc: ValidationError | ApplicationError) -> None:
    """Show a service's refusal on the form, field by field where it names fields."""
    if isinstance(exc, ApplicationError):
        if exc.fields:
            for field, messages in exc.fields.items():
                for message in messages if isinstance(messages, list | tuple) else [messages]:
                    form.add_error(field if field in form.fields else None, message)
        else:
            form.add_error(None, exc.message)
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


class Textarea(forms.Textarea):
    """A textarea whose line breaks count as one character, as the browser counts them for
    `maxlength`: browsers send them as CR LF, so a text the browser let through at its limit
    was refused as too long by `max_length` (and lost)."""

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value


class DateInput(forms.DateInput):
    """A browser date picker: its value is always ISO (YYYY-MM-DD), whatever the language;
    Chinese formatting (2026/12/29) left it empty and the form unsendable."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
