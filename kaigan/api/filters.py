"""Filters shared by the API's lists."""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField


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
