"""Gate pages: the gate officer page (tablet, barcode scanner), passes, the 24-hour gate log, traffic
figures, and the zone rule lists."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.db.models.functions import ExtractHour, TruncDate
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zonebook.audit.services import record_event
from zonebook.core.errors import DomainError
from zonebook.core.forms import apply_service_error
from zonebook.core.lists import FilteredListView
from zonebook.core.permissions import may_write
from zonebook.core.views import scoped_object

from . import gate, queries
from .choices import Direction, EventResult, GateStage, PassStatus, PassType
from .filtersets import ContainerFilterSet, GateEventFilterSet, GatePassFilterSet
from .forms import ContainerForm
from .models import (
    Container,
    GateEvent,
    GateException,
    GatePass,
    GatePassDocument,
    NegativeListRule,
    ResponsibilityEntry,
    StockNote,
    ZoneGate,
)
from .tables import ContainerTable, GateEventTable, GatePassTable


def _office(user) -> None:
    if not may_write(user, "ops") or user.role not in ("zone_staff", "zone_leader", "system_admin"):
        raise PermissionDenied(_("The gate officer page is for the zone office."))
    if user.scope_level != "zone" and not user.is_superuser:
        raise PermissionDenied(_("The gate officer page needs a zone account."))


@login_required
def gate_officer(request):
    """Large touch targets; the pass number field takes a barcode scanner's input (number + Enter)."""
    _office(request.user)
    user = request.user
    outcome = None
    if request.method == "POST":
        try:
            outcome = gate.record_event(
                zone=user.zone, event_id=request.POST.get("event_id") or f"web-{uuid.uuid4().hex}",
                pass_number=request.POST.get("pass_number", ""), gate_id=request.POST.get("gate_id", "") or "G1",
                direction=request.POST.get("direction", ""), weight=request.POST.get("weight") or None, by=user,
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        except (ArithmeticError, ValueError):
            messages.error(request, _("The weight must be a number."))
    ctx = {
        "outcome": outcome,
        "exceptions": queries.open_exceptions(user)[:20],
        "recent": queries.gate_events(user).order_by("-at", "-id")[:15],
        "directions": Direction.choices,
        "gate_id": request.POST.get("gate_id", "") or request.GET.get("gate", "G1"),
        "gates": list(ZoneGate.objects.filter(zone_id=user.zone_id).order_by("stage", "code")),
        "direction": request.POST.get("direction", "") or "I",
        "new_event_id": f"web-{uuid.uuid4().hex}",
    }
    return render(request, "operations/gate_officer.html", ctx, status=200)


@login_required
@require_POST
@scoped_object(GateException)
def exception_decide(request, pk):
    exc = get_object_or_404(GateException.objects.for_user(request.user), pk=pk)
    try:
        gate.decide(exc, release=request.POST.get("decision") == "release", reason=request.POST.get("reason", ""),
                    by=request.user)
    except DomainError as e:
        messages.error(request, str(e.message))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("operations:gate_officer")


class GatePassList(FilteredListView):
    model = GatePass
    filterset_class = GatePassFilterSet
    table_class = GatePassTable
    template_name = "operations/pass_list.html"
    title = gettext_lazy("Gate passes")
    export_filename = gettext_lazy("gate-passes")
    export_code = "operations.gatepass.exported"

    def get_queryset(self):
        return queries.gate_passes(self.request.user)


@login_required
@scoped_object(GatePass)
def pass_detail(request, pk):
    gp = get_object_or_404(queries.gate_passes(request.user), pk=pk)
    ctx = {"gp": gp, "documents": gp.documents.all(), "lines": gp.lines.select_related("document"),
           "events": gp.events.all(), "exceptions": gp.exceptions.select_related("decided_by"),
           "can_approve": may_write(request.user, "ops") and gp.status == PassStatus.APPLIED}
    return render(request, "operations/pass_detail.html", ctx)


@login_required
@require_POST
@scoped_object(GatePass)
def pass_approve(request, pk):
    gp = get_object_or_404(GatePass.objects.for_user(request.user), pk=pk)
    try:
        gate.approve_pass(gp, by=request.user)
    except DomainError as e:
        messages.error(request, str(e.message))
    return redirect("operations:pass_detail", gp.pk)


class GateEventList(FilteredListView):
    """The gate log (default: the last 24 hours)."""

    model = GateEvent
    filterset_class = GateEventFilterSet
    table_class = GateEventTable
    template_name = "operations/event_list.html"
    title = gettext_lazy("Gate log")
    export_filename = gettext_lazy("gate-log")
    export_code = "operations.gateevent.exported"

    def get_queryset(self):
        qs = queries.events_with_usage(queries.gate_events(self.request.user))
        if not self.request.GET.get("at_from") and not self.request.GET.get("at_to"):
            qs = qs.filter(at__gte=timezone.now() - dt.timedelta(hours=24))
        return qs


def figures(user, *, days: int = 30, open_hours: int = 24, empty_minutes: int = 30) -> dict:
    """Traffic per day / hour / gate, open passes older than N hours, documents not fully passed, and
    empty-vehicle passes repeated by one vehicle within minutes."""
    now = timezone.now()
    since = now - dt.timedelta(days=days)
    released = queries.gate_events(user).filter(result=EventResult.RELEASED)
    per_day = list(released.filter(at__gte=since).annotate(d=TruncDate("at")).values("d").annotate(n=Count("id"))
                   .order_by("d"))
    today_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    per_hour = dict(released.filter(at__gte=today_start).annotate(h=ExtractHour("at")).values("h")
                    .annotate(n=Count("id")).order_by().values_list("h", "n"))
    per_gate = list(released.filter(at__gte=since).values("gate_id", "direction").annotate(n=Count("id"))
                    .order_by("gate_id", "direction"))
    # open: not yet through the gate, or between the two gates (已过一卡)
    old_open = queries.gate_passes(user).filter(
        status__in=[PassStatus.APPLIED, PassStatus.APPROVED, PassStatus.FIRST_GATE],
        created_at__lt=now - dt.timedelta(hours=open_hours),
    )
    from .models import StockNote

    unfinished = (StockNote.objects.for_user(user).filter(passed=False)
                  .filter(pk__in=GatePassDocument.objects.filter(gate_pass__status__in=gate.USED)
                          .values("stock_note_id")).select_related("enterprise")[:50])
    empties = list(released.filter(at__gte=since, gate_pass__pass_type=PassType.EMPTY)
                   .values_list("gate_pass__vehicle__plate", "at").order_by("gate_pass__vehicle__plate", "at"))
    abuse = Counter()
    for (p1, t1), (p2, t2) in zip(empties, empties[1:], strict=False):
        if p1 == p2 and (t2 - t1) <= dt.timedelta(minutes=empty_minutes):
            abuse[p1] += 1
    return {
        "per_day": per_day, "per_hour": [(h, per_hour.get(h, 0)) for h in range(24)], "per_gate": per_gate,
        "old_open": old_open.select_related("vehicle")[:50], "old_open_count": old_open.count(),
        "unfinished": unfinished, "abuse": sorted(abuse.items(), key=lambda kv: -kv[1])[:20],
        "today": sum(per_hour.values()), "open_hours": open_hours, "empty_minutes": empty_minutes,
    }


@login_required
def gate_figures(request):
    try:
        hours = min(max(int(request.GET.get("hours", 24)), 1), 24 * 90)
    except ValueError:
        hours = 24
    return render(request, "operations/gate_figures.html", figures(request.user, open_hours=hours))


@login_required
def rule_lists(request):
    user = request.user
    rules_qs = NegativeListRule.objects.for_user(user).select_related("zone")
    resp = ResponsibilityEntry.objects.for_user(user).select_related("zone", "unit", "person")
    if request.GET.get("export") == "responsibility":
        from zonebook.core.exports import XlsxBook

        book = XlsxBook(constant_memory=False)
        ws = book.sheet("安全生产责任清单")
        ws.note("安全生产责任清单", bold=True, size=14, span=5, align="center")
        ws.header(["园区", "单位", "岗位", "责任人", "职责"])
        for r in resp:
            ws.row([r.zone.short_name, r.unit_label, r.position, r.person_label, r.duty])
        record_event("operations.responsibility.exported", by=user, message=f"{resp.count()} rows")
        out = HttpResponse(book.bytes(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        out["Content-Disposition"] = 'attachment; filename="responsibility-list.xlsx"'
        return out
    if request.GET.get("export") == "negative":
        from zonebook.core.exports import XlsxBook

        book = XlsxBook(constant_memory=False)
        ws = book.sheet("环保负面清单")
        ws.header(["园区", "类别", "代码/关键词", "规则", "依据"])
        for r in rules_qs:
            ws.row([r.zone.short_name, r.get_kind_display(), r.pattern, r.description, r.source])
        record_event("operations.negativelist.exported", by=user, message=f"{rules_qs.count()} rows")
        out = HttpResponse(book.bytes(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        out["Content-Disposition"] = 'attachment; filename="negative-list.xlsx"'
        return out
    notice = {"title": "", "body": ""}
    if request.method == "POST":
        from .rules import send_safety_notice

        notice = {"title": request.POST.get("title", ""), "body": request.POST.get("body", "")}
        try:
            n = send_safety_notice(zone=user.zone, by=user, **notice) if user.zone_id else 0
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            if n:
                messages.success(request, _("Safety notice sent to %(n)d people of the responsibility list.") % {"n": n})
                return redirect("operations:rule_lists")
            raise PermissionDenied(_("Safety notices are sent by the zone office of the zone."))
    can_notify = (user.scope_level == "zone" and user.role in ("zone_staff", "zone_leader") and may_write(user, "ops"))
    return render(request, "operations/rule_lists.html", {"rules": rules_qs, "resp": resp, "notice": notice,
                                                          "can_notify": can_notify})




@login_required
def gates(request):
    """The zone's gates (卡口): which is the first and the second gate (two-gate passage), which has the
    weighbridge.  The zone office adds and changes them; everyone in scope sees them."""
    user = request.user
    form = {"code": "", "name": "", "stage": GateStage.SINGLE, "weighbridge": True}
    if request.method == "POST":
        _office(user)
        form = {"code": request.POST.get("code", "").strip(), "name": request.POST.get("name", "").strip(),
                "stage": request.POST.get("stage", ""), "weighbridge": bool(request.POST.get("weighbridge"))}
        try:
            g = gate.save_gate(zone=user.zone, by=user, **form)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Gate %(g)s saved.") % {"g": g.code})
            return redirect("operations:gates")
    rows = ZoneGate.objects.for_user(user).select_related("zone").order_by("zone__name", "stage", "code")
    can_edit = may_write(user, "ops") and user.scope_level == "zone" and user.role in ("zone_staff", "zone_leader")
    return render(request, "operations/gates.html", {"rows": rows, "form": form, "stages": GateStage.choices,
                                                     "can_edit": can_edit})


# ------------------------------------------------------------------ containers (集装箱备案)


class ContainerList(FilteredListView):
    model = Container
    filterset_class = ContainerFilterSet
    table_class = ContainerTable
    template_name = "operations/container_list.html"
    title = gettext_lazy("Containers (集装箱)")
    export_filename = gettext_lazy("containers")
    export_code = "operations.container.exported"

    def get_queryset(self):
        return queries.containers(self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_add"] = may_write(self.request.user, "ops") and self.request.user.scope_level == "zone"
        return ctx


@login_required
def container_create(request):
    user = request.user
    if not may_write(user, "ops") or user.scope_level != "zone":
        raise PermissionDenied(_("Containers are filed by a zone account."))
    form = ContainerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            c = gate.add_container(zone=user.zone, by=user, **form.cleaned_data)
        except (DomainError, ValidationError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Container %(n)s filed.") % {"n": c.number})
            return redirect("operations:container_detail", c.pk)
    return render(request, "operations/container_form.html", {"form": form, "container": None})


@login_required
@scoped_object(Container)
def container_detail(request, pk):
    c = get_object_or_404(queries.containers(request.user), pk=pk)
    can_edit = may_write(request.user, "ops")
    tare = f"{c.tare_weight:f}".rstrip("0").rstrip(".") if "." in f"{c.tare_weight:f}" else f"{c.tare_weight:f}"
    initial = {"number": c.number, "size_type": c.size_type, "tare_weight": tare, "owner": c.owner,
               "active": c.active}
    form = ContainerForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("You may not change containers."))
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "number"}
            try:
                changes = gate.update_container(c, by=request.user, **data)
            except (DomainError, ValidationError) as exc:
                apply_service_error(form, exc)
            else:
                if changes:
                    messages.success(request, _("Container %(n)s saved.") % {"n": c.number})
                return redirect("operations:container_detail", c.pk)
    passes = c.passes.select_related("vehicle").order_by("-created_at", "-id")[:20]
    return render(request, "operations/container_form.html",
                  {"form": form, "container": c, "passes": passes, "can_edit": can_edit})


@login_required
@scoped_object(StockNote)
def note_detail(request, pk):
    """The stock note with its lines and the passes that carry it (一票多车: 已过卡 n / m 车)."""
    note = get_object_or_404(queries.stock_notes(request.user), pk=pk)
    passes = (GatePass.objects.filter(documents__stock_note=note).select_related("vehicle").distinct()
              .order_by("created_at", "id"))
    return render(request, "operations/note_detail.html", {
        "note": note, "lines": note.lines.all(), "passes": passes,
        "usage": queries.usage_label(note.passes_passed, note.passes_bound),
    })
