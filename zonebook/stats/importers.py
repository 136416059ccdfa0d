"""Customs trade statistics import (海关统计): by entity, trade mode (监管方式), month and currency.

One row: entity code, month (YYYY-MM), basis (当月 / 累计), currency (CNY / USD, kept apart: RMB rows
feed the RMB indicators, USD rows the USD ones), exports, imports and optionally the total, which
must equal exports + imports.  A trade mode, when given, must be in the registry's 监管方式 code table;
rows of one entity, month, basis and currency with trade modes are summed into the entity's totals
(the per-mode values are checked, not stored separately).

Update mode: a re-sent month replaces the earlier official values with an audit entry
(``services.record_observation``), never a duplicate; the platform import's update mode is not on
this branch yet, so this kind implements the replacement itself.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from zonebook.core.imports.kinds import Column, ImportKind, Row, register
from zonebook.core.imports.parsers import CellError, Choice, DecimalNumber, Text, clean_text
from zonebook.registry.parsers import CodeRef

from . import services
from .models import Basis, Entity, Indicator, Provenance

CURRENCIES = (("CNY", _("RMB")), ("USD", _("US dollars")))
BASES = (("month", _("month")), ("cum", _("year to date")))


class Month(Text):
    type_label = _("month (YYYY-MM)")

    def __init__(self):
        super().__init__(7)

    def parse(self, raw):
        import datetime as dt

        if isinstance(raw, dt.datetime | dt.date):
            return dt.date(raw.year, raw.month, 1)
        text = clean_text(raw)
        try:
            return dt.datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise CellError(_("A period is written YYYY-MM, e.g. 2008-12.")) from None


@register
class CustomsStatisticsImport(ImportKind):
    key = "stats_customs"
    label = _("Customs trade statistics")
    description = _("Exports and imports by zone or enterprise, trade mode and month, in RMB or US dollars; "
                    "a re-sent month replaces the earlier values.")
    write_area = "stats"
    columns = [
        Column("entity", _("Entity code"), Text(40), required=True, aliases=("单位代码", "区域代码", "entity"),
               example="CD-EPZ"),
        Column("period", _("Month"), Month(), required=True, aliases=("月份", "period"), example="2008-12"),
        Column("basis", _("Basis"), Choice(BASES, {"当月": "month", "累计": "cum", "1-本月": "cum"}), required=True,
               aliases=("口径", "basis"), example="累计"),
        Column("currency", _("Currency"), Choice(CURRENCIES, {"人民币": "CNY", "美元": "USD"}), required=True,
               aliases=("币制", "currency"), example="美元"),
        Column("trade_mode", _("Trade mode"), CodeRef("trade_mode"), aliases=("监管方式", "贸易方式", "trade mode"),
               example=""),
        Column("exports", _("Exports"), DecimalNumber(20, 4, Decimal(0)), required=True, aliases=("出口", "exports"),
               example="17.4"),
        Column("imports", _("Imports"), DecimalNumber(20, 4, Decimal(0)), required=True, aliases=("进口", "imports"),
               example="30.1"),
        Column("total", _("Total"), DecimalNumber(20, 4, Decimal(0)), aliases=("进出口", "total"), example="47.5"),
    ]

    def prepare(self) -> None:
        super().prepare()
        self.entities = {e.code.lower(): e for e in Entity.objects.for_user(self.user)}
        self.indicators = {i.code: i for i in Indicator.objects.filter(code__in=[
            f"{k}_{c}" for k in ("TRADE", "EXPORT", "IMPORT") for c in ("CNY", "USD")])}

    def validate(self, rows: list[Row]) -> list:
        errors = []
        seen = {}
        for row in rows:
            v = row.values
            if (v.get("entity") or "").lower() not in self.entities:
                errors.append(self.error(row, "entity", _("Unknown entity code, or not in your scope.")))
            total = v.get("total")
            if total is not None and total != v["exports"] + v["imports"]:
                errors.append(self.error(row, "total", _("Imports + exports (%(sum)s) differ from the total.") % {
                    "sum": v["exports"] + v["imports"]}))
            mode = v.get("trade_mode")
            key = (str(v.get("entity")).lower(), v.get("period"), v.get("basis"), v.get("currency"),
                   mode.code if mode else "")
            if key in seen:
                errors.append(self.error(row, "period", _("The same entity, month, trade mode and currency is already "
                                                          "in row %(row)s.") % {"row": seen[key]}))
            seen[key] = row.number
        return errors

    def write(self, rows, by) -> int:
        sums: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for row in rows:
            v = row.values
            key = (v["entity"].lower(), v["period"], v["basis"], v["currency"])
            sums[key][0] += v["exports"]
            sums[key][1] += v["imports"]
        n = 0
        for (code, period, basis, currency), (ex, im) in sums.items():
            entity = self.entities[code]
            for name, value in (("EXPORT", ex), ("IMPORT", im), ("TRADE", ex + im)):
                _obs, result = services.record_observation(
                    entity, self.indicators[f"{name}_{currency}"], period, basis, value,
                    provenance=Provenance.IMPORTED, source_ref=str(_("customs statistics import")), by=by,
                )
                n += result != "unchanged"
        return n


__all__ = ["CustomsStatisticsImport", "Basis"]
