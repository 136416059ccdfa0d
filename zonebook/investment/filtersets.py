"""One FilterSet per investment list: page, HTMX partial, export and API."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zonebook.core.filters import IdFilter, IntegerFilter
from zonebook.core.lists import YesNoWidget, cap
from zonebook.registry.filtersets import scoped_zones

from .models import (
    EventKind,
    InvestmentEvent,
    Investor,
    InvestorKind,
    PolicyTask,
    Project,
    ProjectKind,
    ScreeningStatus,
    SourceRegion,
    Stage,
    TransferMode,
)

SEARCH = forms.TextInput(attrs={"type": "search"})


def scoped_units(request):
    from zonebook.accounts.models import Unit

    return (
        Unit.objects.for_user(getattr(request, "user", None)).only("id", "name")
        if request
        else Unit.objects.none()
    )


class ProjectFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        label=_("Search"), method="search", widget=SEARCH, help_text=_("Project number or name, investor")
    )
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), queryset=scoped_zones)
    stage = filters.ChoiceFilter(label=cap(_("stage")), choices=Stage.choices)
    kind = filters.ChoiceFilter(label=cap(_("counting kind")), choices=ProjectKind.choices)
    source_region = filters.ChoiceFilter(label=cap(_("source region")), choices=SourceRegion.choices)
    year = IntegerFilter(
        label=cap(_("signed in year")), field_name="signed_on__year", min_value=1990, max_value=2100
    )
    counted = filters.BooleanFilter(label=cap(_("counts as a new project")), widget=YesNoWidget)
    city_screening = filters.ChoiceFilter(label=cap(_("city screening")), choices=ScreeningStatus.choices[1:])
    province_screening = filters.ChoiceFilter(
        label=cap(_("province screening")), choices=ScreeningStatus.choices[1:]
    )
    overdue = filters.BooleanFilter(
        label=_("Overdue post-signing deadline"), method="filter_overdue", widget=YesNoWidget
    )
    duplicate = filters.BooleanFilter(
        label=cap(_("duplicate warning")), method="filter_duplicate", widget=YesNoWidget
    )
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("number", "number"),
            ("name", "name"),
            ("signed_on", "signed_on"),
            ("contracted_cny", "contracted_cny"),
            ("funds_in_place_cny", "funds_in_place_cny"),
            ("stage", "stage"),
        ),
    )

    class Meta:
        model = Project
        fields = [
            "q",
            "zone",
            "stage",
            "kind",
            "source_region",
            "year",
            "counted",
            "city_screening",
            "province_screening",
            "duplicate",
            "overdue",
        ]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value) | Q(name__icontains=value) | Q(investor__name__icontains=value)
        )

    def filter_overdue(self, queryset, name, value):
        """Projects with a running SLA clock (works start, 入统) past its due time."""
        if value is None:
            return queryset
        from django.utils import timezone

        from zonebook.sla.models import Deadline

        late = Deadline.objects.filter(
            content_type__app_label="investment",
            content_type__model="project",
            state="running",
            due_at__lt=timezone.now(),
        ).values("object_id")
        return queryset.filter(pk__in=late) if value else queryset.exclude(pk__in=late)

    def filter_duplicate(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(dedup_warning="") if value else queryset.filter(dedup_warning="")


class InvestorFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=SEARCH,
        help_text=_("Name, parent group, contact or products"),
    )
    kind = filters.ChoiceFilter(label=cap(_("kind")), choices=InvestorKind.choices)
    transfer_target = filters.BooleanFilter(
        label=cap(_("transfer target (目标转移企业)")), widget=YesNoWidget
    )
    fortune500 = filters.BooleanFilter(label=cap(_("Fortune Global 500")), widget=YesNoWidget)
    sort = filters.OrderingFilter(
        label=_("Sort"), fields=(("name", "name"), ("priority", "priority"), ("country", "country"))
    )

    class Meta:
        model = Investor
        fields = ["q", "kind", "transfer_target", "fortune500"]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(parent_group__icontains=value)
            | Q(contact_name__icontains=value)
            | Q(products__icontains=value)
        )


class EventFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        label=_("Search"), method="search", widget=SEARCH, help_text=_("Title, place or participants")
    )
    kind = filters.ChoiceFilter(label=cap(_("kind")), choices=EventKind.choices)
    year = IntegerFilter(label=cap(_("year")), field_name="date__year", min_value=1990, max_value=2100)
    sort = filters.OrderingFilter(
        label=_("Sort"), fields=(("date", "date"), ("title", "title"), ("kind", "kind"))
    )

    class Meta:
        model = InvestmentEvent
        fields = ["q", "kind", "year"]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(place__icontains=value) | Q(participants__icontains=value)
        )


class TransferProjectFilterSet(ProjectFilterSet):
    """重大转移项目库: the project filters plus the transfer mode."""

    transfer_mode = filters.ChoiceFilter(label=cap(_("transfer mode")), choices=TransferMode.choices[1:])

    class Meta(ProjectFilterSet.Meta):
        fields = ProjectFilterSet.Meta.fields + ["transfer_mode"]


class TaskFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        label=_("Search"), method="search", widget=SEARCH, help_text=_("Task text or number")
    )
    document = IdFilter(field_name="document_id", widget=forms.HiddenInput)
    unit = filters.ModelChoiceFilter(
        label=_("Lead or responsible unit"), queryset=scoped_units, field_name="units", distinct=True
    )
    done = filters.BooleanFilter(label=cap(_("completed")), widget=YesNoWidget)
    sort = filters.OrderingFilter(label=_("Sort"), fields=(("number", "number"), ("deadline", "deadline")))

    class Meta:
        model = PolicyTask
        fields = ["q", "document", "unit", "done"]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(text__icontains=value) | Q(number__icontains=value))
