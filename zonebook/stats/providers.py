"""Figures other modules read through declared interfaces (no import of those modules here).

``trade_for_tiers`` is the key-enterprise trade provider of the ``service`` module (declared in
``registration.py`` as ``extra["service.trade_provider"]``): ``f(enterprise_ids, on) -> {enterprise_id:
Decimal USD}`` — each enterprise's imports + exports over the last 12 complete months before ``on``,
in US dollars, only when all 12 months are known (otherwise the enterprise is left out and its tier is
set by hand).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Sum

# what one unit of an indicator's unit is in the base currency unit
UNIT_FACTORS = {"亿美元": Decimal(10) ** 8, "万美元": Decimal(10) ** 4, "美元": Decimal(1),
                "亿元": Decimal(10) ** 8, "万元": Decimal(10) ** 4, "元": Decimal(1)}


def trade_for_tiers(enterprise_ids: list[int], on: dt.date) -> dict[int, Decimal]:
    from .models import Indicator, Observation, ym_of

    trade = Indicator.objects.filter(code="TRADE_USD").first()
    if trade is None or not enterprise_ids:
        return {}
    factor = UNIT_FACTORS.get(trade.unit)
    if factor is None:
        return {}
    last = ym_of(on) - 1
    rows = (
        Observation.objects.filter(entity__enterprise_id__in=enterprise_ids, indicator=trade, basis="month",
                                   ym__gt=last - 12, ym__lte=last)
        .values("entity__enterprise_id").annotate(total=Sum("value"), months=Count("id"))
    )
    return {r["entity__enterprise_id"]: (r["total"] * factor).quantize(Decimal("0.01"))
            for r in rows if r["months"] == 12}
