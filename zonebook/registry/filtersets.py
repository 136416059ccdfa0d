"""One FilterSet per registry list: used by the list page, its HTMX partial, the export and the API."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import YesNoWidget, cap

from .choices import EnterpriseStatus, ZoneEvent, ZoneLevel
from .models import Code, Enterprise, EnterpriseContact, Park, Zone, ZoneStatusEvent


def _user(request):
    return getattr(request, "user", None)


def scoped_zones(request):
    return (
        Zone.objects.for_user(_user(request)).only("id", "name")
        if request is not None
        else Zone.objects.none()
    )


def scoped_parks(request):
    if request is None:
        return Park.objects.none()
    return Park.objects.for_user(_user(request)).select_related("zone").only("id", "name", "zone__short_name")


def scoped_enterprises(request):
    return (
        Enterprise.objects.for_user(_user(request)).only("id", "name")
        if request is not None
        else Enterprise.objects.none()
    )


class EnterpriseFilter(filters.ModelChoiceFilter):
    """The enterprise filter of every list: an ordinary select for a few enterprises, a search
    picker (``core.widgets.PickerSelect``) above ``ZONEBOOK["PICKER_THRESHOLD"]``."""

    def __init__(self, *args, **kwargs):
        from django.urls import reverse_lazy

        from zonebook.core.widgets import PickerSelect

        kwargs.setdefault("queryset", scoped_enterprises)
        kwargs.setdefault("widget", PickerSelect(search_url=reverse_lazy("registry:enterprise_options")))
        super().__init__(*args, **kwargs)


def codes(table: str):
    return Code.objects.of(table).only("id", "code", "name", "name_en")


class ZoneFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        label=_("Search"), method="search", widget=forms.TextInput(attrs={"type": "search"})
    )
    kind = filters.ModelChoiceFilter(label=cap(_("zone type")), queryset=codes("zone_type"))
    province_code = filters.ChoiceFilter(label=cap(_("province")), choices=())
    city_code = filters.ChoiceFilter(label=cap(_("city")), choices=())
    level = filters.ChoiceFilter(label=cap(_("level")), choices=ZoneLevel.choices)
    status = filters.ChoiceFilter(label=cap(_("status")), choices=ZoneEvent.choices)
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("name", "name"),
            ("short_name", "short_name"),
            ("kind__code", "kind"),
            ("level", "level"),
            ("city_code", "city"),
            ("planned_area_km2", "planned_area_km2"),
            ("fenced_area_km2", "fenced_area_km2"),
            ("approval_date", "approval_date"),
            ("status", "status"),
            ("status_date", "status_date"),
        ),
    )

    class Meta:
        model = Zone
        fields = ["q", "kind", "province_code", "city_code", "level", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Cities the user can see, labelled from the region code table when it is loaded.
        regions = set(self.queryset.order_by().values_list("province_code", "city_code").distinct())
        provinces = sorted({p for p, _c in regions})
        cities = sorted({c for _p, c in regions})
        names = dict(
            Code.objects.of("region").filter(code__in=provinces + cities).values_list("code", "name")
        )
        # Set on the form fields: a filter's field may already be cached (deep-copied from the class).
        self.form.fields["province_code"].choices = [
            (c, names.get(c) or c) for c in provinces
        ]
        self.form.fields["city_code"].choices = [(c, names.get(c) or c) for c in cities]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(short_name__icontains=value))


class EnterpriseFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        label=_("Search"),
        method="search",
        help_text=_("Name, unified social credit code or customs code"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), queryset=scoped_zones)
    park = filters.ModelChoiceFilter(label=cap(_("park")), queryset=scoped_parks)
    industry = filters.ModelChoiceFilter(
        label=cap(_("industry")),
        queryset=codes("industry"),
        method="filter_industry",
        help_text=_("Includes the sub-classes of the chosen industry"),
    )
    ownership = filters.ModelChoiceFilter(label=cap(_("ownership type")), queryset=codes("ownership"))
    credit_class = filters.ModelChoiceFilter(
        label=cap(_("customs credit class")), queryset=codes("credit_class")
    )
    status = filters.ChoiceFilter(label=cap(_("status")), choices=EnterpriseStatus.choices)
    processing_trade = filters.BooleanFilter(label=cap(_("processing trade")), widget=YesNoWidget)
    fortune500 = filters.BooleanFilter(label=_("Fortune Global 500 investor"), widget=YesNoWidget)
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("name", "name"),
            ("uscc", "uscc"),
            ("customs_code", "customs_code"),
            ("zone__short_name", "zone"),
            ("park__name", "park"),
            ("industry__code", "industry"),
            ("ownership__code", "ownership"),
            ("credit_class__code", "credit_class"),
            ("status", "status"),
            ("registered_capital", "registered_capital"),
            ("established", "established"),
        ),
    )

    class Meta:
        model = Enterprise
        fields = [
            "q",
            "zone",
            "park",
            "industry",
            "ownership",
            "credit_class",
            "status",
            "processing_trade",
            "fortune500",
        ]

    def search(self, queryset, name, value):
        return queryset.search(value)

    def filter_industry(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Q(industry=value)
            | Q(industry__parent=value)
            | Q(industry__parent__parent=value)
            | Q(industry__parent__parent__parent=value)
        )


class ParkFilterSet(filters.FilterSet):
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), queryset=scoped_zones)
    bonded = filters.BooleanFilter(label=cap(_("inside the fence (bonded)")), widget=YesNoWidget)
    sort = filters.OrderingFilter(label=_("Sort"), fields=(("name", "name"), ("zone__name", "zone")))

    class Meta:
        model = Park
        fields = ["zone", "bonded"]


class ZoneStatusEventFilterSet(filters.FilterSet):
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), queryset=scoped_zones)
    event = filters.ChoiceFilter(label=cap(_("event")), choices=ZoneEvent.choices)
    date_from = filters.DateFilter(label=cap(_("from")), field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(label=cap(_("to")), field_name="date", lookup_expr="lte")
    sort = filters.OrderingFilter(label=_("Sort"), fields=(("date", "date"), ("zone__name", "zone")))

    class Meta:
        model = ZoneStatusEvent
        fields = ["zone", "event", "date_from", "date_to"]


class ContactFilterSet(filters.FilterSet):
    enterprise = EnterpriseFilter(label=cap(_("enterprise")))
    is_customs_contact = filters.BooleanFilter(label=cap(_("customs affairs contact")), widget=YesNoWidget)
    sort = filters.OrderingFilter(
        label=_("Sort"), fields=(("name", "name"), ("enterprise__name", "enterprise"))
    )

    class Meta:
        model = EnterpriseContact
        fields = ["enterprise", "is_customs_contact"]
