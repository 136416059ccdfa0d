"""Panels this app adds to ledger pages through ``core.panels`` (the ledger never imports alerts)."""

from __future__ import annotations

from zonebook.core import panels

from . import queries
from .choices import FlagKind, FlagState
from .models import PlausibilityFlag


def _oversight(request, obj):
    return queries.oversight_panel(request.user)


def _writeoff(request, wo):
    flags = (
        PlausibilityFlag.objects.for_user(request.user)
        .filter(writeoff=wo, kind=FlagKind.WRITEOFF_ACTUAL, state=FlagState.OPEN)
        .select_related("material")
        .order_by("material__seq_no")
    )
    return {"wo_flags": list(flags[:50])}


def _liaison_enterprises(request, enterprises):
    """The ledger's red and overdue deadlines of a liaison's enterprises (the service app's page
    ``service.my_enterprises`` renders this panel; it never imports alerts)."""
    from .choices import AlertState

    ids = [e.pk for e in enterprises or ()]
    rows = (
        queries.alerts(request.user).filter(state=AlertState.OPEN, book__enterprise_id__in=ids, light="red")
        .order_by("due_date", "id")
    )
    return {"ledger_alerts": list(rows[:30])}


panels.register(
    "service.my_enterprises",
    panels.Panel(key="alerts", template="alerts/_liaison_panel.html", order=10, context=_liaison_enterprises),
)
panels.register(
    "ledger.oversight",
    panels.Panel(key="alerts", template="alerts/_oversight_panel.html", order=10, context=_oversight),
)
panels.register(
    "ledger.writeoff",
    panels.Panel(key="alerts", template="alerts/_writeoff_panel.html", order=10, context=_writeoff),
)
