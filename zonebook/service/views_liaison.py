"""Liaison (定点联系) and visit (走访 / 园区巡查) pages, the 走访情况汇总表 and the liaison's own page."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from zonebook.accounts.models import User
from zonebook.audit.services import record_event
from zonebook.core import exports
from zonebook.core.errors import DomainError
from zonebook.core.forms import apply_service_error
from zonebook.core.lists import FilteredListView
from zonebook.core.views import scoped_object
from zonebook.registry.models import Enterprise
from zonebook.sla.models import Deadline

from . import forms as f
from . import services, visits
from .filtersets import LiaisonFilterSet, VisitFilterSet
from .models import Liaison, ServiceRequest, Visit
from .tables import LiaisonTable, VisitTable
from .views_supervision import document_response

SERVICE_ERRORS = (DomainError, ValidationError)
NOT_VISITED_DAYS = 90


def _require_office(user):
    if not services.is_office(user):
        raise PermissionDenied(_("Only the service office may see this page."))


class OfficeListView(FilteredListView):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            _require_office(request.user)
        return super().dispatch(request, *args, **kwargs)


def visit_queryset(user):
    return (
        Visit.objects.for_user(user)
        .select_related("zone")
        .annotate(problem_count=Count("problems", distinct=True))
        .prefetch_related(
            Prefetch("enterprises", queryset=Enterprise.objects.only("id", "name").order_by("name")),
            Prefetch("officers", queryset=User.objects.only("id", "username", "first_name", "last_name")),
        )
    )


class VisitList(OfficeListView):
    model = Visit
    filterset_class = VisitFilterSet
    table_class = VisitTable
    template_name = "service/visit_list.html"
    title = gettext_lazy("Visits and patrols")
    export_filename = gettext_lazy("visits")
    export_code = "service.visit.exported"

    def get_queryset(self):
        return visit_queryset(self.request.user)


class LiaisonList(OfficeListView):
    model = Liaison
    filterset_class = LiaisonFilterSet
    table_class = LiaisonTable
    template_name = "service/liaison_list.html"
    title = gettext_lazy("Liaison assignments")
    export_filename = gettext_lazy("liaisons")
    export_code = "service.liaison.exported"

    def get_queryset(self):
        return Liaison.objects.for_user(self.request.user).select_related("enterprise", "enterprise__zone", "officer")


visit_list = VisitList.as_view()
liaison_list = LiaisonList.as_view()


@login_required
def visit_create(request):
    user = request.user
    _require_office(user)
    form = f.VisitForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            problems = services.parse_problems(d["problems"])
            visit = services.record_visit(date=d["date"], kind=d["kind"], officers=d["officers"],
                                          enterprises=d["enterprises"], topics=d["topics"], findings=d["findings"],
                                          problems=problems, by=user)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Visit recorded."))
            return redirect(visit)
    return render(request, "service/form.html", {"form": form, "title": _("New visit"), "cancel": "service:visit_list"})


@scoped_object(Visit)
@login_required
def visit_detail(request, pk):
    visit = get_object_or_404(visit_queryset(request.user), pk=pk)
    _require_office(request.user)
    problems = ServiceRequest.objects.for_user(request.user).filter(visit=visit).select_related("category", "enterprise")
    return render(request, "service/visit_detail.html", {"visit": visit, "problems": problems, "title": str(visit)})


def _dates(request):
    today = timezone.localdate()
    start = parse_date(request.GET.get("date_from") or "") or today.replace(month=1, day=1)
    end = parse_date(request.GET.get("date_to") or "") or today
    if end < start:
        start, end = end, start
    return start, end


def _summary_rows(officers, enterprises):
    yield [_("Table"), pgettext("service", "Name"), _("Zone"), _("Visits"), _("Enterprises covered"), _("Last visit"),
           _("Problems raised"), pgettext("service", "Solved"), pgettext("service", "Open")]
    for r in officers:
        yield [_("By officer"), r["name"], "", r["visits"], r["enterprises"], None, r["problems"], r["solved"], r["open"]]
    for r in enterprises:
        yield [_("By enterprise"), r["name"], r["zone"], r["visits"], None, r["last_visit"], r["problems"],
               r["solved"], r["open"]]


@login_required
def visit_summary(request):
    """走访情况汇总表 for a period, per officer and per enterprise (page, xlsx, docx)."""
    user = request.user
    _require_office(user)
    start, end = _dates(request)
    try:
        days = max(1, min(int(request.GET.get("days") or NOT_VISITED_DAYS), 3650))
    except ValueError:
        days = NOT_VISITED_DAYS
    officers = visits.by_officer(user, start, end)
    enterprises = visits.by_enterprise(user, start, end)
    fmt = request.GET.get("export")
    if fmt:
        record_event("service.visit_summary.exported", by=user, message=f"{fmt} {start}..{end}")
        name = _("visit summary %(start)s-%(end)s") % {"start": start, "end": end}
        if fmt == "xlsx":
            return exports.xlsx_response(_summary_rows(officers, enterprises), name, _("Visit summary table"),
                                         filters=f"{start} – {end}", decimals=[None, None, None, 0, 0, None, 0, 0, 0])
        if fmt in ("docx", "pdf"):
            from .supervision import office_for

            doc = visits.summary_document(office_for(user), start, end, officers, enterprises)
            return document_response(request, doc, fmt, name)
        raise Http404
    stale = visits.not_visited(user, days)
    return render(request, "service/visit_summary.html", {
        "title": _("Visit summary table"), "officers": officers, "enterprises": enterprises,
        "date_from": start, "date_to": end, "days": days, "stale": stale[:200], "stale_count": stale.count(),
    })


@login_required
def liaison_create(request):
    user = request.user
    _require_office(user)
    form = f.LiaisonForm(request.POST or None, user=user, initial={"valid_from": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.assign_liaison(enterprise=d["enterprise"], officer=d["officer"], role=d["role"],
                                    valid_from=d["valid_from"], note=d["note"], by=user)
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Liaison assigned."))
            return redirect("service:liaison_list")
    return render(request, "service/form.html", {"form": form, "title": _("Assign a liaison"),
                                                 "cancel": "service:liaison_list"})


@scoped_object(Liaison)
@login_required
@require_POST
def liaison_end(request, pk):
    user = request.user
    liaison = get_object_or_404(Liaison.objects.for_user(user), pk=pk)
    _require_office(user)
    day = parse_date(request.POST.get("valid_to") or "") or timezone.localdate()
    try:
        services.end_liaison(liaison, valid_to=day, by=user)
    except SERVICE_ERRORS as exc:
        messages.error(request, str(getattr(exc, "message", exc)))
    else:
        messages.success(request, _("Assignment ended."))
    return redirect("service:liaison_list")


def enterprise_alerts(enterprise_ids, now: dt.datetime | None = None) -> dict[int, int]:
    """Per enterprise: running time limits of ANY module (ledger, applications, requests …) past due,
    from the SLA engine's scoped deadline table (one query)."""
    now = now or timezone.now()
    return dict(
        Deadline.objects.filter(enterprise_id__in=list(enterprise_ids), state=Deadline.State.RUNNING, due_at__lt=now)
        .order_by().values_list("enterprise_id").annotate(n=Count("id"))
    )


@login_required
def my_enterprises(request):
    """The liaison's page: their enterprises with last visit, open and overdue requests, and alerts."""
    user = request.user
    _require_office(user)
    rows = visits.my_enterprises(user)
    alerts = enterprise_alerts([e.pk for e in rows])
    for e in rows:
        e.alerts = alerts.get(e.pk, 0)
    return render(request, "service/my_enterprises.html", {"title": _("My enterprises"), "rows": rows})
