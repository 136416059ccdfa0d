"""INV101 XML for a list entered in Zonebook (draft or declared), validated by the import's own rules."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.core.errors import DomainError
from zonebook.core.imports import pipeline
from zonebook.ledger.choices import IEMark, ItemKind, ListState
from zonebook.ledger.models import InventoryList

from . import xmlio

EXPORTABLE = (ListState.DRAFT, ListState.SUBMITTED)


def _num(value) -> str:
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return text


def message_parts(lst: InventoryList) -> tuple[dict, list[dict]]:
    book, ent = lst.book, lst.enterprise
    head = {
        "bondInvtNo": lst.number,
        "etpsInnerInvtNo": lst.internal_number,
        "putrecNo": book.number,
        "bizopEtpsSccd": getattr(ent, "uscc", "") or "",
        "bizopEtpsno": getattr(ent, "customs_code", "") or "",
        "bizopEtpsNm": ent.name,
        "invtDclTime": lst.declaration_date.strftime("%Y%m%d"),
        "entryNo": lst.customs_declaration_no,
        "impexpMarkcd": lst.ie_mark,
        "mtpckEndprdMarkcd": "I" if lst.item_kind == ItemKind.MATERIAL else "E",
        "supvModecd": lst.supervision_mode,
        "dclcusFlag": "1" if lst.customs_declaration_no else "2",
        "invtType": "0",
        "dclTypecd": "1",
        "rmk": lst.note,
    }
    lines = []
    country_element = "destinationNatcd" if lst.ie_mark == IEMark.EXPORT else "natcd"
    for line in lst.lines.select_related("item").order_by("line_no"):
        item = line.item
        lines.append(
            {
                "gdsSeqno": str(line.line_no),
                "putrecSeqno": str(line.item_seq_no),
                "gdsMtno": line.part_no,
                "gdecd": line.hs_code,
                "gdsNm": line.name,
                "dclUnitcd": item.unit,
                "dclQty": _num(line.qty),
                "lawfUnitcd": item.legal_unit1 if line.legal_qty is not None else "",
                "lawfQty": _num(line.legal_qty),
                "secdLawfUnitcd": item.legal_unit2 if line.legal_qty2 is not None else "",
                "secdLawfQty": _num(line.legal_qty2),
                "dclUprcAmt": _num(line.unit_price),
                "dclTotalAmt": _num(line.amount),
                "dclCurrcd": line.currency,
                country_element: line.country,
                "ucnsVerno": line.consumption_version,
                "modfMarkcd": "3",
            }
        )
    return head, lines


class _Rollback(Exception):
    pass


def export_inv101(lst: InventoryList, *, user) -> bytes:
    """The list as an INV101 message.  Checked first with the INV101 import's rules (elements,
    codes, units, book items, posting rule…) as if it were imported now, in a transaction that is
    rolled back, with the list itself set aside; a problem is a DomainError naming the elements."""
    if lst.state not in EXPORTABLE:
        raise DomainError(
            _("Only draft or declared lists are exported as INV101 (list %(n)s is %(s)s).")
            % {"n": lst.number, "s": ListState(lst.state).label},
            code="bad_state",
        )
    head, lines = message_parts(lst)
    now = timezone.localtime()
    data = xmlio.write_inv101(
        head,
        lines,
        message_id=f"ZB{lst.pk:010d}{now:%Y%m%d%H%M%S}",
        send_time=now.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    problems = validate_message(data, lst, user=user)
    if problems:
        raise DomainError(
            _("The list cannot be exported as INV101: %(first)s (%(n)d problem(s)).")
            % {"first": f"{problems[0].column}: {problems[0].reason}", "n": len(problems)},
            code="invalid_message",
            details=problems,
        )
    return data


def validate_message(data: bytes, lst: InventoryList, *, user) -> list:
    from .importers import Inv101Import

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{lst.number}.xml"
        path.write_bytes(data)
        result = None
        try:
            with transaction.atomic():
                # the list itself is set aside: its number is the message's
                InventoryList.objects.filter(pk=lst.pk).update(
                    number=f"QD0000{lst.number[6:8]}{lst.ie_mark}{lst.pk % 10**9:09d}"[:18],
                    internal_number=f"~export~{lst.pk}",
                )
                result = pipeline.check(Inv101Import, path, path.name, user)
                raise _Rollback
        except _Rollback:
            pass
    return list(result.errors) if result is not None else []
