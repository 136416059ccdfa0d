"""Import kinds of the customs messages: INV101 (核注清单) → inventory lists, receipts → the queue.

``Inv101Import`` runs the ledger's staged inventory-list import (``ledger.importers
.InventoryListImport``: staging, publish, discard) with its own reader and its own batch work:

* one import row is one whole message (``row_weight``: it counts and batches as its lines), read
  by the hardened parser (``xmlio``) into a header dict and one dict per line;
* the header is checked in Python (a few elements per message); the lines of every message of a
  batch are checked together in SQL (``linecheck``: one staged table, one query joining the book
  items and the unit code table: item exists, unit in the code table and equal to the filed unit,
  required elements, number formats);
* the lists of a batch are created per book by ONE ``ledger.services.create_inventory_lists`` call
  per chunk (its lines go out in one COPY), staged as hidden lists and published at the end.

Errors name the message (file and etpsInnerInvtNo) and the element.  A message imported before
with the same content is skipped (nothing changes); another content under the same
etpsInnerInvtNo is refused, naming both messages.  The lists are created *submitted* (a filed
message is declared to customs) and marked ``source = customs``; receipts already waiting for
them are applied when they are published.

``ReceiptImport`` records the receipts of a file batch by batch and applies them all at the end
(``complete``) in their customs time order.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.core.errors import DomainError, RowError
from zonebook.core.imports import staging
from zonebook.core.imports.kinds import ImportKind, Row, register
from zonebook.core.vector import copy_create
from zonebook.ledger import services as ledger
from zonebook.ledger.choices import ItemKind, ListSource, ListState
from zonebook.ledger.importers import LIST_HEADER, InventoryListImport, ListAction
from zonebook.ledger.models import Book

from . import linecheck, services, xmlio
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


@functools.lru_cache(maxsize=4096)  # (a file's messages repeat a few hundred dates; the result is immutable)
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


_HASH_HEAD = tuple(sorted((*HEAD_ELEMENTS.values(), "dclcusFlag", "invtType", "listType")))
_HASH_LINE = tuple(sorted((*LINE_ELEMENTS.values(), *UNIT_ELEMENTS, "natcd", "destinationNatcd")))
_BLANKS = ("",) * max(len(_HASH_HEAD), len(_HASH_LINE))  # map(get, keys, _BLANKS)


# Separators of the hashed text: control characters XML 1.0 allows in no text (not even as a
# character reference), so the joined values of a message are unambiguous.
_UNIT, _RECORD = "\x1f", "\x1e"


def content_hash(head: dict, lines: list[dict]) -> str:
    """SHA-256 of the message's business content: the hashed header elements (``_HASH_HEAD``, sorted;
    a missing one empty), then each line's (``_HASH_LINE``), joined by separators no XML text holds."""
    text = (
        _UNIT.join(map(head.get, _HASH_HEAD, _BLANKS))
        + _RECORD
        + _RECORD.join([_UNIT.join(map(ln.get, _HASH_LINE, _BLANKS)) for ln in lines])
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash_v1(head: dict, lines: list[dict]) -> str:
    """The hash messages stored before 2026-12-05 carry (the JSON of the same values with their keys;
    4× slower): a replay of such a message is recognised by it (``Inv101Import._group``)."""
    keep_head = dict(zip(_HASH_HEAD, map(head.get, _HASH_HEAD, _BLANKS), strict=False))
    keep_lines = [dict(zip(_HASH_LINE, map(ln.get, _HASH_LINE, _BLANKS), strict=False)) for ln in lines]
    data = json.dumps([keep_head, keep_lines], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _prepare(msg: xmlio.Message) -> None:
    """What the parse processes do for each INV101 message besides parsing it: its content hash and
    what the batch's line check needs of it (``linecheck.summary``).  (The ledger reads the lines'
    elements as they are: ``ledger_lines``.)"""
    if msg.type == xmlio.INV101 and msg.head:
        msg.prepared = {"digest": content_hash(msg.head, msg.lines), "line_check": linecheck.summary(msg.lines)}


def _country_element(head: dict) -> str:
    """The element a line's country is read from: the destination of an export, else the origin."""
    return "destinationNatcd" if head.get("impexpMarkcd") == "E" else "natcd"


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

    # One import row is one whole message (``row_weight``: it counts and batches as its lines).
    # Lines per batch: the staged lines are checked in SQL and the lists created per batch.
    batch_size = 20_000

    def __init__(self, user=None):
        super().__init__(user)
        self.messages: dict[str, dict] = {}  # list number → what to record when the list is written
        self.line_contexts: dict = {}  # (book, item kind) → the ledger's line context, kept across batches
        self.skipped = 0

    def row_weight(self, row: Row) -> int:
        return max(1, len(row.values["lines"]))

    def batch_key(self, row):
        return None  # a row is a whole message: a batch may end after any of them

    # -- reading -------------------------------------------------------------------------------
    def header(self, key: str) -> str:
        return element_path(key)

    def error(self, row: Row, key: str, reason: str) -> RowError:
        where = getattr(row, "where", "")
        value = row.raw.get(key)
        return RowError(
            row=row.number,
            column=f"{where} › {element_path(key)}" if where else element_path(key),
            value="" if value is None else str(value),
            reason=str(reason),
        )

    def line_error(self, row: Row, line: dict, n: int, element: str, value: str, reason: str) -> RowError:
        return RowError(
            row.number,
            f"{row.where} › InvtListType[{line.get('gdsSeqno') or n}]/{element}",
            "" if value is None else str(value),
            str(reason),
        )

    def errors_for(self, row, exc):
        out = super().errors_for(row, exc)
        where = getattr(row, "where", "")
        return [RowError(e.row, e.column or where, e.value, e.reason) for e in out]

    def read_rows(self, path, filename: str, result) -> Iterator[Row | RowError]:
        self.headers = {
            "message": _("customs message"),
            "number": element_path("number"),
            "internal_number": element_path("internal_number"),
            "book": element_path("book"),
            "supervision_mode": element_path("supervision_mode"),
            "declaration_date": element_path("declaration_date"),
            "lines": _("InvtListType lines"),
        }
        result.headers = list(self.headers.values())
        return self._rows(Path(path), filename, result)

    def _rows(self, path: Path, filename: str, result) -> Iterator[Row | RowError]:
        group: list = []
        # the messages met so far: "book\x1finternal no" → their hash (64 hex digits) and file name as
        # one string (≈ 0.25 KB a message: this is what the import keeps per message of the file)
        seen: dict[str, str] = {}
        try:
            for msg in xmlio.read_messages(path, filename, prepare=_prepare):
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
            digest = msg.prepared.get("digest") or content_hash(msg.head, msg.lines)
            seen_key = f"{key[0]}\x1f{key[1]}"
            before = seen.get(seen_key)
            if before is not None:
                if before[:64] == digest:
                    self.skipped += 1
                    continue
                yield RowError(
                    msg.ordinal,
                    f"{msg.source} › InvtHeadType/etpsInnerInvtNo",
                    key[1],
                    _(
                        "Message %(this)s and message %(other)s carry the same etpsInnerInvtNo with different content; both are refused."
                    )
                    % {"this": msg.label, "other": f"{before[64:]} ({key[1]})"},  # (its label)
                )
                continue
            seen[seen_key] = digest + msg.source  # (a SHA-256 in hex: 64 characters)
            old = stored.get(key)
            if old is not None:
                if old.content_hash in (digest, content_hash_v1(msg.head, msg.lines)):
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
            yield self._message_row(msg, digest)

    def _stored(self, msgs: list) -> dict:
        """The stored messages of these (book, etpsInnerInvtNo) pairs: one query per group.  (Not the
        messages of lists another import is still staging: they are not imported until it publishes.)"""
        pairs = {(m.head["putrecNo"].upper(), m.head["etpsInnerInvtNo"]) for m in msgs}
        if not pairs:
            return {}
        out = {}
        qs = (
            InventoryMessage.objects.filter(internal_number__any={i for _b, i in pairs})
            .exclude(inventory_list__state=ListState.IMPORTING)
            .select_related("book")
        )
        for m in qs.filter(book__number__in={b for b, _i in pairs}):
            out[(m.book.number, m.internal_number)] = m
        return out

    def _check(self, msg) -> list[RowError]:
        """The header of one message (the lines are checked together, in SQL: ``linecheck``)."""
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
        if errors:
            # refused already: name its missing line elements too (a clean header's lines are
            # checked with the batch, in SQL)
            for n, line in enumerate(msg.lines, start=1):
                for name in REQUIRED_LINE:
                    if not line.get(name):
                        bad(
                            f"InvtListType[{line.get('gdsSeqno') or n}]/{name}",
                            "",
                            _("This element is required."),
                        )
        return errors

    def _message_row(self, msg, digest: str) -> Row:
        head = msg.head
        values = {key: head.get(element, "") or None for key, element in HEAD_ELEMENTS.items()}
        values["item_kind"] = ITEM_KIND_OF.get(head.get("mtpckEndprdMarkcd", ""))
        values["declaration_date"] = parse_time(head["invtDclTime"]).date()
        values["book"] = head["putrecNo"].upper()
        values["number"] = head["bondInvtNo"].strip().upper()
        values["lines"] = msg.lines
        values["country_element"] = _country_element(head)
        values["line_check"] = msg.prepared.get("line_check", linecheck.NOT_COMPUTED)
        raw = {k: head.get(e, "") for k, e in HEAD_ELEMENTS.items()}
        raw["message"] = msg.label
        raw["lines"] = len(msg.lines)
        row = Row(number=msg.ordinal, values=values, raw=raw)
        row.where = msg.label
        self.messages[values["number"]] = {
            "message_id": msg.message_id[:80],
            "filename": msg.source[:255],
            "content_hash": digest,
            "lines": len(msg.lines),
            "internal_number": head["etpsInnerInvtNo"],
        }
        return row

    # -- checking and writing a batch of messages ---------------------------------------------------
    def apply(self, rows, by):
        errors: list[RowError] = []
        books = self.books(rows)
        todo: list[tuple[Row, Book]] = []
        for row in rows:
            book = self.book_of(row, books, errors)
            if book is not None:
                todo.append((row, book))
        bad_rows = self._line_errors(todo, errors)
        batches: dict[int, tuple[Book, list]] = {}
        for row, book in todo:
            if row.number in bad_rows:
                continue
            v = row.values
            header = {
                k: v[k] for k in LIST_HEADER if k not in ("book", "action") and v.get(k) not in (None, "")
            }
            lines = ledger_lines(v["lines"], v["country_element"])
            batches.setdefault(book.pk, (book, []))[1].append((row, header, lines))
        staged = self.staging and not self.validating
        for book, items in batches.values():
            # posting order is the declaration date (stable: file order within a day)
            items.sort(key=lambda it: it[1]["declaration_date"])
            # committed chunks while staging on SQLite (each holds the one write lock: kept short)
            size = STAGE_LINES if staged and connection.vendor == "sqlite" else CHUNK_LINES
            for chunk in _chunks(items, size):
                created: list = []
                t0 = time.perf_counter()
                exc = self.attempt(
                    lambda book=book, chunk=chunk, created=created: created.append(
                        ledger.create_inventory_lists(
                            book,
                            [(h, lines) for _r, h, lines in chunk],
                            action=ListAction.SUBMIT,
                            by=by,
                            staged=staged,
                            source=ListSource.CUSTOMS,
                            line_contexts=self.line_contexts,
                        )
                    )
                )
                if exc is not None:
                    errors += self.batch_errors(chunk, exc)
                elif not self.validating:
                    # the messages of the new lists, written with them (staged lists: hidden with
                    # them, deleted with them by a discard): nothing of a written batch stays in memory
                    self._record(created[0].lists)
                    if staged:
                        self.staged_books[book.pk] = book
                        self.staged_ids.setdefault((book.pk, ListAction.SUBMIT), []).extend(
                            inv.pk for inv in created[0].lists
                        )
                        staging.pause(time.perf_counter() - t0)  # committed: let queued writers in
        if not errors and not self.staging and not self.validating:
            services.match_waiting({book.pk for _r, book in todo}, by=by)  # unstaged: the lists exist now
        return errors

    def write(self, rows, by) -> int:
        rows = list(rows)
        errors = self.apply(rows, by)
        if errors:  # the data changed between validate and write: the pipeline rolls back and reports it
            raise IntegrityError(str(errors[0]))
        return sum(self.row_weight(r) for r in rows)

    def _line_errors(self, todo: list[tuple[Row, Book]], errors: list[RowError]) -> set[int]:
        """Check the lines of every message of the batch together (``linecheck``: one staged table,
        one query); returns the rows (message ordinals) with a problem."""
        staged = [
            (k, book.pk, row.values["item_kind"] or "", row.values["lines"])
            for k, (row, book) in enumerate(todo)
        ]
        bad: set[int] = set()
        summaries = [row.values.get("line_check", linecheck.NOT_COMPUTED) for row, _book in todo]
        for p in linecheck.problems(staged, summaries):
            row, book = todo[p.batch_row]
            line = row.values["lines"][p.line - 1]
            errors.append(self.line_error(row, line, p.line, p.element, p.value, self._reason(p, row, book)))
            bad.add(row.number)
        return bad

    def _reason(self, p, row: Row, book: Book) -> str:
        if p.code == "required":
            return _("This element is required.")
        if p.code == "digits":
            return _("Not a whole number of at least 1.")
        if p.code == "number":
            _digits, places, _sign = linecheck.NUMBERS[p.element]
            return _("Not a number with at most %(n)d decimal places.") % {"n": places}
        if p.code == "no_item":
            kind = row.values["item_kind"]
            return _("no %(kind)s with this sequence number on book %(book)s") % {
                "kind": ItemKind(kind).label if kind in ItemKind.values else kind,
                "book": book.number,
            }
        if p.code == "unit_table":
            return _("Unit code “%(value)s” is not in the unit code table (海关计量单位代码).") % {
                "value": p.value
            }
        return _(
            "The declared unit differs from the unit %(unit)s filed for item %(seq)s of book %(book)s."
        ) % {
            "unit": p.filed_unit,
            "seq": row.values["lines"][p.line - 1].get("putrecSeqno", ""),
            "book": book.number,
        }

    def batch_errors(self, chunk: list[tuple], exc: DomainError) -> list[RowError]:
        """The ledger's errors of one chunk put back on the messages: a numbered detail counts the
        lines of the chunk in order (a list without lines counts one)."""
        details = [d for d in exc.details if isinstance(d, RowError)]
        if not details:
            return [e for row, _h, _l in chunk for e in self.errors_for(row, exc)]
        spans = []  # (first line number of the entry in the chunk, row)
        offset = 0
        for row, _h, lines in chunk:
            spans.append((offset + 1, row))
            offset += max(1, len(lines))
        firsts = [s for s, _r in spans]
        by_number = {h["number"]: row for row, h, _l in chunk}
        out = []
        for d in details:
            if d.row and 0 < d.row <= offset:
                k = bisect.bisect_right(firsts, d.row) - 1
                first, row = spans[k]
                n = d.row - first + 1
                element = LINE_ELEMENTS.get(d.column or "")
                if element and row.values["lines"]:
                    line = row.values["lines"][min(n, len(row.values["lines"])) - 1]
                    out.append(self.line_error(row, line, n, element, d.value, d.reason))
                    continue
            else:
                row = by_number.get(str(d.value), chunk[0][0])
            key = self.column_for(d.column)
            if key in HEAD_ELEMENTS:
                out.append(
                    RowError(row.number, f"{row.where} › {element_path(key)}", str(d.value or ""), d.reason)
                )
            else:
                out.append(RowError(row.number, row.where, str(d.value or ""), str(d.reason)))
        return out

    # -- after the lists are written -----------------------------------------------------------------
    def publish(self, by) -> list[RowError]:
        with transaction.atomic():
            errors = super().publish(by)
            if not errors:
                services.match_waiting(set(self.staged_books), by=by)
        return errors

    def _record(self, lists) -> None:
        """The message rows of newly written lists (what ``_message_row`` kept of each message,
        dropped from memory once written)."""
        rows = []
        for inv in lists:
            info = self.messages.pop(inv.number, None)
            if info is not None:
                rows.append(
                    InventoryMessage(
                        book_id=inv.book_id,
                        enterprise_id=inv.enterprise_id,
                        inventory_list_id=inv.pk,
                        list_number=inv.number,
                        source=self.source,
                        **info,
                    )
                )
        if rows:
            copy_create(InventoryMessage, rows, keys=False)


# Lines per create call: committed chunks when staged on SQLite, larger ones otherwise.
STAGE_LINES = 5_000
CHUNK_LINES = 20_000
# the element each ledger line field is read from; the country from natcd or destinationNatcd
FIELD_KEYS = {country: {**LINE_ELEMENTS, "country": country} for country in ("natcd", "destinationNatcd")}


def ledger_lines(lines: list[dict], country_element: str) -> ledger.KeyedLines:
    """A message's lines (element dicts, as parsed) as the ledger reads them: each line field from
    its element (``LINE_ELEMENTS``, the country from ``country_element``); an empty or absent element
    is a value not given (as an empty cell of the spreadsheet import)."""
    return ledger.KeyedLines(lines, FIELD_KEYS[country_element])


def _chunks(items: list, limit: int):
    chunk, n = [], 0
    for it in items:
        chunk.append(it)
        n += len(it[2])
        if n >= limit:
            yield chunk
            chunk, n = [], 0
    if chunk:
        yield chunk


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

    def __init__(self, user=None):
        super().__init__(user)
        self.recorded: list[int] = []  # receipts stored by this import, applied by ``complete``

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
        """Record the receipts of a batch (waiting); ``complete`` applies the whole file's."""
        rows = list(rows)
        data = []
        for row in rows:
            v = dict(row.values)
            v["book"] = self.books[v["book"]]
            data.append(v)
        recorded = services.record_receipts(data, by=by, source=self.source, apply=False)
        self.recorded += recorded.ids
        return recorded.received

    def complete(self, by) -> list[RowError]:
        """The receipts of the file applied in their customs time order, whatever order (and
        batch) they came in."""
        if self.recorded:
            services.apply_in_time_order(self.recorded, by=by)
        return []


RECEIPT_ELEMENTS = {
    "message_id": "EnvelopInfo/message_id",
    "list_number": "BondInvtBsc/bondInvtNo",
    "internal_number": "BondInvtBsc/etpsInnerInvtNo",
    "book": "BondInvtBsc/putrecNo",
    "status": "BondInvtBsc/invtStucd",
    "deduction": "BondInvtBsc/vrfdedMarkcd",
    "receipt_time": "HdeApprResult/manageDate",
}
