"""Every write of the alerts app.

* ``save_settings(data, by)`` — thresholds, validated and audited (``alerts.alertsettings.updated``);
* ``refresh_alerts(today)`` / ``refresh_flags()`` — bring the registers up to date set-based: one
  upsert (``bulk_create(update_conflicts=True)`` on ``key``), one UPDATE reopening rows that hold
  again, one UPDATE resolving/clearing rows that no longer hold; dismissed alerts stay dismissed;
* ``send_due_alerts(today)`` — refresh, then one notification per (alert or flag, responsible user)
  through ``zonebook.notify`` (idempotent on (recipient, dedupe key); kinds in ``notifications``);
* ``dismiss_alert(alert, by, note)`` — e.g. "domestic-sale tax paid" (audited);
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.accounts.choices import ScopeLevel
from zonebook.audit import services as audit
from zonebook.core.errors import DomainError
from zonebook.notify import services as notify

from . import deadlines, notifications, plausibility
from .choices import AlertState, FlagState
from .models import Alert, AlertSettings, PlausibilityFlag

SETTINGS_FIELDS = [f.name for f in AlertSettings._meta.concrete_fields if f.name not in ("id", "updated_at")]
ALERT_UPDATE_FIELDS = ["due_date", "basis_date", "period", "list_count", "amount", "refreshed_at"]
FLAG_UPDATE_FIELDS = [
    "value",
    "reference",
    "deviation",
    "threshold",
    "peer_count",
    "previous_id",
    "province_code",
    "product_hs",
    "material_hs",
    "version",
    "refreshed_at",
]
CHUNK = 2000


# ------------------------------------------------------------------ settings


def save_settings(data: dict, *, by=None) -> dict:
    """Change thresholds; returns the changes.  Unknown fields are refused; the row is validated."""
    unknown = set(data) - set(SETTINGS_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown alert setting(s): %(f)s.") % {"f": ", ".join(sorted(unknown))}, code="unknown_field"
        )
    with transaction.atomic():
        obj = AlertSettings.objects.select_for_update().filter(pk=1).first() or AlertSettings.current()
        return audit.update(obj, data, by=by)


# ------------------------------------------------------------------ registers


@dataclass
class RefreshResult:
    open: int
    new: int
    resolved: int


def refresh_alerts(today: dt.date | None = None, *, cfg: AlertSettings | None = None) -> RefreshResult:
    """Recompute the deadline register as of ``today`` (set-based; see ``deadlines``)."""
    today = today or timezone.localdate()
    cfg = cfg or AlertSettings.current()
    rows = deadlines.current_rows(today, cfg)
    now = timezone.now()
    with transaction.atomic():
        before = Alert.objects.count()
        Alert.objects.bulk_create(
            [Alert(**r, first_seen_at=now, refreshed_at=now) for r in rows],
            batch_size=CHUNK,
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=ALERT_UPDATE_FIELDS,
        )
        new = Alert.objects.count() - before
        Alert.objects.filter(refreshed_at=now, state=AlertState.RESOLVED).update(
            state=AlertState.OPEN, resolved_at=None
        )
        resolved = (
            Alert.objects.filter(state=AlertState.OPEN)
            .exclude(refreshed_at=now)
            .update(state=AlertState.RESOLVED, resolved_at=now)
        )
        open_count = Alert.objects.filter(state=AlertState.OPEN).count()
    return RefreshResult(open=open_count, new=new, resolved=resolved)


def refresh_flags(*, cfg: AlertSettings | None = None) -> RefreshResult:
    """Recompute the plausibility flags (set-based; see ``plausibility``)."""
    cfg = cfg or AlertSettings.current()
    rows = plausibility.current_flags(cfg)
    now = timezone.now()
    with transaction.atomic():
        before = PlausibilityFlag.objects.count()
        PlausibilityFlag.objects.bulk_create(
            [PlausibilityFlag(**r, first_seen_at=now, refreshed_at=now) for r in rows],
            batch_size=CHUNK,
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=FLAG_UPDATE_FIELDS,
        )
        new = PlausibilityFlag.objects.count() - before
        PlausibilityFlag.objects.filter(refreshed_at=now, state=FlagState.CLEARED).update(
            state=FlagState.OPEN, cleared_at=None
        )
        cleared = (
            PlausibilityFlag.objects.filter(state=FlagState.OPEN)
            .exclude(refreshed_at=now)
            .update(state=FlagState.CLEARED, cleared_at=now)
        )
        open_count = PlausibilityFlag.objects.filter(state=FlagState.OPEN).count()
    return RefreshResult(open=open_count, new=new, resolved=cleared)


# ------------------------------------------------------------------ notifications


def _recipients_by_book(items):
    """{(enterprise_id, zone_id): [user ids]} for the rows' books (one query)."""
    ent_ids = {i["book__enterprise_id"] for i in items}
    zone_ids = {i["book__zone_id"] for i in items}
    by_ent: dict[int, list[int]] = {}
    by_zone: dict[int, list[int]] = {}
    for uid, level, ent, zone in notify.responsible_user_rows(ent_ids, zone_ids):
        if level == ScopeLevel.ENTERPRISE:
            by_ent.setdefault(ent, []).append(uid)
        else:
            by_zone.setdefault(zone, []).append(uid)
    return by_ent, by_zone


def send_due_alerts(today: dt.date | None = None, *, refresh: bool = True) -> dict:
    """Refresh the registers, then notify every responsible user of every open red (and, by default,
    amber) alert and every open plausibility flag — once: the dedupe key is the alert key plus its
    light, so an alert turning from amber to red is notified again, and re-running sends nothing."""
    from . import queries

    today = today or timezone.localdate()
    cfg = AlertSettings.current()
    result = {}
    if refresh:
        a = refresh_alerts(today, cfg=cfg)
        f = refresh_flags(cfg=cfg)
        result.update(alerts_open=a.open, alerts_new=a.new, alerts_resolved=a.resolved, flags_open=f.open)
    lights = ["red", "amber"] if cfg.notify_amber else ["red"]
    alerts = list(
        queries.with_light(Alert.objects.filter(state=AlertState.OPEN), today, cfg)
        .filter(light__in=lights)
        .values(
            "id",
            "key",
            "kind",
            "due_date",
            "period",
            "light",
            "book_id",
            "book__number",
            "book__enterprise_id",
            "book__zone_id",
            "book__enterprise__name",
            "carry_over__number",
        )
    )
    flags = []
    if cfg.notify_flags:
        flags = list(
            PlausibilityFlag.objects.filter(state=FlagState.OPEN).values(
                "id",
                "key",
                "kind",
                "metric",
                "value",
                "reference",
                "deviation",
                "book_id",
                "book__number",
                "book__enterprise_id",
                "book__zone_id",
                "book__enterprise__name",
            )
        )
    by_ent, by_zone = _recipients_by_book(alerts + flags)
    items = []
    for a in alerts:
        params = {
            "book": a["book__number"],
            "enterprise": a["book__enterprise__name"],
            "due": a["due_date"].isoformat(),
            "period": a["period"],
            "light": a["light"],
        }
        if a["carry_over__number"]:
            params["carry_over"] = a["carry_over__number"]
        url = reverse("alerts:alert_detail", args=[a["id"]])
        for uid in by_ent.get(a["book__enterprise_id"], []) + by_zone.get(a["book__zone_id"], []):
            items.append(
                notify.Pending(
                    recipient_id=uid,
                    kind=notifications.ALERT_KINDS[a["kind"]],
                    params=params,
                    url=url,
                    object_type="alerts.alert",
                    object_id=str(a["id"]),
                    dedupe_key=f"alert:{a['key']}:{a['light']}",
                )
            )
    for fl in flags:
        params = {
            "book": fl["book__number"],
            "enterprise": fl["book__enterprise__name"],
            "flag_kind": fl["kind"],
            "metric": fl["metric"],
            "value": _fmt(fl["value"]),
            "reference": _fmt(fl["reference"]),
            "deviation": _fmt(fl["deviation"]),
        }
        url = reverse("alerts:flag_detail", args=[fl["id"]])
        for uid in by_ent.get(fl["book__enterprise_id"], []) + by_zone.get(fl["book__zone_id"], []):
            items.append(
                notify.Pending(
                    recipient_id=uid,
                    kind=notifications.FLAG,
                    params=params,
                    url=url,
                    object_type="alerts.plausibilityflag",
                    object_id=str(fl["id"]),
                    dedupe_key=f"flag:{fl['key']}",
                )
            )
    with transaction.atomic():
        created = notify.notify_many(items, audit_changes={"today": today.isoformat(), **result})
        audit.record_event(
            "alerts.notifications.sent",
            message=f"{created} notifications",
            changes={"today": today.isoformat(), "candidates": len(items), "created": created, **result},
        )
    result["notifications"] = created
    return result


def _fmt(value) -> str:
    if value is None:
        return "—"
    return format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)


# ------------------------------------------------------------------ alerts


def dismiss_alert(alert: Alert, *, by, note: str) -> Alert:
    """Close an open alert by hand (e.g. the domestic-sale tax was paid); a refresh keeps it dismissed."""
    note = (note or "").strip()
    if not note:
        raise DomainError(
            _("Say why the alert is dismissed (e.g. the tax payment number)."),
            code="note_required",
            field="note",
        )
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("book__zone").get(pk=alert.pk)
        if alert.state != AlertState.OPEN:
            raise DomainError(_("Only open alerts can be dismissed."), code="bad_state")
        audit.update(
            alert,
            {
                "state": AlertState.DISMISSED,
                "dismissed_by": by,
                "note": note[:300],
                "resolved_at": timezone.now(),
            },
            by=by,
            code="alerts.alert.dismissed",
        )
    return alert


def start_refresh_job(user):
    """The page's "refresh and notify" button: a background job (django-tasks through ``jobs``)."""
    from zonebook.jobs.services import start_job

    return start_job(
        "alerts.send",
        _("Refresh alerts and send notifications"),
        user,
        "zonebook.alerts.jobs.run_send_alerts",
    )
