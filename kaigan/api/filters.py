"""Filters shared by the API's lists."""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, compared in UTC.

    Python accepts UTC offsets up to ±23:59 but PostgreSQL only up to ±15:59, so an offset such
    as +20:46 would fail in the query; in UTC every offset the parser accepts is fine. A value
    that leaves the years 1–9999 once in UTC is a validation error, not an overflow.
    """

    default_error_messages = {"overflow": _("This date and time is out of range.")}

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["overflow"], code="overflow") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class _ChoicesWithoutBlanks(django_filters.fields.MultipleChoiceField):
    """A repeatable choice where an empty value (`?status=`, as a cleared select sends it) means
    no value, not an invalid one."""

    def to_python(self, value):
        return [item for item in super().to_python(value) if item != ""]


class MultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    field_class = _ChoicesWithoutBlanks


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, which builds no FilterSet (nor its form) for a request whose query
    string holds nothing but the page: with no filter value the FilterSet would return the
    queryset unchanged."""

    def filter_queryset(self, request, queryset, view):
        paginator = getattr(view, "paginator", None)
        page_params = {
            getattr(paginator, "page_query_param", None),
            getattr(paginator, "page_size_query_param", None),
        }
        if all(key in page_params for key in request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)
