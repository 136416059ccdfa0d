"""Notification texts, rendered in the reader's language from the stored parameters."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .choices import FlagKind, Metric, NotificationKind


def title(n) -> str:
    p = n.params or {}
    book = p.get("book", "")
    if n.kind == NotificationKind.EXPIRY:
        return _("Book %(book)s expires on %(due)s") % {"book": book, "due": p.get("due", "")}
    if n.kind == NotificationKind.WRITEOFF:
        return _("Book %(book)s must be reported for write-off by %(due)s") % {
            "book": book,
            "due": p.get("due", ""),
        }
    if n.kind == NotificationKind.TAX_DUE:
        return _("Domestic-sale tax of book %(book)s for %(period)s is due on %(due)s") % {
            "book": book,
            "period": p.get("period", ""),
            "due": p.get("due", ""),
        }
    if n.kind == NotificationKind.CARRYOVER:
        return _("Carry-over %(co)s: halves of book %(book)s since %(period)s must be matched by %(due)s") % {
            "co": p.get("carry_over", ""),
            "book": book,
            "period": p.get("period", ""),
            "due": p.get("due", ""),
        }
    if n.kind == NotificationKind.FLAG:
        return _("Consumption plausibility flag on book %(book)s") % {"book": book}
    return str(n.kind)


def body(n) -> str:
    p = n.params or {}
    if n.kind == NotificationKind.FLAG:
        kind = str(FlagKind(p["flag_kind"]).label) if p.get("flag_kind") in FlagKind.values else ""
        metric = str(Metric(p["metric"]).label) if p.get("metric") in Metric.values else ""
        return _("%(kind)s: %(metric)s %(value)s against %(reference)s (%(deviation)s).") % {
            "kind": kind,
            "metric": metric,
            "value": p.get("value", ""),
            "reference": p.get("reference", ""),
            "deviation": p.get("deviation", ""),
        }
    light = {"red": _("red"), "amber": _("amber")}.get(p.get("light", ""), "")
    return _("%(enterprise)s · traffic light %(light)s when sent.") % {
        "enterprise": p.get("enterprise", ""),
        "light": light,
    }
