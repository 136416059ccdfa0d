"""Import kind of bonded books (账册表头)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.core.errors import RowError
from zonebook.core.imports.kinds import Column, register
from zonebook.core.imports.parsers import Choice, Date, DecimalNumber, Text
from zonebook.registry.models import Enterprise

from .. import services
from ..choices import BookStatus, WriteOffMethod
from .base import (
    STATUS_ALIASES,
    STATUS_PATH,
    WRITEOFF_ALIASES,
    LedgerImport,
)


@register
class BookImport(LedgerImport):
    key = "ledger_books"
    label = gettext_lazy("Bonded books (header)")
    description = gettext_lazy(
        "One row per book (账册/手册表头). The enterprise is found by customs code, credit code or name."
    )
    columns = [
        Column(
            "number",
            gettext_lazy("book number"),
            Text(12),
            required=True,
            aliases=("备案号", "账册号", "手册号", "账册编号"),
            example="H79086000001",
        ),
        Column(
            "enterprise",
            gettext_lazy("operating enterprise"),
            Text(200),
            required=True,
            aliases=("经营企业", "经营企业编码", "企业", "企业海关编码"),
            example="5101640001",
        ),
        Column("kind", gettext_lazy("book kind"), Text(1), aliases=("账册类型", "手册类型"), example="H"),
        Column(
            "customs_office",
            gettext_lazy("customs office"),
            Text(4),
            aliases=("主管关区", "主管海关"),
            example="7908",
        ),
        Column(
            "trade_mode", gettext_lazy("supervision mode"), Text(4), aliases=("监管方式",), example="5015"
        ),
        Column(
            "cycle_start",
            gettext_lazy("write-off cycle start"),
            Date(),
            aliases=("核销周期起", "核销周期开始"),
            example="2026-01-01",
        ),
        Column(
            "cycle_end",
            gettext_lazy("write-off cycle end"),
            Date(),
            aliases=("核销周期止", "核销周期结束"),
            example="2026-12-31",
        ),
        Column(
            "valid_until",
            gettext_lazy("valid until"),
            Date(),
            aliases=("有效期", "有效期至", "结束有效期"),
            example="2027-12-31",
        ),
        Column(
            "max_import_value",
            gettext_lazy("maximum import value"),
            DecimalNumber(18, 2, min_value=0),
            aliases=("最大周转金额",),
            example="5000000",
        ),
        Column("currency", gettext_lazy("currency"), Text(3), aliases=("币制",), example="USD"),
        Column(
            "writeoff_method",
            gettext_lazy("write-off method"),
            Choice(WriteOffMethod, WRITEOFF_ALIASES),
            aliases=("核销方式",),
            example="单耗",
        ),
        Column(
            "status",
            gettext_lazy("status"),
            Choice(BookStatus, STATUS_ALIASES),
            aliases=("状态", "账册状态"),
            example="使用中",
        ),
        Column("note", gettext_lazy("note"), Text(2000), aliases=("备注",)),
    ]

    def apply(self, rows, by):
        errors: list[RowError] = []
        keys = {str(r.values["enterprise"]).strip() for r in rows}
        ents = Enterprise.objects.filter(Q(customs_code__in=keys) | Q(uscc__in=keys) | Q(name__in=keys))
        if self.user is not None:
            ents = ents.for_user(self.user)
        lookup: dict[str, Enterprise] = {}
        for e in ents:
            for k in (e.name, e.uscc, e.customs_code):
                if k:
                    lookup.setdefault(k, e)
        for row in rows:
            v = row.values
            ent = lookup.get(str(v["enterprise"]).strip())
            if ent is None:
                errors.append(
                    self.error(
                        row, "enterprise", _("No enterprise “%(v)s” in your scope.") % {"v": v["enterprise"]}
                    )
                )
                continue
            if v["status"] and v["status"] not in STATUS_PATH:
                errors.append(self.error(row, "status", _("An imported book can be draft, filed or in use.")))
                continue
            data = {
                k: v[k]
                for k in (
                    "number",
                    "kind",
                    "customs_office",
                    "trade_mode",
                    "cycle_start",
                    "cycle_end",
                    "valid_until",
                    "max_import_value",
                    "currency",
                    "writeoff_method",
                    "note",
                )
                if v.get(k) not in (None, "")
            }
            data["enterprise"] = ent

            def create(data=data, status=v["status"]):
                book = services.create_book(data, by=by)
                for s in STATUS_PATH.get(status or BookStatus.DRAFT, []):
                    services.change_book_status(book, s, by=by, note=_("imported"))

            exc = self.attempt(create)
            if exc is not None:
                errors += self.errors_for(row, exc)
        return errors
