"""Columns of the registry lists, declared once for the page and the xlsx/csv export."""

from __future__ import annotations

import django_tables2 as tables
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import BaseTable, YesNoColumn, cap

from . import calc
from .models import Code, Enterprise, EnterpriseContact, Zone


def zone_list_queryset(user):
    """Zones in scope with what the list shows, in a fixed number of queries."""
    enterprises = (
        Enterprise.objects.for_user(user)
        .filter(zone=OuterRef("pk"))
        .order_by()
        .values("zone")
        .annotate(c=Count("id"))
        .values("c")
    )
    city_name = Code.objects.of("region").filter(code=OuterRef("city_code")).values("name")[:1]
    return (
        Zone.objects.for_user(user)
        .select_related("kind", "integrated_into")
        .annotate(
            enterprise_count=Coalesce(Subquery(enterprises, output_field=IntegerField()), Value(0)),
            city_name=Subquery(city_name),
        )
    )


def enterprise_list_queryset(user):
    return (
        Enterprise.objects.for_user(user)
        .select_related("zone", "park", "industry", "ownership", "credit_class")
        .prefetch_related(
            Prefetch(
                "contacts",
                queryset=EnterpriseContact.objects.order_by("-is_customs_contact", "name"),
                to_attr="contact_list",
            )
        )
    )


class CodeColumn(tables.Column):
    """A code-table entry shown by its (language-aware) name; exported as "code name"."""

    def render(self, value):
        return value.label

    def value(self, value):
        return f"{value.code} {value.label}"


class ZoneTable(BaseTable):
    name = tables.Column(linkify=True, verbose_name=cap(_("name")))
    short_name = tables.Column(verbose_name=cap(_("short name")))
    kind = CodeColumn(verbose_name=cap(_("zone type")), order_by=("kind__code",))
    level = tables.Column(verbose_name=cap(_("level")))
    city = tables.Column(verbose_name=cap(_("city")), accessor="city_code", order_by=("city_code",))
    planned_area_km2 = tables.Column(
        verbose_name=cap(_("planned area (km²)")), attrs={"td": {"class": "text-end"}}
    )
    fenced_area_km2 = tables.Column(
        verbose_name=cap(_("fenced area (km²)")), attrs={"td": {"class": "text-end"}}
    )
    approval_date = tables.DateColumn(verbose_name=cap(_("approval date")), format="Y-m-d")
    status = tables.Column(verbose_name=cap(_("status")))
    status_date = tables.DateColumn(verbose_name=cap(_("status since")), format="Y-m-d")
    integrated_into = tables.Column(verbose_name=cap(_("integrated into")), linkify=True, orderable=False)
    enterprise_count = tables.Column(
        verbose_name=cap(_("number of enterprises")), orderable=False, attrs={"td": {"class": "text-end"}}
    )

    class Meta(BaseTable.Meta):
        model = Zone
        fields = ()
        sequence = (
            "name",
            "short_name",
            "kind",
            "level",
            "city",
            "planned_area_km2",
            "fenced_area_km2",
            "approval_date",
            "status",
            "status_date",
            "integrated_into",
            "enterprise_count",
        )

    def render_city(self, value, record):
        return record.city_name or value

    def value_city(self, value, record):
        return f"{record.city_name or ''} {value}".strip()


class EnterpriseTable(BaseTable):
    name = tables.Column(linkify=True, verbose_name=cap(_("name")))
    uscc = tables.Column(verbose_name=cap(_("unified social credit code")))
    customs_code = tables.Column(verbose_name=cap(_("customs registration code")))
    zone = tables.Column(
        verbose_name=cap(_("zone")), accessor="zone__short_name", order_by=("zone__short_name",)
    )
    park = tables.Column(verbose_name=cap(_("park")), accessor="park__name", order_by=("park__name",))
    industry = CodeColumn(verbose_name=cap(_("industry")), order_by=("industry__code",))
    ownership = CodeColumn(verbose_name=cap(_("ownership type")), order_by=("ownership__code",))
    credit_class = CodeColumn(verbose_name=cap(_("customs credit class")), order_by=("credit_class__code",))
    processing_trade = YesNoColumn(verbose_name=cap(_("processing trade")))
    fortune500 = YesNoColumn(verbose_name=_("Fortune Global 500 investor"))
    status = tables.Column(verbose_name=cap(_("status")))
    contact = tables.Column(
        verbose_name=cap(_("contact person")), accessor="pk", orderable=False, empty_values=()
    )

    class Meta(BaseTable.Meta):
        model = Enterprise
        fields = ()
        sequence = (
            "name",
            "uscc",
            "customs_code",
            "zone",
            "park",
            "industry",
            "ownership",
            "credit_class",
            "processing_trade",
            "fortune500",
            "status",
            "contact",
        )

    def render_contact(self, record):
        contacts = getattr(record, "contact_list", None) or []
        if not contacts:
            return "—"
        c = contacts[0]
        # Lists and exports always mask personal phone numbers.
        return format_html("{} {}", c.name, calc.mask_phone(c.phone)) if c.phone else c.name

    def value_contact(self, record):
        contacts = getattr(record, "contact_list", None) or []
        if not contacts:
            return ""
        c = contacts[0]
        return f"{c.name} {calc.mask_phone(c.phone)}".strip()
