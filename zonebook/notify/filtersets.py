"""The notification list's filters (page and API share them)."""

from __future__ import annotations

import django_filters as filters
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import cap

from . import registry
from .models import Notification


class NotificationFilterSet(filters.FilterSet):
    unread = filters.BooleanFilter(label=_("Unread only"), field_name="read_at", lookup_expr="isnull")
    kind = filters.ChoiceFilter(label=cap(_("kind")), choices=registry.choices)

    class Meta:
        model = Notification
        fields = ["unread", "kind"]
