"""Alert pages: the deadline register and plausibility flags with their evidence (notifications: ``zonebook.notify``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zonebook.accounts.choices import Role
from zonebook.audit.services import history
from zonebook.core.errors import DomainError
from zonebook.core.lists import FilteredListView
from zonebook.core.permissions import has_role, may_write
from zonebook.core.views import scoped_object

from . import charts, queries, services
from .choices import AlertKind, AlertState, FlagKind
from .filtersets import AlertFilterSet, PlausibilityFlagFilterSet
from .models import Alert, AlertSettings, PlausibilityFlag
from .tables import AlertTable, PlausibilityFlagTable


def can_run(user) -> bool:
    """Refreshing the registers and sending notifications: zone offices and system administrators."""
    return has_role(user, Role.SYSTEM_ADMIN) or may_write(user, "ledger_oversight")


def can_dismiss(user) -> bool:
    """Enterprise users (own books) and zone offices may dismiss an alert; customs liaisons read only."""
    return may_write(user, "ledger") or may_write(user, "ledger_oversight")


class AlertList(FilteredListView):
    model = Alert
    filterset_class = AlertFilterSet
    table_class = AlertTable
    template_name = "alerts/alert_list.html"
    title = gettext_lazy("Alerts")
    export_filename = gettext_lazy("alerts")
    export_code = "alerts.alert.exported"

    def get_queryset(self):
        return queries.alerts(self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["settings"] = AlertSettings.current()
        ctx["can_run"] = can_run(self.request.user)
        return ctx


class PlausibilityFlagList(FilteredListView):
    model = PlausibilityFlag
    filterset_class = PlausibilityFlagFilterSet
    table_class = PlausibilityFlagTable
    template_name = "alerts/flag_list.html"
    title = gettext_lazy("Consumption plausibility")
    export_filename = gettext_lazy("plausibility-flags")
    export_code = "alerts.plausibilityflag.exported"

    def get_queryset(self):
        return queries.flags(self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["settings"] = AlertSettings.current()
        return ctx


@login_required
@require_POST
def refresh(request):
    if not can_run(request.user):
        raise PermissionDenied(_("Your role may not refresh alerts."))
    job = services.start_refresh_job(request.user)
    messages.info(request, _("Alerts are being refreshed in the background."))
    return redirect("jobs:detail", job.pk)


@login_required
@scoped_object(Alert)
def alert_detail(request, pk):
    today = timezone.localdate()
    alert = get_object_or_404(queries.alerts(request.user, today), pk=pk)
    ctx = {
        "alert": alert,
        "days_left": (alert.due_date - today).days,
        "overdue_days": max((today - alert.due_date).days, 0),
        "can_dismiss": can_dismiss(request.user) and alert.state == AlertState.OPEN,
        "settings": AlertSettings.current(),
        "entries": history(alert)[:50],
        "is_tax": alert.kind == AlertKind.TAX_DUE,
    }
    return render(request, "alerts/alert_detail.html", ctx)


@login_required
@require_POST
@scoped_object(Alert)
def alert_dismiss(request, pk):
    alert = get_object_or_404(Alert.objects.for_user(request.user), pk=pk)
    if not can_dismiss(request.user):
        raise PermissionDenied(_("Your role may not dismiss alerts."))
    try:
        services.dismiss_alert(alert, by=request.user, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The alert was dismissed."))
    return redirect("alerts:alert_detail", alert.pk)


@login_required
@scoped_object(PlausibilityFlag)
def flag_detail(request, pk):
    flag = get_object_or_404(queries.flags(request.user).select_related("previous", "writeoff_line"), pk=pk)
    ctx = {"flag": flag}
    if flag.kind != FlagKind.WRITEOFF_ACTUAL:
        values = queries.peer_values(flag)
        dist = queries.distribution(values)
        own = getattr(flag.consumption, flag.metric) if flag.consumption_id else flag.value
        ctx.update(
            dist=dist,
            chart=charts.histogram(
                values,
                own,
                dist.get("median"),
                labels={"median": _("median"), "own": _("this row"), "title": _("Peer distribution")},
            ),
            min_peers=AlertSettings.current().peer_min_count,
        )
    return render(request, "alerts/flag_detail.html", ctx)
