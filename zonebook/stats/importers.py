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

from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core.imports import messages as msg
from zonebook.core.imports.kinds import Column, ImportKind, Row, register
from zonebook.core.imports.parsers import Boolean, CellError, Choice, DecimalNumber, Text, clean_text
from zonebook.registry.parsers import CodeRef

from . import freshness, services
from .models import (
    Basis,
    Entity,
    Indicator,
    Observation,
    Provenance,
    ReportForm,
    ReportPeriod,
    Submission,
    SubmissionStatus,
    SubmissionValue,
    ym_of,
)

CURRENCIES = (("CNY", _("RMB")), ("USD", _("US dollars")))
BASES = (("month", _("month")), ("cum", _("year to date")))


class Month(Text):
    type_label = _("month (YYYY-MM)")

    def __init__(self):
        super().__init__(7)

    def parse(self, raw):
        """2008-12, 2008/12, 2008-12-01, 2008年12月, 200812 (full-width digits too), a date cell or an
        Excel date serial number (a date cell read as a number)."""
        import datetime as dt
        import re

        from zonebook.core.imports.parsers import SERIAL_MAX, SERIAL_MIN, excel_serial_to_date

        if isinstance(raw, dt.datetime | dt.date):
            return dt.date(raw.year, raw.month, 1)
        if isinstance(raw, int | float) and not isinstance(raw, bool) and SERIAL_MIN <= raw <= SERIAL_MAX and raw > 9999:
            d = excel_serial_to_date(raw)
            return dt.date(d.year, d.month, 1)
        text = clean_text(raw).replace(" ", "")
        if text.isdigit() and len(text) == 5:  # a serial given as text
            d = excel_serial_to_date(int(text))
            return dt.date(d.year, d.month, 1)
        m = re.fullmatch(r"(\d{4})(?:[-/.年])?(\d{1,2})(?:月|[-/.]\d{1,2}日?)?", text)
        if m and 1 <= int(m.group(2)) <= 12:
            return dt.date(int(m.group(1)), int(m.group(2)), 1)
        raise CellError(_("A period is written YYYY-MM, e.g. 2008-12."))


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


REFERENCE_ROLES = ("province_commerce", "system_admin")


def _value_columns(*, entity: str, period: str, value: str) -> list[Column]:
    """The columns of a one-value-a-row file (entity, month, indicator, basis, value), shared by the
    totals/peers import and the bulk returns import; the arguments are the template's examples."""
    return [
        Column("entity", _("Entity code"), Text(40), required=True, aliases=("单位代码", "区域代码", "entity"),
               example=entity),
        Column("period", _("Month"), Month(), required=True, aliases=("月份", "period"), example=period),
        Column("indicator", _("Indicator"), Text(120), required=True, aliases=("指标代码", "指标", "indicator"),
               example="TRADE_USD"),
        Column("basis", _("Basis"), Choice(BASES, {"当月": "month", "累计": "cum", "1-本月": "cum"}), required=True,
               aliases=("口径", "basis"), example="累计"),
        Column("value", pgettext_lazy("stats", "value"), DecimalNumber(20, 4), required=True,
               aliases=("数值", "value"), example=value),
    ]


@register
class ValuesImport(RecomputeAfterImport, ImportKind):
    """统计数据导入 (totals and peers): published official values, one a row — the province's and the
    nation's totals and peer zones elsewhere (so that shares and ranks are real), or any indicator of an
    entity in the importer's scope.  Entities outside every registry scope (the nation, provinces, peer
    zones) may be written by the province commerce department and system administrators only.

    Update mode like the customs import: a re-sent month replaces the value (audited before/after),
    an imported value replaces a derived one, and the years written are recomputed in a background job.
    The optional unit column must be the indicator's unit (a value in 万美元 for an indicator kept in
    亿美元 is refused, never converted silently).
    """

    key = "stats_values"
    label = _("Statistical values (totals and peers)")
    description = _("Published values of the province, the nation, peer zones or your own entities, one value a "
                    "row; a re-sent month replaces the earlier value.")
    write_area = "stats"
    columns = [
        *_value_columns(entity="CN", period="2008-12", value="25632.6"),
        Column("unit", pgettext_lazy("stats", "unit"), Text(20), aliases=("单位", "unit"), example="亿美元"),
        Column("source", _("Source"), Text(200), aliases=("来源", "source"), example="海关总署统计快讯"),
    ]

    model = Observation
    update_mode = True
    key_fields = ("entity", "indicator", "ym", "basis")
    update_fields = ("value", "provenance", "fx_rate", "fx_note", "source_ref")

    def prepare(self) -> None:
        from zonebook.core.permissions import has_role

        super().prepare()
        self.in_scope = {e.code.lower(): e for e in Entity.objects.for_user(self.user)}
        self.reference_ok = has_role(self.user, *REFERENCE_ROLES)
        self.all_entities = {e.code.lower(): e for e in Entity.objects.all()}
        self.indicators = {}
        for i in Indicator.objects.all():
            self.indicators[i.code.lower()] = i
            self.indicators.setdefault(i.name, i)
        self.default_source = gettext("statistical values import")
        self.seen: dict[tuple, int] = {}
        self.batch_objs: dict[int, Observation] = {}
        self.batch_yms: set[int] = set()

    def validate(self, rows: list[Row]) -> list:
        errors = []
        self.batch_objs, self.batch_yms = {}, set()
        existing = set()
        for row in rows:
            v = row.values
            code = (v.get("entity") or "").lower()
            entity = self.in_scope.get(code)
            if entity is None:
                other = self.all_entities.get(code)
                if other is None:
                    errors.append(self.error(row, "entity", _("Unknown entity code.")))
                    continue
                if other.zone_id or other.enterprise_id or not self.reference_ok:
                    errors.append(self.error(row, "entity", _(
                        "This entity is not in your scope: totals and peers are imported by the province.")))
                    continue
                entity = other
            ind = self.indicators.get((v.get("indicator") or "").lower()) or self.indicators.get(v.get("indicator"))
            if ind is None:
                errors.append(self.error(row, "indicator", _("Unknown indicator code.")))
                continue
            try:
                services._check_basis(ind, v["basis"])
            except services.StatsError as exc:
                errors.append(self.error(row, "basis", "; ".join(exc.messages)))
                continue
            unit = (v.get("unit") or "").strip()
            if unit and unit != ind.unit:
                errors.append(self.error(row, "unit", _(
                    "%(name)s is kept in %(unit)s; convert the value (or check the indicator), it is never converted "
                    "silently.") % {"name": ind.name, "unit": ind.unit}))
                continue
            value = v["value"]
            if ind.min_value is not None and value < ind.min_value or ind.max_value is not None and value > ind.max_value:
                errors.append(self.error(row, "value", _("%(name)s must lie between %(lo)s and %(hi)s.") % {
                    "name": ind.name, "lo": ind.min_value if ind.min_value is not None else "—",
                    "hi": ind.max_value if ind.max_value is not None else "—"}))
                continue
            key = (entity.pk, ind.pk, ym_of(v["period"]), v["basis"])
            if key in self.seen:
                errors.append(self.error(row, "period", _("The same entity, month, indicator and basis is already "
                                                          "in row %(row)s.") % {"row": self.seen[key]}))
                continue
            self.seen[key] = row.number
            self.batch_yms.add(key[2])
            self.batch_objs[row.number] = Observation(
                entity=entity, indicator=ind, period=v["period"], ym=key[2], basis=v["basis"], value=value,
                provenance=Provenance.IMPORTED, source_ref=(v.get("source") or self.default_source)[:200],
                fx_rate=None, fx_note="")
        if not self.updating and self.batch_objs:
            found = set(Observation.objects.filter(
                entity_id__in={o.entity_id for o in self.batch_objs.values()}, ym__in=self.batch_yms,
            ).values_list("entity_id", "indicator_id", "ym", "basis"))
            for number, o in list(self.batch_objs.items()):
                if (o.entity_id, o.indicator_id, o.ym, o.basis) in found:
                    existing.add(number)
            for row in rows:
                if row.number in existing:
                    errors.append(self.error(row, "period", f'{_("This value has been imported already.")} '
                                                            f"{msg.UPDATE_HINT}"))
        return errors

    def records(self, row: Row) -> list:
        obj = self.batch_objs.get(row.number)
        return [] if obj is None else [obj]

    def existing_queryset(self):
        return Observation.objects.filter(ym__in=self.batch_yms).select_related("entity", "indicator")

    def given_fields(self, row: Row) -> set[str]:
        fields = {"value", "provenance", "fx_rate", "fx_note"}
        if "source" in self.headers and row.values.get("source"):
            fields.add("source_ref")
        return fields

    def key_text(self, obj) -> str:
        return f"{obj.entity.code} {obj.period:%Y-%m} {obj.indicator.code} {obj.get_basis_display()}"

    def keep_new(self, row: Row, objs: list) -> None:
        row.obj = objs[0] if objs else None

    def write(self, rows, by) -> int:
        objs = [o for row in rows for o in ([row.obj] if getattr(row, "obj", None) else self.records(row))]
        Observation.objects.bulk_create(objs)
        self.touched({o.period for o in objs}, by)
        AuditEntry.objects.bulk_create([
            audit.entry(o, code="stats.observation.created", by=by, action=AuditEntry.Action.CREATE,
                        changes={"value": [None, str(o.value)], "provenance": [None, o.provenance]},
                        message=o.source_ref)
            for o in objs
        ])
        return len(objs)

    def write_changes(self, changes, by) -> int:
        self.touched({c.obj.period for c in changes}, by)
        return audit.bulk_update(changes, by=by, code="stats.observation.replaced",
                                 message=gettext("A re-sent value replaced the earlier one."))


class _Value:
    """A value as ``services.check_values`` reads it (stored or from the file)."""

    __slots__ = ("value", "explanation", "unit_confirmed")

    def __init__(self, value, explanation="", unit_confirmed=False):
        self.value, self.explanation, self.unit_confirmed = value, explanation or "", bool(unit_confirmed)


ISSUE_COLUMNS = {"magnitude": "unit_confirmed", "jump": "explanation"}


@register
class SubmissionImport(ImportKind):
    """统计报表批量导入: the monthly returns of zones (or enterprises) in bulk, one value a row.

    The same rules as direct reporting (``services.check_values``): required, ranges, total = parts,
    month ≤ cumulative, a jump against last year needs an explanation (column 说明), an order-of-
    magnitude jump needs the unit confirmed (column 单位已核实) — each a row error naming the row and
    column.  An imported return is a return like one typed in: it enters the review workflow as
    *submitted* (city review, then province acceptance, which makes its values official and recomputes
    the year); after the due date it is accepted and flagged late.  In update mode a re-sent month
    replaces the values of its return (audited before/after, never a duplicate) and submits it again;
    a return the city has approved or the province accepted is refused (the reviewer returns it for
    correction first).  Rows of one entity and month must follow each other.
    """

    key = "stats_returns"
    label = _("Statistical returns (bulk)")
    description = _("Monthly returns of zones or enterprises, one value a row; they go to city and province "
                    "review like returns typed in. A re-sent month replaces the earlier values.")
    write_area = "stats"
    columns = [
        *_value_columns(entity="CD-EPZ", period="2026-10", value="47.5"),
        Column("explanation", _("Explanation"), Text(500), aliases=("说明", "explanation"), example=""),
        Column("unit_confirmed", _("Unit checked"), Boolean(), aliases=("单位已核实", "unit checked"), example="否"),
    ]

    model = SubmissionValue
    update_mode = True
    # the submission last: it may be new (unsaved), and the first key field is matched in SQL
    key_fields = ("indicator", "basis", "submission")
    update_fields = ("value", "explanation", "unit_confirmed")

    def prepare(self) -> None:
        super().prepare()
        self.in_scope = {e.code.lower(): e for e in Entity.objects.for_user(self.user)}
        self.all_codes = {c.lower() for c in Entity.objects.values_list("code", flat=True)}
        self.indicators = {}
        for i in Indicator.objects.filter(active=True).prefetch_related("parts"):
            self.indicators[i.code.lower()] = i
            self.indicators.setdefault(i.name, i)
        self.by_id = {i.pk: i for i in self.indicators.values()}
        self.forms = {}
        for f in ReportForm.objects.filter(active=True).order_by("code"):
            self.forms.setdefault(f.level, f)
        self.lines = {f.pk: list(f.lines.select_related("indicator")) for f in self.forms.values()}
        self.periods = {(rp.form_id, rp.period): rp for rp in ReportPeriod.objects.filter(form__in=self.forms.values())}
        self.seen: dict[tuple, int] = {}
        self.group_batch: dict[tuple, int] = {}
        self.batch_no = 0
        self.subs: dict[tuple, Submission] = {}
        self.records_of: dict[int, SubmissionValue] = {}
        self.submitted: set[int] = set()
        self.now = timezone.now()

    @staticmethod
    def group_of(v: dict) -> tuple:
        return (str(v.get("entity") or "").lower(), v.get("period"))

    def batch_key(self, row: Row):
        return self.group_of(row.values)

    def _report_period(self, form, period):
        rp = self.periods.get((form.pk, period))
        if rp is None:
            due, provisional = services.due_date_for(form, period)
            rp = self.periods[(form.pk, period)] = ReportPeriod(form=form, period=period, due_date=due,
                                                                due_provisional=provisional)
        return rp

    def validate(self, rows: list[Row]) -> list:
        errors = []
        self.batch_no += 1
        groups: dict[tuple, list[Row]] = defaultdict(list)
        for row in rows:
            v = row.values
            code = (v.get("entity") or "").lower()
            entity = self.in_scope.get(code)
            if entity is None:
                reason = (_("This entity is not in your scope: you may import returns of your own zones only.")
                          if code in self.all_codes else _("Unknown entity code."))
                errors.append(self.error(row, "entity", reason))
                continue
            form = self.forms.get(entity.level)
            if form is None:
                errors.append(self.error(row, "entity", _("No report form for this kind of entity.")))
                continue
            ind = self.indicators.get((v.get("indicator") or "").lower()) or self.indicators.get(v.get("indicator"))
            if ind is None:
                errors.append(self.error(row, "indicator", _("Unknown indicator code.")))
                continue
            try:
                services._check_basis(ind, v["basis"])
            except services.StatsError as exc:
                errors.append(self.error(row, "basis", "; ".join(exc.messages)))
                continue
            if not any(ln.indicator_id == ind.pk and ln.basis == v["basis"] for ln in self.lines[form.pk]):
                errors.append(self.error(row, "indicator", _("%(name)s (%(basis)s) is not on the form %(form)s.") % {
                    "name": ind.name, "basis": dict(BASES)[v["basis"]], "form": form.name}))
                continue
            key = (code, v["period"], ind.pk, v["basis"])
            if key in self.seen:
                errors.append(self.error(row, "indicator", _("The same entity, month, indicator and basis is already "
                                                             "in row %(row)s.") % {"row": self.seen[key]}))
                continue
            self.seen[key] = row.number
            group = self.group_of(v)
            if self.group_batch.setdefault(group, self.batch_no) != self.batch_no:
                errors.append(self.error(row, "entity", _(
                    "The rows of one entity and month must follow each other in the file.")))
                continue
            row.entity, row.form, row.indicator = entity, form, ind
            groups[group].append(row)
        if not groups:
            return errors
        # the returns of the batch, their stored values and the observations the rules compare with:
        # a fixed number of queries per batch
        ent_ids = {r.entity.pk for rs in groups.values() for r in rs}
        yms = {ym_of(p) for _c, p in groups}
        stored_subs = {
            (s.entity.code.lower(), s.report_period.period): s
            for s in Submission.objects.filter(entity_id__in=ent_ids, report_period__period__in={p for _c, p in groups},
                                               report_period__form__in=self.forms.values())
            .select_related("entity", "report_period__form")
        }
        stored_values = defaultdict(dict)
        for sv in SubmissionValue.objects.filter(submission__in=[s.pk for s in stored_subs.values()]):
            stored_values[sv.submission_id][(sv.indicator_id, sv.basis)] = sv
        observed = defaultdict(dict)
        for e, i, ym, b, val in Observation.objects.filter(
            entity_id__in=ent_ids, ym__in=yms | {y - 12 for y in yms}
        ).values_list("entity_id", "indicator_id", "ym", "basis", "value"):
            observed[(e, ym)][(i, b)] = val
        for group, grows in groups.items():
            first = grows[0]
            entity, form, period = first.entity, first.form, group[1]
            sub = stored_subs.get(group)
            if sub is not None and sub.status in (SubmissionStatus.CITY_APPROVED, SubmissionStatus.ACCEPTED):
                errors.append(self.error(first, "period", _(
                    "The return of %(entity)s for %(period)s is %(status)s: ask the reviewer to return it for "
                    "correction before sending it again.") % {
                    "entity": entity.name, "period": f"{period:%Y-%m}", "status": sub.get_status_display()}))
                continue
            if sub is None:
                sub = self.subs.get(group) or Submission(report_period=self._report_period(form, period), entity=entity)
            self.subs[group] = sub
            stored = stored_values.get(sub.pk, {}) if sub.pk else {}
            if sub.pk and not self.updating:
                clash = [r for r in grows if (r.indicator.pk, r.values["basis"]) in stored]
                for r in clash:
                    errors.append(self.error(r, "value", f'{_("This value has been reported already for this month.")} '
                                                         f"{msg.UPDATE_HINT}"))
                if clash:
                    continue
            merged = {k: _Value(sv.value, sv.explanation, sv.unit_confirmed) for k, sv in stored.items()}
            for r in grows:
                old = stored.get((r.indicator.pk, r.values["basis"]))
                explanation = r.values.get("explanation")
                confirmed = r.values.get("unit_confirmed")
                merged[(r.indicator.pk, r.values["basis"])] = _Value(
                    r.values["value"],
                    explanation if explanation not in (None, "") else (old.explanation if old else ""),
                    confirmed if confirmed is not None else (old.unit_confirmed if old else False))
            ym = ym_of(period)
            issues = services.check_values(
                entity, form, period, merged, lines=self.lines[form.pk], indicators=self.by_id,
                last_year=observed.get((entity.pk, ym - 12), {}), current_other=observed.get((entity.pk, ym), {}))
            row_of = {(r.indicator.code, r.values["basis"]): r for r in grows}
            bad = False
            for issue in issues:
                if issue.resolved:
                    continue
                bad = True
                r = row_of.get((issue.indicator, issue.basis))
                if r is None:  # a required value missing, or a rule on stored values only
                    errors.append(self.error(first, "indicator", _("Return of %(entity)s for %(period)s: %(reason)s") % {
                        "entity": entity.name, "period": f"{period:%Y-%m}", "reason": issue.message}))
                else:
                    errors.append(self.error(r, ISSUE_COLUMNS.get(issue.code, "value"), issue.message))
            if bad:
                continue
            for r in grows:
                old = stored.get((r.indicator.pk, r.values["basis"]))
                val = merged[(r.indicator.pk, r.values["basis"])]
                self.records_of[r.number] = SubmissionValue(
                    submission=sub, indicator=r.indicator, basis=r.values["basis"], value=val.value,
                    explanation=val.explanation, unit_confirmed=val.unit_confirmed)
                r.group = group
        return errors

    # -- update mode ------------------------------------------------------------------------------
    def records(self, row: Row) -> list:
        obj = self.records_of.get(row.number)
        return [] if obj is None else [obj]

    def existing_queryset(self):
        return SubmissionValue.objects.filter(
            submission__in=[s.pk for s in self.subs.values() if s.pk]
        ).select_related("submission__entity", "submission__report_period", "indicator")

    def key_text(self, obj) -> str:
        sub = obj.submission
        return f"{sub.entity.code} {sub.report_period.period:%Y-%m} {obj.indicator.code} {obj.get_basis_display()}"

    def keep_new(self, row: Row, objs: list) -> None:
        row.new_objs = objs

    def _save_submissions(self, subs: list[Submission], by) -> None:
        """Create the new returns (and their reporting periods) of a batch."""
        new = [s for s in {id(s): s for s in subs}.values() if s.pk is None]
        opened: dict[tuple, ReportPeriod] = {}
        for s in new:
            if s.report_period.pk is None:
                key = (s.report_period.form_id, s.report_period.period)
                if key not in opened:  # once per form and month, not per return
                    opened[key] = services.open_period(s.report_period.form, s.report_period.period, by=by)
                    self.periods[key] = opened[key]
                s.report_period = opened[key]
        if new:
            Submission.objects.bulk_create(new)
            AuditEntry.objects.bulk_create([
                audit.entry(s, code="stats.submission.created", by=by, action=AuditEntry.Action.CREATE,
                            changes={}, message=gettext("statistical returns import")) for s in new])

    def _submit(self, subs, by) -> None:
        """The returns the batch changed go (again) to city review; late ones are flagged."""
        todo = [s for s in {s.pk: s for s in subs}.values() if s.pk not in self.submitted]
        if not todo:
            return
        today = timezone.localdate(self.now)
        entries = []
        for s in todo:
            before = s.status
            s.status, s.submitted_at, s.submitted_by = SubmissionStatus.SUBMITTED, self.now, by
            s.late, s.return_reason = today > s.report_period.due_date, ""
            entries.append(audit.entry(s, code="stats.submission.submitted", by=by, action=AuditEntry.Action.UPDATE,
                                       changes={"status": [before, s.status], "late": [None, s.late]},
                                       message=gettext("statistical returns import")))
            self.submitted.add(s.pk)
        Submission.objects.bulk_update(todo, ["status", "submitted_at", "submitted_by", "late", "return_reason"])
        AuditEntry.objects.bulk_create(entries)

    def write(self, rows, by) -> int:
        objs = [o for row in rows for o in (getattr(row, "new_objs", None) or self.records(row))]
        self._save_submissions([o.submission for o in objs], by)
        for o in objs:
            o.submission = o.submission  # the id of a return created just now (keeps the cached instance)
        SubmissionValue.objects.bulk_create(objs)
        AuditEntry.objects.bulk_create([
            audit.entry(o.submission, code="stats.submission.value_saved", by=by, action=AuditEntry.Action.UPDATE,
                        changes={f"{o.indicator.code}.{o.basis}": [None, str(o.value)]},
                        message=gettext("statistical returns import"))
            for o in objs
        ])
        self._submit([o.submission for o in objs], by)
        return len(objs)

    def write_changes(self, changes, by) -> int:
        n = audit.bulk_update(changes, by=by, code="stats.submission.value_replaced",
                              message=gettext("A re-sent value replaced the earlier one."))
        self._submit([c.obj.submission for c in changes], by)
        return n


__all__ = ["CustomsStatisticsImport", "SubmissionImport", "ValuesImport", "Basis"]
