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


panels.register(
    "ledger.oversight",
    panels.Panel(key="alerts", template="alerts/_oversight_panel.html", order=10, context=_oversight),
)
panels.register(
    "ledger.writeoff",
    panels.Panel(key="alerts", template="alerts/_writeoff_panel.html", order=10, context=_writeoff),
)
