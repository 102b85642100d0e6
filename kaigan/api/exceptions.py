"""One shape for every API error: `{"detail": str, "code": str, "errors": {field: [str]}}`.

Its OpenAPI description is `kaigan.api.schema.ErrorSerializer`.
"""

import logging

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.utils import OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kaigan.errors import ApplicationError

security_logger = logging.getLogger("django.security.api")


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [msg for value in detail.values() for msg in _flatten(value)]
    if isinstance(detail, list | tuple):
        return [msg for value in detail for msg in _flatten(value)]
    return [str(detail)]


def _field_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """Field → messages, one level deep: a nested field or a list item is named `a.b` / `a.0`."""
    if not isinstance(detail, dict):
        return {prefix or "non_field_errors": _flatten(detail)}
    errors: dict[str, list[str]] = {}
    for key, value in detail.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            errors.update(_field_errors(value, name))
        else:
            errors[name] = _flatten(value)
    return errors


def _django_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(
            {
                (key if key != "__all__" else "non_field_errors"): value
                for key, value in exc.message_dict.items()
            }
        )
    return exceptions.ValidationError({"non_field_errors": exc.messages})


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = _django_validation_error(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):
        # Raised while DRF parses the body (too many form fields, too large): the client's
        # fault, answered in the API's shape rather than Django's HTML 400 page.
        security_logger.warning("%s: %s", type(exc).__name__, exc)
        exc = exceptions.ParseError(str(exc) or None)

    if isinstance(exc, ApplicationError):
        errors = {key: _flatten(value) for key, value in exc.fields.items()}
        return Response(
            {"detail": str(exc.message), "code": exc.code, "errors": errors},
            status=exc.status_code,
        )
    if isinstance(exc, IntegrityError):
        return Response(
            {
                "detail": _(
                    "This conflicts with a change made at the same time. Reload and retry."
                ),
                "code": "conflict",
                "errors": {},
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, OperationalError) and "lock timeout" in str(exc).lower():
        return Response(
            {"detail": _("The record is busy. Please retry."), "code": "busy", "errors": {}},
            status=status.HTTP_409_CONFLICT,
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        response.data = {
            "detail": _("Some fields are not valid."),
            "code": "invalid",
            "errors": errors,
        }
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        codes = exc.get_codes()
        response.data = {
            "detail": " ".join(_flatten(detail)),
            "code": codes if isinstance(codes, str) else "error",
            "errors": {},
        }
    return response
