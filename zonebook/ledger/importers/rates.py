"""Import kind of duty and tax rates (税率)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import RowError
from zonebook.core.imports import messages as msg
from zonebook.core.imports.kinds import Column, ImportKind, Row, register
from zonebook.core.imports.parsers import Choice, Date, DecimalNumber, Text
from zonebook.registry.importers import HsCode, audit_entries
from zonebook.registry.models import Code
from zonebook.registry.models.codes import HS_TABLE

from ..models import TaxRate
from ..models.dutytax import TaxKind

TAX_KIND_ALIASES = {
    "关税": TaxKind.TARIFF,
    "进口关税": TaxKind.TARIFF,
    "最惠国税率": TaxKind.TARIFF,
    "增值税": TaxKind.VAT,
    "进口增值税": TaxKind.VAT,
    "进口环节增值税": TaxKind.VAT,
    "消费税": TaxKind.CONSUMPTION,
    "进口消费税": TaxKind.CONSUMPTION,
    "进口环节消费税": TaxKind.CONSUMPTION,
}


class Percent(DecimalNumber):
    """A rate in per cent: ``13``, ``13%`` or ``6.5％`` (write 13 for 13 %, not 0.13)."""

    def parse(self, raw):
        if isinstance(raw, str):
            raw = raw.strip().rstrip("%％").strip()
        return super().parse(raw)


@register
class TaxRateImport(ImportKind):
    """The dated tax rate table of the domestic-sale calculator (关税/增值税/消费税 per HS code).

    Installation-wide reference data: importing needs the ``reference`` write area (system
    administrators and the provincial commerce department).  An 8-digit tariff line (税则号列)
    applies to every 10-digit HS code of the HS table that begins with it.  By default rows only get
    added: the same HS code, tax and start date twice, or two periods of one tax and HS code that
    overlap (in the file or with the table), are errors; end a rate in force on the rate page before
    importing its successor.  In update mode a rate whose HS code, tax and start date exist takes
    the file's rate, end date and source (the key itself never changes); overlaps stay errors."""

    key = "tax_rates"
    label = TaxRate._meta.verbose_name_plural
    description = gettext_lazy(
        "One row per HS code, tax (关税, 增值税 or 消费税) and start date; the rate in per cent. "
        "An 8-digit tariff line (税则号列) applies to every HS code of the HS table that begins with it."
    )
    write_area = "reference"
    model = TaxRate
    update_mode = True
    key_fields = ("hs_code", "kind", "valid_from")
    update_fields = ("rate", "valid_to", "source")
    columns = [
        Column(
            "hs_code",
            gettext_lazy("HS code"),
            HsCode(),
            required=True,
            aliases=("商品编码", "税则号列", "税号", "HS编码"),
            example="8542319000",
        ),
        Column(
            "kind",
            TaxRate._meta.get_field("kind").verbose_name,
            Choice(TaxKind, TAX_KIND_ALIASES),
            required=True,
            aliases=("税种", "税目", "tax kind"),
            example="关税",
        ),
        Column(
            "rate",
            TaxRate._meta.get_field("rate").verbose_name,
            Percent(9, 4, min_value=0),
            required=True,
            aliases=("税率", "税率%", "税率(%)", "rate"),
            example="8",
        ),
        Column(
            "valid_from",
            TaxRate._meta.get_field("valid_from").verbose_name,
            Date(),
            required=True,
            aliases=("生效日期", "开始日期", "执行日期", "起始日期"),
            example="2024-01-01",
        ),
        Column(
            "valid_to",
            TaxRate._meta.get_field("valid_to").verbose_name,
            Date(),
            aliases=("失效日期", "结束日期", "截止日期"),
        ),
        Column(
            "source",
            TaxRate._meta.get_field("source").verbose_name,
            Text(200),
            aliases=("来源", "依据", "文件依据"),
            example="2024年关税调整方案",
        ),
    ]

    def prepare(self):
        super().prepare()
        self.hs_codes = set(Code.objects.filter(table__key=HS_TABLE).values_list("code", flat=True))
        self.by_line: dict[str, list[str]] = {}
        for code in sorted(self.hs_codes):
            self.by_line.setdefault(code[:8], []).append(code)
        # (hs, kind) → [(valid_from, valid_to, row)] of the rows accepted so far in this file
        self.periods: dict[tuple[str, str], list[tuple]] = {}

    def validate(self, rows: list[Row]) -> list[RowError]:
        errors: list[RowError] = []
        for row in rows:
            code = row.values["hs_code"]
            if len(code) == 8:
                row.codes = self.by_line.get(code, [])
                if not row.codes:
                    errors.append(
                        self.error(
                            row,
                            "hs_code",
                            _("No HS code of the HS code table begins with the tariff line %(code)s.")
                            % {"code": code},
                        )
                    )
            elif code in self.hs_codes:
                row.codes = [code]
            else:
                row.codes = []
                errors.append(
                    self.error(
                        row, "hs_code", _("HS code %(code)s is not in the HS code table.") % {"code": code}
                    )
                )
        stored: dict[tuple[str, str], list[tuple]] = {}
        wanted = {c for r in rows for c in r.codes}
        for hs, kind, start, end in TaxRate.objects.filter(hs_code__in=wanted).values_list(
            "hs_code", "kind", "valid_from", "valid_to"
        ):
            stored.setdefault((hs, kind), []).append((start, end, None))
        if self.updating:
            # a stored period that a row of this batch updates is checked with its new end date
            new_end = {
                (hs, r.values["kind"], r.values["valid_from"]): r.values.get("valid_to")
                for r in rows
                if r.codes
                for hs in r.codes
            }
            stored = {
                (hs, kind): [
                    (start, new_end.get((hs, kind, start), end), None)
                    if (hs, kind, start) in new_end
                    else (start, end, row)
                    for start, end, row in periods
                ]
                for (hs, kind), periods in stored.items()
            }
        for row in rows:
            if not row.codes:
                continue
            v = row.values
            kind, start, end = v["kind"], v["valid_from"], v.get("valid_to")
            tax = TaxKind(kind).label
            if v["rate"] >= 100:
                errors.append(
                    self.error(
                        row,
                        "rate",
                        _("A rate is a percentage from 0 to below 100 (write 13 for 13 per cent)."),
                    )
                )
                continue
            if end and end < start:
                errors.append(self.error(row, "valid_to", _("The rate ends before it starts.")))
                continue
            problem = None
            for hs in row.codes:
                for other_start, other_end, other_row in stored.get((hs, kind), []) + self.periods.get(
                    (hs, kind), []
                ):
                    if self.updating and other_row is None and other_start == start:
                        continue  # update mode: the stored rate this row updates
                    if other_start == start:
                        problem = (
                            _(
                                "Duplicate: row %(row)d of this file already sets the %(tax)s rate of HS %(hs)s from %(date)s."
                            )
                            % {"row": other_row, "tax": tax, "hs": hs, "date": start}
                            if other_row
                            else _("A %(tax)s rate of HS %(hs)s from %(date)s is already in the rate table.")
                            % {"tax": tax, "hs": hs, "date": start}
                        )
                    elif (other_end is None or other_end >= start) and (end is None or other_start <= end):
                        problem = (
                            _(
                                "Overlaps the %(tax)s rate of HS %(hs)s in row %(row)d (from %(start)s to %(end)s)."
                            )
                            if other_row
                            else _(
                                "Overlaps the %(tax)s rate of HS %(hs)s in the rate table (from %(start)s to %(end)s)."
                            )
                        ) % {
                            "tax": tax,
                            "hs": hs,
                            "row": other_row or 0,
                            "start": other_start,
                            "end": other_end or "…",
                        }
                    if problem:
                        break
                if problem:
                    break
            if problem:
                errors.append(self.error(row, "valid_from", problem))
                continue
            row.objs = [
                TaxRate(
                    hs_code=hs,
                    kind=kind,
                    rate=v["rate"],
                    valid_from=start,
                    valid_to=end,
                    source=v.get("source") or "",
                )
                for hs in row.codes
            ]
            for hs in row.codes:
                self.periods.setdefault((hs, kind), []).append((start, end, row.number))
        return errors

    def write(self, rows: Iterable[Row], by) -> int:
        rows = list(rows)
        created = TaxRate.objects.bulk_create([obj for r in rows for obj in r.objs])
        AuditEntry.objects.bulk_create(audit_entries(created, by=by, code="ledger.taxrate.imported"))
        return len(rows)  # file rows; an 8-digit tariff line may have created several rates

    # update mode: one row (an 8-digit tariff line) may stand for several rates
    def records(self, row: Row) -> list:
        return list(getattr(row, "objs", []))

    def keep_new(self, row: Row, objs: list) -> None:
        row.objs = objs

    def write_changes(self, changes, by) -> int:
        return audit.bulk_update(changes, by=by, code="ledger.taxrate.updated", message=str(msg.UPDATED_NOTE))
