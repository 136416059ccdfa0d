"""Audit log filters, shared by the audit page, its export and (later) an API."""

from __future__ import annotations

import django_filters as filters
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import cap

from .display import object_type_choices
from .models import AuditEntry


class AuditFilterSet(filters.FilterSet):
    actor = filters.CharFilter(label=cap(_("actor")), field_name="actor_name", lookup_expr="iexact")
    object_type = filters.ChoiceFilter(
        label=cap(_("object type")), field_name="object_type", choices=object_type_choices
    )
    object_id = filters.CharFilter(label=cap(_("object id")), field_name="object_id")
    code = filters.CharFilter(
        label=cap(_("action code")),
        field_name="code",
        lookup_expr="startswith",
        help_text=_("e.g. registry.zone."),
    )
    action = filters.ChoiceFilter(label=cap(_("action")), choices=AuditEntry.Action.choices)
    date_from = filters.DateFilter(label=cap(_("from")), field_name="at", lookup_expr="date__gte")
    date_to = filters.DateFilter(label=cap(_("to")), field_name="at", lookup_expr="date__lte")
    request_id = filters.CharFilter(label=cap(_("request id")), field_name="request_id")
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(("at", "at"), ("actor_name", "actor"), ("code", "code"), ("object_type", "object")),
    )

    class Meta:
        model = AuditEntry
        fields = ["actor", "object_type", "object_id", "code", "action", "date_from", "date_to", "request_id"]
