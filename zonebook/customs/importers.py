"""Import kinds of the customs messages: INV101 (核注清单) → inventory lists, receipts → the queue.

``Inv101Import`` is the ledger's inventory-list import (``ledger.importers.InventoryListImport``:
the same rows, checks, staging and set-based writes) with its own reader: each ``InvtListType``
of a message is one row whose values come from the message's own elements (docs/customs.md has the
table).  Errors name the message (file and etpsInnerInvtNo) and the element.  A message imported
before with the same content is skipped (nothing changes); another content under the same
etpsInnerInvtNo is refused, naming both messages.  The lists are created *submitted* (a filed
message is declared to customs) and marked ``source = customs``; receipts already waiting for
them are applied when they are published.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.core.errors import RowError
from zonebook.core.imports.kinds import ImportKind, Row, register
from zonebook.core.imports.parsers import CellError
from zonebook.ledger.choices import ItemKind, ListSource
from zonebook.ledger.importers import LIST_HEADER, LIST_LINE, InventoryListImport, ListAction
from zonebook.ledger.models import Book, BookItem, InventoryList
from zonebook.registry.models.codes import unit_codes

from . import services, xmlio
from .models import InventoryMessage, MessageSource

# column key of the ledger's list import → the INV101 element it is read from
HEAD_ELEMENTS = {
    "number": "bondInvtNo",
    "internal_number": "etpsInnerInvtNo",
    "book": "putrecNo",
    "ie_mark": "impexpMarkcd",
    "item_kind": "mtpckEndprdMarkcd",
    "supervision_mode": "supvModecd",
    "declaration_date": "invtDclTime",
    "customs_declaration_no": "entryNo",
    "note": "rmk",
}
LINE_ELEMENTS = {
    "line_no": "gdsSeqno",
    "item_seq_no": "putrecSeqno",
    "part_no": "gdsMtno",
    "hs_code": "gdecd",
    "name": "gdsNm",
    "qty": "dclQty",
    "legal_qty": "lawfQty",
    "legal_qty2": "secdLawfQty",
    "unit_price": "dclUprcAmt",
    "amount": "dclTotalAmt",
    "currency": "dclCurrcd",
    "consumption_version": "ucnsVerno",
}
# checked, not stored on the ledger line (the item's units are filed on the book)
UNIT_ELEMENTS = ("dclUnitcd", "lawfUnitcd", "secdLawfUnitcd")
REQUIRED_HEAD = (
    "bondInvtNo",
    "etpsInnerInvtNo",
    "putrecNo",
    "impexpMarkcd",
    "mtpckEndprdMarkcd",
    "supvModecd",
    "invtDclTime",
    "dclcusFlag",
)
REQUIRED_LINE = ("gdsSeqno", "putrecSeqno", "gdecd", "dclQty", "dclUnitcd")
CODES = {
    "impexpMarkcd": ("I", "E"),
    "mtpckEndprdMarkcd": ("I", "E"),
    "dclcusFlag": ("1", "2"),
    "dclcusTypecd": ("1", "2"),
    "invtType": ("0", "1", "3", "4", "5", "6", "7", "8", "9"),
    "listType": ("A", "B", "C", "D", "E"),
    "dclTypecd": ("1",),
}
ITEM_KIND_OF = {"I": ItemKind.MATERIAL, "E": ItemKind.PRODUCT}
DEDUPE_GROUP = 500  # messages looked up together against the stored ones


def element_path(key: str, line_no: str | None = None) -> str:
    if key in HEAD_ELEMENTS:
        return f"InvtHeadType/{HEAD_ELEMENTS[key]}"
    element = LINE_ELEMENTS.get(key, key)
    return f"InvtListType[{line_no}]/{element}" if line_no else f"InvtListType/{element}"


def parse_time(text: str) -> dt.datetime | None:
    """The date-times the messages carry: 20240719, 2024-07-19, 2024-07-19 12:59:04, 2024-07-19T12:59:04,
    20240719125904 — read as Asia/Shanghai."""
    text = (text or "").strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y%m%d%H%M%S", "%Y-%m-%d", "%Y%m%d"):
        try:
            value = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return timezone.make_aware(value)
    return None


def content_hash(head: dict, lines: list[dict]) -> str:
    keep_head = {k: head.get(k, "") for k in (*HEAD_ELEMENTS.values(), "dclcusFlag", "invtType", "listType")}
    keep_lines = [
        {k: ln.get(k, "") for k in (*LINE_ELEMENTS.values(), *UNIT_ELEMENTS, "natcd", "destinationNatcd")}
        for ln in lines
    ]
    data = json.dumps([keep_head, keep_lines], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class XmlKind:
    """Shared by both kinds: XML files (one message or a zip of many)."""

    extensions = xmlio.XML_EXTENSIONS
    source = MessageSource.UPLOAD
    # A drop of the customs client holds INV101 messages and receipts together: each kind then
    # skips the other's messages (anything else is still refused).
    mixed = False

    @classmethod
    def sample_file(cls) -> tuple[str, str, bytes]:
        """The import page's "template": an example message of this kind."""
        head = {
            "bondInvtNo": "QD790126I000000001",
            "etpsInnerInvtNo": "ERP-2026-0001",
            "putrecNo": "C79012600001",
            "invtDclTime": "20260301",
            "impexpMarkcd": "I",
            "mtpckEndprdMarkcd": "I",
            "supvModecd": "0615",
            "dclcusFlag": "2",
            "invtType": "0",
            "dclTypecd": "1",
        }
        if cls.key == "customs_receipts":
            data = xmlio.write_receipt(
                {
                    "etpsPreentNo": head["etpsInnerInvtNo"],
                    "businessId": head["bondInvtNo"],
                    "manageDate": "2026-03-02 10:00:00",
                },
                {
                    "bondInvtNo": head["bondInvtNo"],
                    "etpsInnerInvtNo": head["etpsInnerInvtNo"],
                    "putrecNo": head["putrecNo"],
                    "invtStucd": "0",
                    "vrfdedMarkcd": "2",
                },
                message_id="CUS0000EXAMPLE0001",
                send_time="2026-03-02T10:00:00",
            )
            return "INV201-example.xml", "application/xml", data
        line = {
            "gdsSeqno": "1",
            "putrecSeqno": "1",
            "gdsMtno": "M0001",
            "gdecd": "8542319000",
            "gdsNm": "集成电路",
            "dclUnitcd": "007",
            "dclQty": "1000",
            "dclUprcAmt": "1.25",
            "dclTotalAmt": "1250.00",
            "dclCurrcd": "502",
        }
        return (
            "INV101-example.xml",
            "application/xml",
            xmlio.write_inv101(head, [line], message_id="EXAMPLE0001", send_time="2026-03-01T09:00:00"),
        )


@register
class Inv101Import(XmlKind, InventoryListImport):
    key = "customs_inv101"
    label = gettext_lazy("Customs INV101 messages (核注清单报文)")
    description = gettext_lazy(
        "INV101 XML files as the customs client writes them (one message, or a zip of many; UTF-8 or "
        "GB18030). Each message becomes a declared inventory list; customs receipts post it."
    )

    # Lines per batch (closed between two messages): smaller than the spreadsheet import's 50,000,
    # so the rows held at once (and the garbage collector's work over them) stay small.
    batch_size = 10_000

    def __init__(self, user=None):
        super().__init__(user)
        self.messages: dict[str, dict] = {}  # list number → what to record when the list is written
        self.skipped = 0

    # -- reading -------------------------------------------------------------------------------
    def header(self, key: str) -> str:
        return element_path(key)

    def error(self, row: Row, key: str, reason: str) -> RowError:
        line = getattr(row, "line_no", None) if key not in HEAD_ELEMENTS else None
        where = getattr(row, "where", "")
        value = row.raw.get(key)
        return RowError(
            row=row.number,
            column=f"{where} › {element_path(key, line)}" if where else element_path(key, line),
            value="" if value is None else str(value),
            reason=str(reason),
        )

    def errors_for(self, row, exc):
        out = super().errors_for(row, exc)
        where = getattr(row, "where", "")
        return [RowError(e.row, e.column or where, e.value, e.reason) for e in out]

    def prepare(self) -> None:
        super().prepare()
        self.units = unit_codes()
        self.parsers = {key: self.column(key).parser for key in LINE_ELEMENTS if key != "country"}

    def read_rows(self, path, filename: str, result) -> Iterator[Row | RowError]:
        preview = (
            "number",
            "internal_number",
            "book",
            "supervision_mode",
            "declaration_date",
            "line_no",
            "item_seq_no",
            "hs_code",
            "name",
            "qty",
            "unit",
        )
        self.headers = {k: (element_path(k) if k != "unit" else "InvtListType/dclUnitcd") for k in preview}
        result.headers = list(self.headers.values())
        return self._rows(Path(path), filename, result)

    def _rows(self, path: Path, filename: str, result) -> Iterator[Row | RowError]:
        group: list = []
        seen: dict[tuple[str, str], tuple[str, str]] = {}  # (book, internal no) → (hash, message label)
        try:
            for msg in xmlio.read_messages(path, filename):
                group.append(msg)
                if len(group) >= DEDUPE_GROUP:
                    yield from self._group(group, seen, result)
                    group = []
            yield from self._group(group, seen, result)
        except xmlio.FileRefused as exc:
            yield RowError(row=None, column=filename, value="", reason=exc.reason)
        if self.skipped:
            result.add_notice(
                _("%(n)d message(s) were imported before with the same content; they change nothing.")
                % {"n": self.skipped}
            )

    def _group(self, group: list, seen: dict, result) -> Iterator[Row | RowError]:
        checked = []
        for msg in group:
            if isinstance(msg, xmlio.BadMessage):
                yield RowError(msg.ordinal, f"{msg.source} {msg.element}".strip(), "", msg.reason)
                continue
            if msg.type in xmlio.RECEIPT_TYPES and self.mixed:
                continue
            if msg.type != xmlio.INV101:
                yield RowError(
                    msg.ordinal,
                    f"{msg.source} › EnvelopInfo/message_type",
                    msg.type,
                    _("This is a %(type)s message, not an INV101 inventory list (核注清单); it is refused.")
                    % {"type": msg.type or _("unknown")},
                )
                continue
            errors = self._check(msg)
            if errors:
                yield from errors
                continue
            checked.append(msg)
        stored = self._stored(checked)
        for msg in checked:
            key = (msg.head["putrecNo"].upper(), msg.head["etpsInnerInvtNo"])
            digest = content_hash(msg.head, msg.lines)
            before = seen.get(key)
            if before is not None:
                if before[0] == digest:
                    self.skipped += 1
                    continue
                yield RowError(
                    msg.ordinal,
                    f"{msg.source} › InvtHeadType/etpsInnerInvtNo",
                    key[1],
                    _(
                        "Message %(this)s and message %(other)s carry the same etpsInnerInvtNo with different content; both are refused."
                    )
                    % {"this": msg.label, "other": before[1]},
                )
                continue
            seen[key] = (digest, msg.label)
            old = stored.get(key)
            if old is not None:
                if old.content_hash == digest:
                    self.skipped += 1
                    continue
                yield RowError(
                    msg.ordinal,
                    f"{msg.source} › InvtHeadType/etpsInnerInvtNo",
                    key[1],
                    _(
                        "Message %(this)s differs from message %(other)s imported on %(when)s under the same "
                        "etpsInnerInvtNo (list %(list)s); it is refused."
                    )
                    % {
                        "this": msg.label,
                        "other": old.filename or old.message_id or old.internal_number,
                        "when": timezone.localtime(old.received_at).strftime("%Y-%m-%d %H:%M"),
                        "list": old.list_number,
                    },
                )
                continue
            yield from self._message_rows(msg, digest)

    def _stored(self, msgs: list) -> dict:
        internals = {m.head["etpsInnerInvtNo"] for m in msgs}
        if not internals:
            return {}
        out = {}
        for m in InventoryMessage.objects.filter(internal_number__in=internals).select_related("book"):
            out[(m.book.number, m.internal_number)] = m
        return out

    def _check(self, msg) -> list[RowError]:
        errors = []

        def bad(path: str, value: str, reason: str) -> None:
            errors.append(RowError(msg.ordinal, f"{msg.label} › {path}", value, reason))

        if not msg.head:
            bad("InvtHeadType", "", _("The message has no InvtHeadType."))
            return errors
        for name in REQUIRED_HEAD:
            if not msg.head.get(name):
                bad(f"InvtHeadType/{name}", "", _("This element is required."))
        for name, allowed in CODES.items():
            value = msg.head.get(name, "")
            if value and value not in allowed:
                bad(
                    f"InvtHeadType/{name}",
                    value,
                    _("Not a code of this element (allowed: %(codes)s).") % {"codes": ", ".join(allowed)},
                )
        if msg.head.get("invtDclTime") and parse_time(msg.head["invtDclTime"]) is None:
            bad(
                "InvtHeadType/invtDclTime", msg.head["invtDclTime"], _("Not a date (yyyymmdd or yyyy-mm-dd).")
            )
        if not msg.lines:
            bad("InvtListType", "", _("The message has no InvtListType lines."))
        for n, line in enumerate(msg.lines, start=1):
            for name in REQUIRED_LINE:
                if not line.get(name):
                    bad(
                        f"InvtListType[{line.get('gdsSeqno') or n}]/{name}",
                        "",
                        _("This element is required."),
                    )
            for name in UNIT_ELEMENTS:
                value = line.get(name, "")
                if value and value not in self.units:
                    bad(
                        f"InvtListType[{line.get('gdsSeqno') or n}]/{name}",
                        value,
                        _("Unit code “%(value)s” is not in the unit code table (海关计量单位代码).")
                        % {"value": value},
                    )
        return errors

    def _message_rows(self, msg, digest: str) -> Iterator[Row | RowError]:
        head = msg.head
        header_values = {key: head.get(element, "") or None for key, element in HEAD_ELEMENTS.items()}
        header_values["item_kind"] = ITEM_KIND_OF.get(head.get("mtpckEndprdMarkcd", ""))
        header_values["declaration_date"] = parse_time(head["invtDclTime"]).date()
        header_values["book"] = head["putrecNo"].upper()
        header_values["action"] = ListAction.SUBMIT
        export = head.get("impexpMarkcd") == "E"
        self.messages[head["bondInvtNo"].strip().upper()] = {
            "message_id": msg.message_id[:80],
            "filename": msg.source[:255],
            "content_hash": digest,
            "lines": len(msg.lines),
            "internal_number": head["etpsInnerInvtNo"],
        }
        for line in msg.lines:
            raw = {k: head.get(e, "") for k, e in HEAD_ELEMENTS.items()}
            raw.update({k: line.get(e, "") for k, e in LINE_ELEMENTS.items()})
            raw["unit"] = line.get("dclUnitcd", "")
            values = dict.fromkeys((*LIST_HEADER, *LIST_LINE))
            values.update(header_values)
            row = Row(number=msg.ordinal, values=values, raw=raw)
            row.where = msg.label
            row.line_no = line.get("gdsSeqno", "")
            row.unit = line.get("dclUnitcd", "")
            errors = []
            for key, parser in self.parsers.items():
                text = line.get(LINE_ELEMENTS[key], "")
                if not text:
                    continue
                try:
                    values[key] = parser(text)
                except CellError as exc:
                    errors.append(self.error(row, key, exc.reason))
            country = line.get("destinationNatcd" if export else "natcd", "")
            values["country"] = country or None
            if errors:
                yield from errors
            else:
                yield row

    # -- checks the ledger does not make: the declared unit ----------------------------------------
    def apply(self, rows, by):
        unit_errors = self._unit_errors(rows)
        errors = super().apply(rows, by)
        if not unit_errors and not errors and not self.staging and not self.validating:
            self.finish({_list_no(r) for r in rows}, by)  # unstaged: the lists exist now
        return unit_errors + errors

    def _unit_errors(self, rows) -> list[RowError]:
        books = {str(r.values.get("book") or "") for r in rows}
        units = {
            (b, kind, seq): unit
            for b, kind, seq, unit in BookItem.objects.filter(book__number__in=books).values_list(
                "book__number", "kind", "seq_no", "unit"
            )
        }
        errors = []
        for row in rows:
            filed = units.get(
                (row.values.get("book"), row.values.get("item_kind"), row.values.get("item_seq_no"))
            )
            declared = getattr(row, "unit", "")
            if filed and declared and filed != declared:
                errors.append(
                    RowError(
                        row.number,
                        f"{row.where} › InvtListType[{row.line_no}]/dclUnitcd",
                        declared,
                        _(
                            "The declared unit differs from the unit %(unit)s filed for item %(seq)s of book %(book)s."
                        )
                        % {
                            "unit": filed,
                            "seq": row.values.get("item_seq_no"),
                            "book": row.values.get("book"),
                        },
                    )
                )
        return errors

    # -- after the lists are written -----------------------------------------------------------------
    def publish(self, by) -> list[RowError]:
        with transaction.atomic():
            errors = super().publish(by)
            if not errors:
                self.finish(set(self.messages), by)
        return errors

    def finish(self, numbers: set[str], by) -> None:
        """Mark the new lists as coming from customs, record their messages, apply waiting receipts."""
        lists = list(
            InventoryList.objects.filter(number__in=[n for n in numbers if n in self.messages]).values_list(
                "pk", "number", "book_id", "enterprise_id"
            )
        )
        if not lists:
            return
        InventoryList.objects.filter(pk__in=[pk for pk, *_ in lists]).update(source=ListSource.CUSTOMS)
        InventoryMessage.objects.bulk_create(
            [
                InventoryMessage(
                    book_id=book_id,
                    enterprise_id=enterprise_id,
                    inventory_list_id=pk,
                    list_number=number,
                    source=self.source,
                    **self.messages[number],
                )
                for pk, number, book_id, enterprise_id in lists
            ],
            batch_size=2000,
        )
        services.match_waiting({book_id for _pk, _n, book_id, _e in lists}, by=by)


def _list_no(row) -> str:
    return str(row.values.get("number") or "").strip().upper()


@register
class ReceiptImport(XmlKind, ImportKind):
    key = "customs_receipts"
    label = gettext_lazy("Customs receipts (核注清单回执)")
    description = gettext_lazy(
        "INV201/INV202 receipts as the customs client receives them (one file or a zip). Approved and "
        "deducted posts the list; 退单/删单 cancels it or, once posted, reverses it; a receipt for a list "
        "not yet known waits in the queue."
    )
    write_area = "ledger"
    batch_size = 2000
    columns = []
    FIELDS = ("message_id", "list_number", "internal_number", "book", "status", "deduction", "receipt_time")

    def header(self, key: str) -> str:
        return RECEIPT_ELEMENTS.get(key, key)

    def read_rows(self, path, filename, result):
        self.headers = {k: RECEIPT_ELEMENTS[k] for k in self.FIELDS}
        result.headers = list(self.headers.values())
        return self._rows(Path(path), filename)

    def _rows(self, path: Path, filename: str):
        try:
            for msg in xmlio.read_messages(path, filename):
                if isinstance(msg, xmlio.BadMessage):
                    yield RowError(msg.ordinal, f"{msg.source} {msg.element}".strip(), "", msg.reason)
                    continue
                if msg.type == xmlio.INV101 and self.mixed:
                    continue
                if msg.type not in xmlio.RECEIPT_TYPES:
                    yield RowError(
                        msg.ordinal,
                        f"{msg.source} › EnvelopInfo/message_type",
                        msg.type,
                        _(
                            "This is a %(type)s message, not a receipt of an inventory list (INV201/INV202); it is refused."
                        )
                        % {"type": msg.type or _("unknown")},
                    )
                    continue
                yield from self._receipt_row(msg)
        except xmlio.FileRefused as exc:
            yield RowError(row=None, column=filename, value="", reason=exc.reason)

    def _receipt_row(self, msg):
        head, res = msg.head, msg.result
        when_text = (
            res.get("manageDate") or head.get("formalVrfdedTime") or head.get("prevdTime") or msg.send_time
        )
        values = {
            "message_id": msg.message_id,
            "message_type": msg.type,
            "list_number": (head.get("bondInvtNo") or res.get("businessId") or "").strip().upper(),
            "internal_number": head.get("etpsInnerInvtNo") or res.get("etpsPreentNo") or "",
            "book": (head.get("putrecNo") or "").strip().upper(),
            "status": head.get("invtStucd", ""),
            "deduction": head.get("vrfdedMarkcd", ""),
            "manage_result": res.get("manageResult", ""),
            "note": (res.get("rmk") or "")[:500],
            "receipt_time": parse_time(when_text),
            "filename": msg.source[:255],
        }
        raw = {k: ("" if v is None else str(v)) for k, v in values.items()}
        raw["receipt_time"] = when_text or ""
        row = Row(number=msg.ordinal, values=values, raw=raw)
        row.where = msg.source
        problems = []
        for key in ("message_id", "book", "status", "receipt_time"):
            if not values[key]:
                problems.append((key, _("This element is required.") if not raw[key] else _("Not a date.")))
        if not values["list_number"] and not values["internal_number"]:
            problems.append(("list_number", _("The receipt names no list (bondInvtNo or etpsInnerInvtNo).")))
        if values["status"] and values["status"] not in services.STATUS_LABELS:
            problems.append(("status", _("Not a list status code (0, 1, 2, 3).")))
        if problems:
            for key, reason in problems:
                yield self.error(row, key, reason)
        else:
            yield row

    def error(self, row, key, reason):
        return RowError(
            row.number,
            f"{getattr(row, 'where', '')} › {self.header(key)}",
            str(row.raw.get(key) or ""),
            str(reason),
        )

    def validate(self, rows: list[Row]) -> list[RowError]:
        errors = []
        numbers = {r.values["book"] for r in rows}
        qs = Book.objects.filter(number__in=numbers)
        if self.user is not None:
            qs = qs.for_user(self.user)
        self.books = {b.number: b for b in qs}
        seen: dict[str, Row] = {}
        for row in rows:
            if row.values["book"] not in self.books:
                errors.append(
                    self.error(row, "book", _("No book %(n)s in your scope.") % {"n": row.values["book"]})
                )
            first = seen.setdefault(row.values["message_id"], row)
            if first is not row and first.values != row.values:
                errors.append(
                    self.error(
                        row,
                        "message_id",
                        _("The receipt number is used by %(other)s with different content.")
                        % {"other": first.where},
                    )
                )
        return errors

    def write(self, rows: Iterable[Row], by) -> int:
        rows = list(rows)
        data = []
        for row in rows:
            v = dict(row.values)
            v["book"] = self.books[v["book"]]
            data.append(v)
        return services.record_receipts(data, by=by, source=self.source).received


RECEIPT_ELEMENTS = {
    "message_id": "EnvelopInfo/message_id",
    "list_number": "BondInvtBsc/bondInvtNo",
    "internal_number": "BondInvtBsc/etpsInnerInvtNo",
    "book": "BondInvtBsc/putrecNo",
    "status": "BondInvtBsc/invtStucd",
    "deduction": "BondInvtBsc/vrfdedMarkcd",
    "receipt_time": "HdeApprResult/manageDate",
}
