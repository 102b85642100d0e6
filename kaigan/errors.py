"""The small family of errors that services raise when a business rule says no.

Views and the API turn them into a form error or a 4xx; the admin into a message.
"""

from django.core.exceptions import ValidationError


class ApplicationError(Exception):
    """A rule was broken. `message` is shown to the person; `fields` maps fields to messages."""

    status_code = 400
    code = "invalid"

    def __init__(self, message, *, fields: dict | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class InvalidTransition(ApplicationError):
    """The object is not in a state that allows this action."""

    status_code = 409
    code = "invalid_state"


class Conflict(ApplicationError):
    """A concurrent change won; try again from fresh data."""

    status_code = 409
    code = "conflict"


class NotAllowed(ApplicationError):
    """The person may see the object but not do this to it."""

    status_code = 403
    code = "permission_denied"


def error_message(exc: "ApplicationError | ValidationError") -> str:
    """One line for a person: the rule's message, or the validation messages joined."""
    if isinstance(exc, ApplicationError):
        return str(exc.message)
    return " ".join(exc.messages)
