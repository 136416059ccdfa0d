"""Import kind of carry-over applications (深加工结转申报表), registered from ``ledger/importers/__init__.py``.

One row per application; both books by number (the counterpart's book may lie outside the importing
user's scope, but one of the two must be inside; errors about the counterpart's side never say which
part failed), items by sequence number.  ``state = approved`` needs a user who may approve
(``services.carryover.may_approve``: the zone office, not the applicant).  Every row is written
through ``services.carryover.create_carryover`` (and ``change_carryover_state`` for ``state =
approved``); like the other ledger kinds the rows are first written in a savepoint that is rolled
back to collect every row's errors, so a file is imported completely or not at all.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from zonebook.core.errors import RowError
from zonebook.core.imports.kinds import Column, register
from zonebook.core.imports.parsers import Choice, Date, DecimalNumber, Integer, Text

from ..models.carryover import CarryOverState
from ..services import carryover as svc
from .base import LedgerImport

STATE_ALIASES = {
    "暂存": CarryOverState.DRAFT,
    "草稿": CarryOverState.DRAFT,
    "备案": CarryOverState.APPROVED,
    "已备案": CarryOverState.APPROVED,
    "审批通过": CarryOverState.APPROVED,
}


@register
class CarryOverImport(LedgerImport):
    key = "ledger_carryovers"
    label = gettext_lazy("Carry-over applications (深加工结转申报表)")
    description = gettext_lazy(
        "One row per application: transfer-out book and product, transfer-in book and material, planned "
        "quantity and validity. One of the two books must be in your scope."
    )
    field_columns = {
        "transferor_book": "transferor_book",
        "transferee_book": "transferee_book",
        "transferor_item": "transferor_seq_no",
        "transferee_item": "transferee_seq_no",
    }
    columns = [
        Column(
            "number",
            gettext_lazy("application number"),
            Text(20, upper=True),
            aliases=("申报表编号",),
            example="JZ2026000101",
        ),
        Column(
            "transferor_book",
            gettext_lazy("transfer-out book number"),
            Text(12, upper=True),
            required=True,
            aliases=("转出方备案号", "转出账册号"),
            example="C79012600001",
        ),
        Column(
            "transferor_seq_no",
            gettext_lazy("transfer-out product sequence no."),
            Integer(min_value=1),
            required=True,
            aliases=("转出成品序号",),
            example="1",
        ),
        Column(
            "transferee_book",
            gettext_lazy("transfer-in book number"),
            Text(12, upper=True),
            required=True,
            aliases=("转入方备案号", "转入账册号"),
            example="E79012600002",
        ),
        Column(
            "transferee_seq_no",
            gettext_lazy("transfer-in material sequence no."),
            Integer(min_value=1),
            required=True,
            aliases=("转入料件序号",),
            example="7",
        ),
        Column(
            "planned_qty",
            gettext_lazy("planned quantity"),
            DecimalNumber(20, 5, min_value=0),
            required=True,
            aliases=("申报数量", "计划数量"),
            example="5000",
        ),
        Column(
            "valid_from",
            gettext_lazy("valid from"),
            Date(),
            required=True,
            aliases=("有效期起",),
            example="2026-01-01",
        ),
        Column(
            "valid_to",
            gettext_lazy("valid to"),
            Date(),
            required=True,
            aliases=("有效期止",),
            example="2026-12-31",
        ),
        Column(
            "state",
            gettext_lazy("state"),
            Choice(
                [(CarryOverState.DRAFT, "draft"), (CarryOverState.APPROVED, "approved")],
                aliases=STATE_ALIASES,
            ),
            aliases=("状态",),
            example="approved",
        ),
        Column("note", gettext_lazy("note"), Text(300), aliases=("备注",)),
    ]

    def apply(self, rows, by):
        errors: list[RowError] = []
        columns = {
            None: "",
            "transferor_book": "transferor_book",
            "transferee_book": "transferee_book",
            "transferor_item": "transferor_seq_no",
            "transferee_item": "transferee_seq_no",
        }
        for row in rows:  # one application per row; a file holds a handful
            v = row.values
            data = {k: v.get(k) for k in ("number", "planned_qty", "valid_from", "valid_to", "note")}
            found, problems = svc.resolve_parties(v, by)
            if problems:
                for field, message in problems:
                    errors.append(
                        self.error(row, columns[field], message)
                        if field
                        else RowError(row.number, "", "", message)
                    )
                continue
            data.update(found)
            approve = v.get("state") == CarryOverState.APPROVED

            def write(data=data, approve=approve):
                co = svc.create_carryover(data, by=by)
                if approve:
                    svc.change_carryover_state(co, CarryOverState.APPROVED, by=by)

            exc = self.attempt(write)
            if exc is not None:
                errors += self.errors_for(row, exc)
        return errors
