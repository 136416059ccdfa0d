"""One FilterSet per service list: the page, its HTMX partial, the export and the API share it."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zonebook.accounts.models import Unit
from zonebook.core.lists import YesNoWidget, cap
from zonebook.registry.filtersets import EnterpriseFilter, scoped_zones

from .models import (
    Category,
    Channel,
    Liaison,
    LiaisonRole,
    Satisfaction,
    ServiceRequest,
    Status,
    Visit,
    VisitKind,
)


def scoped_units(request):
    if request is None:
        return Unit.objects.none()
    return Unit.objects.for_user(request.user).only("id", "name")


def categories(request):
    return Category.objects.select_related("parent").filter(active=True)


class RequestFilterSet(filters.FilterSet):
    q = filters.CharFilter(label=_("Search"), method="search", widget=forms.TextInput(attrs={"type": "search"}))
    status = filters.ChoiceFilter(label=cap(_("status")), choices=Status.choices)
    open = filters.BooleanFilter(label=pgettext_lazy("service", "Open"), method="filter_open", widget=YesNoWidget)
    overdue = filters.BooleanFilter(label=_("Overdue"), method="filter_overdue", widget=YesNoWidget)
    category = filters.ModelChoiceFilter(label=cap(_("category")), queryset=categories, method="filter_category")
    enterprise = EnterpriseFilter(label=cap(_("enterprise")))
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), queryset=scoped_zones)
    lead_unit = filters.ModelChoiceFilter(label=cap(_("lead unit")), queryset=scoped_units)
    channel = filters.ChoiceFilter(label=cap(_("channel")), choices=Channel.choices)
    satisfaction = filters.ChoiceFilter(label=cap(_("satisfaction")), choices=Satisfaction.choices)
    received_from = filters.DateFilter(label=_("Received from"), field_name="received_at", lookup_expr="date__gte")
    received_to = filters.DateFilter(label=_("Received until"), field_name="received_at", lookup_expr="date__lte")
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("number", "number"),
            ("received_at", "received_at"),
            ("due_at", "due_at"),
            ("status", "status"),
            ("enterprise__name", "enterprise"),
            ("closed_at", "closed_at"),
        ),
    )

    class Meta:
        model = ServiceRequest
        fields = ["status", "channel", "zone", "lead_unit", "satisfaction"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value) | Q(enterprise__name__icontains=value))

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(status=Status.CLOSED) if value else queryset.filter(status=Status.CLOSED)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        q = Q(due_at__lt=timezone.now()) & ~Q(status__in=[Status.CLOSED, Status.REVISIT])
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_category(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(Q(category=value) | Q(category__parent=value))


class VisitFilterSet(filters.FilterSet):
    q = filters.CharFilter(label=_("Search"), method="search", widget=forms.TextInput(attrs={"type": "search"}))
    kind = filters.ChoiceFilter(label=cap(_("kind")), choices=VisitKind.choices)
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), queryset=scoped_zones)
    enterprise = EnterpriseFilter(label=cap(_("enterprise")), field_name="enterprises", distinct=True)
    date_from = filters.DateFilter(label=pgettext_lazy("period", "From"), field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(label=pgettext_lazy("period", "Until"), field_name="date", lookup_expr="lte")
    sort = filters.OrderingFilter(label=_("Sort"), fields=(("date", "date"), ("kind", "kind")))

    class Meta:
        model = Visit
        fields = ["kind", "zone"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(topics__icontains=value) | Q(findings__icontains=value)
                               | Q(enterprises__name__icontains=value)).distinct()


class LiaisonFilterSet(filters.FilterSet):
    enterprise = EnterpriseFilter(label=cap(_("enterprise")))
    officer = filters.CharFilter(label=_("Officer"), method="filter_officer")
    role = filters.ChoiceFilter(label=cap(_("role")), choices=LiaisonRole.choices)
    current = filters.BooleanFilter(label=_("Current"), method="filter_current", widget=YesNoWidget)
    sort = filters.OrderingFilter(label=_("Sort"), fields=(("valid_from", "valid_from"), ("enterprise__name", "enterprise")))

    class Meta:
        model = Liaison
        fields = ["role"]

    def filter_officer(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(officer__username__icontains=value) | Q(officer__last_name__icontains=value)
                               | Q(officer__first_name__icontains=value))

    def filter_current(self, queryset, name, value):
        if value is None:
            return queryset
        today = timezone.localdate()
        q = Q(valid_from__lte=today) & (Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        return queryset.filter(q) if value else queryset.exclude(q)


def scoped_campaigns(request):
    from .models import Campaign

    if request is None:
        return Campaign.objects.none()
    return Campaign.objects.for_user(request.user).distinct()


class OperationReportFilterSet(filters.FilterSet):
    campaign = filters.ModelChoiceFilter(label=_("Campaign"), queryset=scoped_campaigns)
    enterprise = EnterpriseFilter(label=cap(_("enterprise")))
    date = filters.DateFilter(label=_("Date"))
    late = filters.BooleanFilter(label=_("Late"), widget=YesNoWidget)

    class Meta:
        from .models import OperationReport

        model = OperationReport
        fields = ["campaign", "enterprise", "date", "late"]
