"""The notification kinds of the alerts app, declared in its registration (``notify`` registers them).

Texts are rendered when read, in the reader's language, from the parameters stored by
``services.send_due_alerts`` (book, enterprise, due, period, light, carry_over; for flags flag_kind,
metric, value, reference, deviation).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.notify import lights

from .choices import AlertKind, FlagKind, Metric

EXPIRY, WRITEOFF, TAX_DUE, CARRYOVER, FLAG = (
    "alerts.expiry",
    "alerts.writeoff",
    "alerts.tax_due",
    "alerts.carryover",
    "alerts.flag",
)
# AlertKind value -> notification kind code
ALERT_KINDS = {
    AlertKind.EXPIRY: EXPIRY,
    AlertKind.WRITEOFF: WRITEOFF,
    AlertKind.TAX_DUE: TAX_DUE,
    AlertKind.CARRYOVER: CARRYOVER,
}


def _alert_link(obj, params):
    return reverse("alerts:alert_detail", args=[obj.pk]) if obj is not None else ""


def _flag_link(obj, params):
    return reverse("alerts:flag_detail", args=[obj.pk]) if obj is not None else ""


def _carryover_title(p) -> str:
    return _("Carry-over %(co)s: halves of book %(book)s since %(period)s must be matched by %(due)s") % {
        "co": p.get("carry_over", ""),
        "book": p.get("book", ""),
        "period": p.get("period", ""),
        "due": p.get("due", ""),
    }


def _alert_body(p) -> str:
    light = lights.light_info(p.get("light", "")).label if p.get("light") in ("red", "amber") else ""
    return _("%(enterprise)s · traffic light %(light)s when sent.") % {
        "enterprise": p.get("enterprise", ""),
        "light": light,
    }


def _flag_body(p) -> str:
    kind = str(FlagKind(p["flag_kind"]).label) if p.get("flag_kind") in FlagKind.values else ""
    metric = str(Metric(p["metric"]).label) if p.get("metric") in Metric.values else ""
    return _("%(kind)s: %(metric)s %(value)s against %(reference)s (%(deviation)s).") % {
        "kind": kind,
        "metric": metric,
        "value": p.get("value", ""),
        "reference": p.get("reference", ""),
        "deviation": p.get("deviation", ""),
    }


# The kinds, declared in this app's registration (``registration.MODULE.notification_kinds``).
KINDS = [
    dict(
        code=EXPIRY,
        label=AlertKind.EXPIRY.label,
        title=gettext_lazy("Book %(book)s expires on %(due)s"),
        body=_alert_body,
        link=_alert_link,
    ),
    dict(
        code=WRITEOFF,
        label=AlertKind.WRITEOFF.label,
        title=gettext_lazy("Book %(book)s must be reported for write-off by %(due)s"),
        body=_alert_body,
        link=_alert_link,
    ),
    dict(
        code=TAX_DUE,
        label=AlertKind.TAX_DUE.label,
        title=gettext_lazy("Domestic-sale tax of book %(book)s for %(period)s is due on %(due)s"),
        body=_alert_body,
        link=_alert_link,
    ),
    dict(
        code=CARRYOVER,
        label=AlertKind.CARRYOVER.label,
        title=_carryover_title,
        body=_alert_body,
        link=_alert_link,
    ),
    dict(
        code=FLAG,
        label=gettext_lazy("Consumption plausibility flag"),
        title=gettext_lazy("Consumption plausibility flag on book %(book)s"),
        body=_flag_body,
        link=_flag_link,
    ),
]
