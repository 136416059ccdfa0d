"""Legacy deposit ledger (保证金台账) import: historic archive rows, all or nothing, read-only afterwards.

Each row: ``book`` (number), ``class_scheme`` (default AA-D), ``enterprise_class`` (AA A B C D, or
the credit classes), ``category`` (allowed/restricted/prohibited or 允许/限制/禁止), ``mode``
(none/empty/half/full or 不转/空转/半实转/实转), ``amount``, ``guarantee`` (保函: yes/no), ``bank``
(0 纸质, 1 中国银行, 2 工商银行, 3 光大银行), ``opened``, ``released``, ``note``.  Refused with the row,
column and reason: unknown book, unknown codes, negative amount, a deposit mode (半实转/实转) without
an amount, a bank 3 (光大) before 2014-08-18, a record opened after the ledger was abolished
(2018-02-02), a release before the opening.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError, RowError

from ..models import Book, LegacyDeposit
from ..models.deposit import DepositBank, DepositMode

ABOLISHED = dt.date(2018, 2, 2)
CEB_FROM = dt.date(2014, 8, 18)
CLASSES = {"AA", "A", "B", "C", "D", "AEO", "高级认证", "一般认证", "一般信用", "失信"}
CATEGORY = {
    "allowed": "allowed",
    "允许": "allowed",
    "允许类": "allowed",
    "restricted": "restricted",
    "限制": "restricted",
    "限制类": "restricted",
    "prohibited": "prohibited",
    "禁止": "prohibited",
    "禁止类": "prohibited",
}
MODE = {
    "none": "none",
    "不转": "none",
    "empty": "empty",
    "空转": "empty",
    "half": "half",
    "半实转": "half",
    "full": "full",
    "实转": "full",
}
YES = {"1", "yes", "y", "true", "是", "保函"}


def _date(text, row, col, errors, required=True):
    text = str(text or "").strip()[:10]
    if not text:
        if required:
            errors.append(RowError(row, col, "", _("required")))
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(RowError(row, col, text, _("not a date (YYYY-MM-DD)")))
        return None


@transaction.atomic
def import_deposits(rows: Sequence[Mapping], *, source: str = "", by=None) -> int:
    numbers = {str(r.get("book", "")).strip().upper() for r in rows}
    books = {b.number: b for b in Book.objects.filter(number__in=numbers).select_related("zone")}
    errors: list[RowError] = []
    objs = []
    for n, r in enumerate(rows, start=1):
        row = r.get("row", n)
        before = len(errors)
        number = str(r.get("book", "")).strip().upper()
        book = books.get(number)
        if book is None:
            errors.append(RowError(row, "book", number, _("no book with this number")))
        cls = str(r.get("enterprise_class", "")).strip().upper() or str(r.get("enterprise_class", "")).strip()
        if cls not in CLASSES:
            errors.append(RowError(row, "enterprise_class", cls, _("unknown enterprise class")))
        category = CATEGORY.get(str(r.get("category", "")).strip().lower())
        if category is None:
            errors.append(
                RowError(
                    row,
                    "category",
                    str(r.get("category", "")),
                    _("allowed, restricted or prohibited (允许/限制/禁止)"),
                )
            )
        mode = MODE.get(str(r.get("mode", "")).strip().lower())
        if mode is None:
            errors.append(
                RowError(
                    row,
                    "mode",
                    str(r.get("mode", "")),
                    _("none, empty, half or full (不转/空转/半实转/实转)"),
                )
            )
        try:
            amount = Decimal(str(r.get("amount") or 0).replace(",", ""))
            if not amount.is_finite() or amount < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors.append(RowError(row, "amount", str(r.get("amount")), _("a non-negative amount")))
            amount = None
        if mode in (DepositMode.HALF, DepositMode.FULL) and amount is not None and amount == 0:
            errors.append(RowError(row, "amount", "0", _("a deposit mode needs an amount")))
        bank = str(r.get("bank", "")).strip()
        if bank not in DepositBank.values:
            errors.append(RowError(row, "bank", bank, _("bank code 0, 1, 2 or 3")))
        opened = _date(r.get("opened"), row, "opened", errors)
        released = _date(r.get("released"), row, "released", errors, required=False)
        if opened and opened >= ABOLISHED:
            errors.append(
                RowError(row, "opened", str(opened), _("the deposit ledger was abolished on 2018-02-02"))
            )
        if opened and bank == DepositBank.CEB and opened < CEB_FROM:
            errors.append(
                RowError(
                    row, "bank", bank, _("China Everbright Bank keeps deposit ledgers only from 2014-08-18")
                )
            )
        if opened and released and released < opened:
            errors.append(RowError(row, "released", str(released), _("released before it was opened")))
        if len(errors) == before:
            objs.append(
                LegacyDeposit(
                    book=book,
                    class_scheme=str(r.get("class_scheme") or "AA-D")[:20],
                    enterprise_class=cls,
                    category=category,
                    mode=mode,
                    amount=amount,
                    guarantee=str(r.get("guarantee", "")).strip().lower() in YES,
                    bank=bank,
                    opened=opened,
                    released=released,
                    source=source[:200],
                    note=str(r.get("note") or "")[:300],
                )
            )
    if errors:
        raise DomainError(
            _("%(n)d error(s) in the deposit archive; nothing was imported. First: %(first)s.")
            % {"n": len(errors), "first": errors[0]},
            code="deposits_invalid",
            details=errors[:50],
        )
    for obj in objs:
        obj.save()
        audit.record(
            obj,
            code="ledger.legacydeposit.imported",
            by=by,
            action="create",
            changes=audit.diff({}, audit.snapshot(obj)),
        )
    return len(objs)
