"""FilterSets of the operations lists (page, HTMX partial, export and API share them)."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zonebook.core.filters import DateTimeFilter
from zonebook.core.lists import YesNoWidget, cap
from zonebook.registry.filtersets import EnterpriseFilter, scoped_zones

from . import queries
from .choices import Channel, Direction, EventResult, PassStatus, PassType, Status
from .models import Application, ApplicationType, Container, ContainerSize, GateEvent, GatePass

BOXES = [("todo", _("To do")), ("mine", _("Mine")), ("all", _("All"))]


class ApplicationFilterSet(filters.FilterSet):
    q = filters.CharFilter(label=_("Search"), method="search", help_text=_("Number, enterprise or subject"),
                           widget=forms.TextInput(attrs={"type": "search"}))
    box = filters.ChoiceFilter(label=cap(_("box")), choices=BOXES, method="filter_box", empty_label=_("All"))
    type = filters.ModelChoiceFilter(label=cap(_("type")), queryset=ApplicationType.objects.all(),
                                     to_field_name="code")
    status = filters.ChoiceFilter(label=cap(_("status")), choices=Status.choices)
    channel = filters.ChoiceFilter(label=cap(_("channel")), choices=Channel.choices)
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), queryset=scoped_zones)
    enterprise = EnterpriseFilter(label=cap(_("enterprise")))
    overdue = filters.BooleanFilter(label=cap(_("overdue")), method="filter_overdue", widget=YesNoWidget)
    submitted_from = filters.DateFilter(label=_("Submitted from"), field_name="submitted_at", lookup_expr="date__gte")
    submitted_to = filters.DateFilter(label=_("Submitted until"), field_name="submitted_at", lookup_expr="date__lte")
    sort = filters.OrderingFilter(label=_("Sort"), fields=(
        ("submitted_at", "submitted_at"), ("due_at", "due_at"), ("number", "number"), ("status", "status"),
        ("enterprise__name", "enterprise"),
    ))

    class Meta:
        model = Application
        fields = ["q", "box", "type", "status", "channel", "zone", "enterprise", "overdue"]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(enterprise__name__icontains=value)
                               | Q(subject__icontains=value))

    def filter_box(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value == "todo" and user is not None:
            return queryset.filter(queries.todo_q(user))
        if value == "mine" and user is not None:
            return queryset.filter(queries.mine_q(user))
        return queryset

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        q = queries.overdue_q()
        return queryset.filter(q) if value else queryset.exclude(q)


class GatePassFilterSet(filters.FilterSet):
    q = filters.CharFilter(label=_("Search"), method="search", help_text=_("Pass number or plate"),
                           widget=forms.TextInput(attrs={"type": "search"}))
    status = filters.ChoiceFilter(label=cap(_("status")), choices=PassStatus.choices)
    pass_type = filters.ChoiceFilter(label=cap(_("pass type")), choices=PassType.choices)
    direction = filters.ChoiceFilter(label=cap(_("direction")), choices=Direction.choices)
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), queryset=scoped_zones)
    enterprise = EnterpriseFilter(label=cap(_("enterprise")))
    older_than_hours = filters.NumberFilter(label=_("Open for more than (hours)"), method="filter_older")
    sort = filters.OrderingFilter(label=_("Sort"), fields=(("created_at", "created_at"), ("number", "number")))

    class Meta:
        model = GatePass
        fields = ["q", "status", "pass_type", "direction", "zone", "enterprise"]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        return queryset.filter(Q(number__icontains=value) | Q(vehicle__plate__icontains=value)) if value else queryset

    def filter_older(self, queryset, name, value):
        import datetime as dt

        from django.utils import timezone

        if value is None:
            return queryset
        try:
            limit = timezone.now() - dt.timedelta(hours=float(min(max(value, 0), 24 * 366)))
        except (OverflowError, ValueError):
            return queryset.none()
        return queryset.filter(status__in=[PassStatus.APPLIED, PassStatus.APPROVED, PassStatus.FIRST_GATE],
                               created_at__lt=limit)


class GateEventFilterSet(filters.FilterSet):
    q = filters.CharFilter(label=_("Search"), method="search", help_text=_("Pass number or event id"),
                           widget=forms.TextInput(attrs={"type": "search"}))
    result = filters.ChoiceFilter(label=cap(_("result")), choices=EventResult.choices)
    gate_id = filters.CharFilter(label=cap(_("gate")))
    direction = filters.ChoiceFilter(label=cap(_("direction")), choices=Direction.choices)
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), queryset=scoped_zones)
    at_from = DateTimeFilter(label=_("From"), field_name="at", lookup_expr="gte",
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    at_to = DateTimeFilter(label=_("Until"), field_name="at", lookup_expr="lt",
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    sort = filters.OrderingFilter(label=_("Sort"), fields=(("at", "at"), ("gate_id", "gate")))

    class Meta:
        model = GateEvent
        fields = ["q", "result", "gate_id", "direction", "zone"]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        return queryset.filter(Q(pass_number__icontains=value) | Q(event_id=value)) if value else queryset


class ContainerFilterSet(filters.FilterSet):
    q = filters.CharFilter(label=_("Search"), method="search", help_text=_("Container number or owner/operator"),
                           widget=forms.TextInput(attrs={"type": "search"}))
    size_type = filters.ChoiceFilter(label=cap(_("size/type")), choices=ContainerSize.choices)
    active = filters.BooleanFilter(label=cap(_("active")), widget=YesNoWidget)
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), queryset=scoped_zones)
    sort = filters.OrderingFilter(label=_("Sort"), fields=(("number", "number"), ("tare_weight", "tare_weight")))

    class Meta:
        model = Container
        fields = ["q", "size_type", "active", "zone"]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        return queryset.filter(Q(number__icontains=value) | Q(owner__icontains=value)) if value else queryset
