"""The registry's dashboard panel (declared in registration.py): zones and enterprises by zone and
by zone type, from one GROUP BY over the user's zones; charts by the documents app's ``{% chart %}``."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from zonebook.documents.charts import chart

from .choices import EnterpriseStatus
from .models import Zone


def zones_panel(request) -> dict:
    user = request.user
    english = (get_language() or "").startswith("en")
    rows = list(
        Zone.objects.for_user(user)
        .order_by()
        .values("id", "short_name", "kind__code", "kind__name", "kind__name_en")
        .annotate(enterprises=Count("enterprises", filter=~Q(enterprises__status=EnterpriseStatus.DEREGISTERED)))
        .order_by("kind__code", "short_name")
    )
    types: dict[str, dict] = {}
    for r in rows:
        name = (r["kind__name_en"] if english else "") or r["kind__name"]
        t = types.setdefault(r["kind__code"], {"code": r["kind__code"], "name": name, "zones": 0, "enterprises": 0})
        t["zones"] += 1
        t["enterprises"] += r["enterprises"]
        r["kind_name"] = name
    by_zone = sorted(rows, key=lambda r: (-r["enterprises"], r["short_name"]))
    return {
        "zone_rows": by_zone,
        "type_rows": list(types.values()),
        "zone_total": len(rows),
        "enterprise_total": sum(r["enterprises"] for r in rows),
        "zone_chart": chart(
            "ranked_bar",
            _("Enterprises by zone"),
            [r["short_name"] for r in by_zone[:15]],
            {_("Enterprises"): [r["enterprises"] for r in by_zone[:15]]},
        ),
        "type_chart": chart(
            "pie", _("Zones by type"), [t["name"] for t in types.values()], {_("Zones"): [t["zones"] for t in types.values()]}
        ),
    }
