"""Number filters with bounds, shared by every FilterSet (pages and API alike).

django-filter's ``NumberFilter`` parses a ``Decimal``: ``?book=1e40`` becomes 10⁴⁰, which SQLite cannot
bind (``OverflowError``) and a date offset cannot hold — a server error instead of an answer.  These
filters validate before any query: ids are whole numbers within the database's 64-bit integer range,
other numbers within the bounds their meaning allows.  An invalid value is a form error naming the
field: the API answers 400 (``DjangoFilterBackend``), a list page 400 with the error shown.
"""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

BIGINT_MAX = 2**63 - 1  # PostgreSQL bigint and SQLite INTEGER


class IdField(forms.IntegerField):
    """A row id: a whole number from 1 to ``BIGINT_MAX``."""

    def __init__(self, *, min_value=1, max_value=BIGINT_MAX, **kwargs):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)


@extend_schema_field(OpenApiTypes.INT64)
class IdFilter(filters.NumberFilter):
    """A filter on a row id (``?book=``, ``?writeoff=``…)."""

    field_class = IdField


class BoundedIntegerField(forms.IntegerField):
    def __init__(self, *, min_value=-BIGINT_MAX, max_value=BIGINT_MAX, **kwargs):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(filters.NumberFilter):
    """A whole-number filter; pass ``min_value``/``max_value`` for the bounds of its meaning."""

    field_class = BoundedIntegerField


class BoundedDateTimeField(forms.DateTimeField):
    """A date and time from 1900 to 2100: ``0001-01-01T00:00`` in Asia/Shanghai would fall before year 1
    in UTC (an OverflowError on PostgreSQL), and no record of this system is dated outside that range."""

    def clean(self, value):
        value = super().clean(value)
        if value is not None and not (1900 <= value.year <= 2100):
            raise forms.ValidationError(_("Enter a date between 1900 and 2100."), code="out_of_range")
        return value


class DateTimeFilter(filters.DateTimeFilter):
    """A date-time filter within ``BoundedDateTimeField``'s range (pages and API alike)."""

    field_class = BoundedDateTimeField
