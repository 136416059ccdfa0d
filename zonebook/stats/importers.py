"""Customs trade statistics import (海关统计): by entity, trade mode (监管方式), month and currency.

One row: entity code, month (YYYY-MM), basis (当月 / 累计), currency (CNY / USD, kept apart: RMB rows
feed the RMB indicators, USD rows the USD ones), exports, imports and optionally the total, which
must equal exports + imports.  A trade mode, when given, must be in the registry's 监管方式 code table;
rows of one entity, month, basis and currency with trade modes are summed into the entity's totals
(the per-mode values are checked, not stored separately).

The kind uses the platform's update mode (``zonebook.core.imports.updates``): the observation's key
is entity + indicator (EXPORT/IMPORT/TRADE of the row's currency) + month (``ym``) + basis.  In update
mode a re-sent month replaces the stored value — one ``bulk_update`` per batch and one audit entry per
observation with before/after (``stats.observation.replaced``), never a duplicate; the same values
write nothing.  An imported value is official: it replaces a derived one (provenance and exchange
rate follow), while ``sql.recompute`` never overwrites an official value.  In create mode a month
that exists already is an error naming the row.  The rows of one entity, month, basis and currency
(one per trade mode) describe the same three observations, so they must follow each other in the
file (a batch never splits them).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core.imports import messages as msg
from zonebook.core.imports.kinds import Column, ImportKind, Row, register
from zonebook.core.imports.parsers import CellError, Choice, DecimalNumber, Text, clean_text
from zonebook.registry.parsers import CodeRef

from . import freshness, services
from .models import Basis, Entity, Indicator, Observation, Provenance, ym_of

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


class RecomputeAfterImport:
    """An import of official values asks for the recomputation of the years it wrote, as a background
    job created in the import's transaction (``freshness.request_recompute``; one job per run)."""

    recompute_job = None

    def touched(self, periods, by) -> None:
        years = {p.year for p in periods if p is not None}
        if years:
            self.recompute_job = freshness.request_recompute(years, by=by, source=self.key, job=self.recompute_job)


@register
class CustomsStatisticsImport(RecomputeAfterImport, ImportKind):
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

    model = Observation
    update_mode = True
    key_fields = ("entity", "indicator", "ym", "basis")
    update_fields = ("value", "provenance", "fx_rate", "fx_note")

    def prepare(self) -> None:
        super().prepare()
        self.entities = {e.code.lower(): e for e in Entity.objects.for_user(self.user)}
        self.indicators = {i.code: i for i in Indicator.objects.filter(code__in=[
            f"{k}_{c}" for k in ("TRADE", "EXPORT", "IMPORT") for c in ("CNY", "USD")])}
        self.update_message = gettext("A re-sent value replaced the earlier one.")
        self.source_ref = gettext("customs statistics import")
        self.seen: dict[tuple, int] = {}
        self.group_batch: dict[tuple, int] = {}  # group → the batch that holds its rows
        self.batch_no = 0
        self.groups: dict[tuple, list[Observation]] = {}
        self.batch_yms: set[int] = set()

    @staticmethod
    def group_of(v: dict) -> tuple:
        return (str(v.get("entity") or "").lower(), v.get("period"), v.get("basis"), v.get("currency"))

    def batch_key(self, row: Row):
        return self.group_of(row.values)  # a full batch never splits the trade modes of one month

    def validate(self, rows: list[Row]) -> list:
        errors = []
        self.batch_no += 1
        self.groups = {}
        self.batch_yms = set()
        existing = set()
        if not self.updating:
            existing = self._existing_groups(rows)
        sums: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for row in rows:
            v = row.values
            bad = False
            entity = self.entities.get((v.get("entity") or "").lower())
            if entity is None:
                errors.append(self.error(row, "entity", _("Unknown entity code, or not in your scope.")))
                bad = True
            total = v.get("total")
            if total is not None and total != v["exports"] + v["imports"]:
                errors.append(self.error(row, "total", _("Imports + exports (%(sum)s) differ from the total.") % {
                    "sum": v["exports"] + v["imports"]}))
                bad = True
            mode = v.get("trade_mode")
            key = (str(v.get("entity")).lower(), v.get("period"), v.get("basis"), v.get("currency"),
                   mode.code if mode else "")
            if key in self.seen:
                errors.append(self.error(row, "period", _("The same entity, month, trade mode and currency is already "
                                                          "in row %(row)s.") % {"row": self.seen[key]}))
                bad = True
            self.seen.setdefault(key, row.number)
            group = self.group_of(v)
            if self.group_batch.setdefault(group, self.batch_no) != self.batch_no:
                errors.append(self.error(row, "entity", _(
                    "The rows of one entity, month, basis and currency must follow each other in the file.")))
                bad = True
            if group in existing:
                errors.append(self.error(row, "period", f'{_("This month is imported already for this entity, basis and currency.")} '
                                                          f"{msg.UPDATE_HINT}"))
                bad = True
            for name in ("EXPORT", "IMPORT", "TRADE"):
                indicator = self.indicators.get(f"{name}_{v['currency']}")
                try:
                    services._check_basis(indicator, v["basis"])
                except services.StatsError as exc:
                    errors.append(self.error(row, "basis", "; ".join(exc.messages)))
                    bad = True
                    break
            if bad:
                continue
            row.group = group
            sums[group][0] += v["exports"]
            sums[group][1] += v["imports"]
        for (code, period, basis, currency), (ex, im) in sums.items():
            entity = self.entities[code]
            ym = ym_of(period)
            self.batch_yms.add(ym)
            self.groups[(code, period, basis, currency)] = [
                Observation(entity=entity, indicator=self.indicators[f"{name}_{currency}"], period=period, ym=ym,
                            basis=basis, value=value, provenance=Provenance.IMPORTED, source_ref=self.source_ref,
                            fx_rate=None, fx_note="")
                for name, value in (("EXPORT", ex), ("IMPORT", im), ("TRADE", ex + im))
            ]
        return errors

    def _existing_groups(self, rows: list[Row]) -> set[tuple]:
        """Create mode: the groups of the batch that have an observation already (one query)."""
        entities = {self.entities[c].pk: c for c in {self.group_of(r.values)[0] for r in rows} if c in self.entities}
        yms = {ym_of(r.values["period"]) for r in rows}
        currency_of = {ind.pk: code.rsplit("_", 1)[1] for code, ind in self.indicators.items()}
        found = Observation.objects.filter(
            entity_id__in=entities, ym__in=yms, indicator_id__in=currency_of
        ).values_list("entity_id", "period", "basis", "indicator_id")
        return {(entities[e], period, basis, currency_of[i]) for e, period, basis, i in found}

    # -- update mode ------------------------------------------------------------------------------
    def records(self, row: Row) -> list:
        return self.groups.get(getattr(row, "group", None), [])

    def existing_queryset(self):
        return Observation.objects.filter(
            indicator__in=list(self.indicators.values()), ym__in=self.batch_yms
        ).select_related("entity", "indicator")

    def given_fields(self, row: Row) -> set[str]:
        return set(self.update_fields)  # the row gives the whole value (an official one)

    def key_text(self, obj) -> str:
        # the row's group (its exports, imports and total change together)
        return f"{obj.entity.code} {obj.period:%Y-%m} {obj.get_basis_display()} {obj.indicator.code.rsplit('_', 1)[1]}"

    def keep_new(self, row: Row, objs: list) -> None:
        row.new_objs = objs

    def write(self, rows, by) -> int:
        objs = list({id(o): o for row in rows for o in (getattr(row, "new_objs", None) or self.records(row))}.values())
        Observation.objects.bulk_create(objs)
        self.touched({o.period for o in objs}, by)
        AuditEntry.objects.bulk_create([
            audit.entry(o, code="stats.observation.created", by=by, action=AuditEntry.Action.CREATE,
                        changes={"value": [None, str(o.value)], "provenance": [None, o.provenance]},
                        message=self.source_ref)
            for o in objs
        ])
        return len(objs)

    def write_changes(self, changes, by) -> int:
        unique = list({id(c.obj): c for c in changes}.values())  # the rows of one month share records
        for c in unique:
            if c.obj.source_ref != self.source_ref:
                c.fields["source_ref"] = (c.obj.source_ref, self.source_ref)
        self.touched({c.obj.period for c in unique}, by)
        return audit.bulk_update(unique, by=by, code="stats.observation.replaced", message=self.update_message)


__all__ = ["CustomsStatisticsImport", "Basis"]
