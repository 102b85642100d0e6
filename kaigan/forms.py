"""Helpers shared by the browser forms."""

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
