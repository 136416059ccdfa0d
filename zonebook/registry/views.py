"""Registry pages: thin views that scope, parse, call a service and render.

Every object is looked up through ``Model.objects.for_user(request.user)`` (out of scope → 404);
write views need ``can_write("registry")`` (else 403).  Detail pages use ``core.tabs`` so later apps
can add tabs to the zone and enterprise pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from zonebook.audit.services import history
from zonebook.core import tabs
from zonebook.core.errors import DomainError
from zonebook.core.forms import apply_service_error
from zonebook.core.lists import FilteredListView
from zonebook.core.permissions import may_write, require_write
from zonebook.core.views import scoped_object

from . import services
from .filtersets import EnterpriseFilterSet, ZoneFilterSet
from .forms import (
    ContactForm,
    EnterpriseForm,
    EnterpriseStatusForm,
    ParkForm,
    ZoneForm,
    ZoneStatusEventForm,
)
from .models import Enterprise, EnterpriseContact, Park, Zone
from .tables import EnterpriseTable, ZoneTable, enterprise_list_queryset, zone_list_queryset

SERVICE_ERRORS = (ValidationError, DomainError)
AUDIT_HISTORY_LIMIT = 200


WRITE_DENIED = gettext_lazy("Your role may not change registry data.")


# --- lists ------------------------------------------------------------------------------------------------


class ZoneList(FilteredListView):
    model = Zone
    filterset_class = ZoneFilterSet
    table_class = ZoneTable
    template_name = "registry/zone_list.html"
    title = gettext_lazy("Zones")
    export_filename = gettext_lazy("zones")
    export_code = "registry.zone.exported"

    def get_queryset(self):
        return zone_list_queryset(self.request.user)


class EnterpriseList(FilteredListView):
    model = Enterprise
    filterset_class = EnterpriseFilterSet
    table_class = EnterpriseTable
    template_name = "registry/enterprise_list.html"
    title = gettext_lazy("Enterprises")
    export_filename = gettext_lazy("enterprises")
    export_code = "registry.enterprise.exported"

    def get_queryset(self):
        return enterprise_list_queryset(self.request.user)


zone_list = ZoneList.as_view()
enterprise_list = EnterpriseList.as_view()

PICKER_MATCHES = 30


@login_required
def enterprise_options(request):
    """``<option>`` elements for the enterprise picker (``core.widgets.PickerSelect``): the user's
    own enterprises whose name, USCC or customs code contains ``term`` (at most 30, by name)."""
    from django.db.models import Q
    from django.utils.html import format_html, format_html_join

    term = (request.GET.get("term") or "").strip()[:100]
    qs = Enterprise.objects.for_user(request.user).only("id", "name").order_by("name")
    if term:
        qs = qs.filter(Q(name__icontains=term) | Q(uscc__icontains=term) | Q(customs_code__icontains=term))
    rows = list(qs.values_list("id", "name")[: PICKER_MATCHES + 1])
    more = len(rows) > PICKER_MATCHES
    html = format_html('<option value="">{}</option>', "---------")
    html += format_html_join("", '<option value="{}">{}</option>', rows[:PICKER_MATCHES])
    if more:
        html += format_html(
            '<option value="" disabled>{}</option>', _("… more: type more of the name or code")
        )
    from django.http import HttpResponse

    return HttpResponse(html)


# --- tabs -------------------------------------------------------------------------------------------------

ZONE_PAGE = "registry.zone"
ENTERPRISE_PAGE = "registry.enterprise"


def _audit_tab(request, obj):
    return {"entries": history(obj)[:AUDIT_HISTORY_LIMIT], "history_limit": AUDIT_HISTORY_LIMIT}


def _zone_parks(request, zone):
    return {"parks": Park.objects.for_user(request.user).filter(zone=zone).distinct().order_by("name")}


def _zone_enterprises(request, zone):
    table = EnterpriseTable(enterprise_list_queryset(request.user).filter(zone=zone), request=request)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return {"table": table}


def _zone_status(request, zone):
    return {
        "events": zone.status_events.select_related("successor").order_by("-date", "-id"),
        "event_form": ZoneStatusEventForm(zone=zone, user=request.user),
    }


def _enterprise_contacts(request, enterprise):
    return {
        "contacts": EnterpriseContact.objects.for_user(request.user)
        .filter(enterprise=enterprise)
        .order_by("name"),
        "show_phone": services.phone_visible(request.user, enterprise),
        "contact_form": ContactForm(enterprise=enterprise),
    }


def _enterprise_status(request, enterprise):
    return {
        "events": enterprise.status_events.order_by("-date", "-id"),
        "status_form": EnterpriseStatusForm(),
    }


for _page, _tabs in (
    (
        ZONE_PAGE,
        [
            tabs.Tab("overview", gettext_lazy("Overview"), "registry/zone/_overview.html", order=10),
            tabs.Tab(
                "parks", gettext_lazy("Parks"), "registry/zone/_parks.html", order=20, context=_zone_parks
            ),
            tabs.Tab(
                "enterprises",
                gettext_lazy("Enterprises"),
                "registry/zone/_enterprises.html",
                order=30,
                context=_zone_enterprises,
            ),
            tabs.Tab(
                "status",
                gettext_lazy("Status history"),
                "registry/zone/_status.html",
                order=40,
                context=_zone_status,
            ),
            tabs.Tab(
                "audit",
                gettext_lazy("Audit history"),
                "registry/_audit_tab.html",
                order=1000,
                context=_audit_tab,
            ),
        ],
    ),
    (
        ENTERPRISE_PAGE,
        [
            tabs.Tab("overview", gettext_lazy("Overview"), "registry/enterprise/_overview.html", order=10),
            tabs.Tab(
                "contacts",
                gettext_lazy("Contact persons"),
                "registry/enterprise/_contacts.html",
                order=20,
                context=_enterprise_contacts,
            ),
            tabs.Tab(
                "status",
                gettext_lazy("Status history"),
                "registry/enterprise/_status.html",
                order=30,
                context=_enterprise_status,
            ),
            tabs.Tab("attachments", gettext_lazy("Attachments"), "registry/enterprise/_attachments.html", order=40),
            tabs.Tab(
                "audit",
                gettext_lazy("Audit history"),
                "registry/_audit_tab.html",
                order=1000,
                context=_audit_tab,
            ),
        ],
    ),
):
    for _tab in _tabs:
        tabs.register(_page, _tab)


def _render_detail(request, page, obj, template, *, default_tab=None, extra=None, status=200):
    ctx = {"object": obj, "can_write": may_write(request.user, services.AREA)}
    ctx.update(tabs.resolve(page, request, obj, default=default_tab))
    ctx.update(extra or {})
    if getattr(request, "htmx", False) and request.method == "GET":
        return render(request, "includes/tabs.html", ctx, status=status)
    return render(request, template, ctx, status=status)


# --- zones ------------------------------------------------------------------------------------------------


def _zone(request, pk):
    return get_object_or_404(
        Zone.objects.for_user(request.user)
        .select_related("kind", "customs_office", "integrated_into")
        .distinct(),
        pk=pk,
    )


@scoped_object(Zone)
@login_required
def zone_detail(request, pk):
    zone = _zone(request, pk)
    return _render_detail(request, ZONE_PAGE, zone, "registry/zone_detail.html")


@login_required
def zone_create(request):
    require_write(request.user, services.AREA, WRITE_DENIED)
    form = ZoneForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            zone = services.create_zone(form.cleaned_data, by=request.user)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Zone %(name)s was created.") % {"name": zone.name})
            return redirect(zone)
    return _form_page(request, form, _("New zone"), cancel_url="registry:zone_list")


@scoped_object(Zone)
@login_required
def zone_edit(request, pk):
    zone = _zone(request, pk)
    require_write(request.user, services.AREA, WRITE_DENIED)
    form = ZoneForm(request.POST or None, instance=zone, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_zone(zone, form.cleaned_data, by=request.user)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(zone)
    return _form_page(request, form, _("Edit zone"), obj=zone)


@scoped_object(Zone)
@login_required
@require_POST
def zone_event_add(request, pk):
    zone = _zone(request, pk)
    require_write(request.user, services.AREA, WRITE_DENIED)
    form = ZoneStatusEventForm(request.POST, zone=zone, user=request.user)
    if form.is_valid():
        try:
            services.add_zone_status_event(zone, **form.cleaned_data, by=request.user)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The event was recorded."))
            return redirect(f"{zone.get_absolute_url()}?tab=status")
    form.mark_invalid()
    return _render_detail(
        request,
        ZONE_PAGE,
        zone,
        "registry/zone_detail.html",
        default_tab="status",
        extra={"event_form": form},
        status=400,
    )


@scoped_object(Zone)
@login_required
def park_create(request, pk):
    zone = _zone(request, pk)
    require_write(request.user, services.AREA, WRITE_DENIED)
    form = ParkForm(request.POST or None, zone=zone)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_park(zone, form.cleaned_data, by=request.user)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The park was created."))
            return redirect(f"{zone.get_absolute_url()}?tab=parks")
    return _form_page(request, form, _("New park of %(zone)s") % {"zone": zone.short_name}, obj=zone)


@scoped_object(Park)
@login_required
def park_edit(request, pk):
    park = get_object_or_404(Park.objects.for_user(request.user).select_related("zone").distinct(), pk=pk)
    require_write(request.user, services.AREA, WRITE_DENIED)
    form = ParkForm(request.POST or None, instance=park)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_park(park, form.cleaned_data, by=request.user)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(f"{park.zone.get_absolute_url()}?tab=parks")
    return _form_page(request, form, _("Edit park"), obj=park.zone)


# --- enterprises ------------------------------------------------------------------------------------------


def _enterprise(request, pk):
    return get_object_or_404(
        Enterprise.objects.for_user(request.user).select_related(
            "zone", "park", "industry", "ownership", "investor_country", "credit_class", "capital_currency"
        ),
        pk=pk,
    )


@scoped_object(Enterprise)
@login_required
def enterprise_detail(request, pk):
    enterprise = _enterprise(request, pk)
    return _render_detail(request, ENTERPRISE_PAGE, enterprise, "registry/enterprise_detail.html")


@login_required
def enterprise_create(request):
    require_write(request.user, services.AREA, WRITE_DENIED)
    initial = {}
    if request.method == "GET" and request.GET.get("zone"):
        initial["zone"] = request.GET["zone"]
    form = EnterpriseForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.create_enterprise(form.cleaned_data, by=request.user)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Enterprise %(name)s was created.") % {"name": enterprise.name})
            return redirect(enterprise)
    return _form_page(request, form, _("New enterprise"), cancel_url="registry:enterprise_list")


@scoped_object(Enterprise)
@login_required
def enterprise_edit(request, pk):
    enterprise = _enterprise(request, pk)
    require_write(request.user, services.AREA, WRITE_DENIED)
    form = EnterpriseForm(request.POST or None, instance=enterprise, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_enterprise(enterprise, form.cleaned_data, by=request.user)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(enterprise)
    return _form_page(request, form, _("Edit enterprise"), obj=enterprise)


@scoped_object(Enterprise)
@login_required
@require_POST
def enterprise_status_add(request, pk):
    enterprise = _enterprise(request, pk)
    require_write(request.user, services.AREA, WRITE_DENIED)
    form = EnterpriseStatusForm(request.POST)
    if form.is_valid():
        try:
            services.change_enterprise_status(enterprise, **form.cleaned_data, by=request.user)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The status change was recorded."))
            return redirect(f"{enterprise.get_absolute_url()}?tab=status")
    form.mark_invalid()
    return _render_detail(
        request,
        ENTERPRISE_PAGE,
        enterprise,
        "registry/enterprise_detail.html",
        default_tab="status",
        extra={"status_form": form},
        status=400,
    )


@scoped_object(Enterprise)
@login_required
@require_POST
def contact_add(request, pk):
    enterprise = _enterprise(request, pk)
    require_write(request.user, services.AREA, WRITE_DENIED)
    form = ContactForm(request.POST, enterprise=enterprise)
    if form.is_valid():
        try:
            services.add_contact(enterprise, form.cleaned_data, by=request.user)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The contact person was added."))
            return redirect(f"{enterprise.get_absolute_url()}?tab=contacts")
    form.mark_invalid()
    return _render_detail(
        request,
        ENTERPRISE_PAGE,
        enterprise,
        "registry/enterprise_detail.html",
        default_tab="contacts",
        extra={"contact_form": form},
        status=400,
    )


def _contact(request, pk):
    return get_object_or_404(
        EnterpriseContact.objects.for_user(request.user).select_related("enterprise__zone"), pk=pk
    )


@scoped_object(EnterpriseContact)
@login_required
def contact_edit(request, pk):
    contact = _contact(request, pk)
    require_write(request.user, services.AREA, WRITE_DENIED)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_contact(contact, form.cleaned_data, by=request.user)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(f"{contact.enterprise.get_absolute_url()}?tab=contacts")
    return _form_page(request, form, _("Edit contact person"), obj=contact.enterprise)


@scoped_object(EnterpriseContact)
@login_required
@require_POST
def contact_delete(request, pk):
    contact = _contact(request, pk)
    require_write(request.user, services.AREA, WRITE_DENIED)
    enterprise = contact.enterprise
    services.delete_contact(contact, by=request.user)
    messages.success(request, _("The contact person was deleted."))
    return redirect(f"{enterprise.get_absolute_url()}?tab=contacts")


def _form_page(request, form, title, *, obj=None, cancel_url=None):
    if hasattr(form, "mark_invalid"):
        form.mark_invalid()
    from django.urls import reverse

    cancel = obj.get_absolute_url() if obj is not None else reverse(cancel_url)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "registry/form.html",
        {"form": form, "title": title, "object": obj, "cancel": cancel},
        status=status,
    )
