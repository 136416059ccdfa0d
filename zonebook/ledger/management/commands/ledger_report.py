"""manage.py ledger_report balances --book NUMBER [--as-of YYYY-MM-DD] --format csv|xlsx [--output FILE]
manage.py ledger_report writeoff --book NUMBER --from YYYY-MM-DD --to YYYY-MM-DD --format csv|xlsx [--output FILE]

``writeoff``: one row per material with the write-off columns (docs/ledger-writeoff.md); the stored
write-off of exactly that cycle if there is one (its lists and stocktake), else computed on the fly.

One row per book item (materials then products, by sequence number) with every balance column.
The header names are documented in docs/ledger.md ("Balance report").  CSV goes to stdout unless
--output is given; xlsx needs --output (or writes the bytes to stdout).  Every cell goes through
``core.exports``: text that a spreadsheet would run as a formula (``=…``, ``+…``, ``-…``, ``@…``) gets a
leading ``'``; numbers stay numbers (xlsx: with the column's decimals and a thousands separator).
"""

import datetime as dt
import io
import sys

from django.core.management.base import BaseCommand, CommandError

from zonebook.core.exports import IDENTIFIER, XlsxBook, csv_text, field_decimals
from zonebook.ledger.models import BALANCE_FIELDS, Balance, Book
from zonebook.ledger.services import balances_as_of

ITEM_HEADERS = [
    ("kind", "kind"),
    ("seq_no", "seq_no"),
    ("part_no", "part_no"),
    ("hs_code", "hs_code"),
    ("name", "name"),
    ("unit", "unit"),
]
HEADERS = [h for _, h in ITEM_HEADERS] + [h for _, _, h in BALANCE_FIELDS]
KEYS = [k for k, _ in ITEM_HEADERS] + [k for k, _, _ in BALANCE_FIELDS]


def report_rows(book: Book, as_of=None):
    for r in balances_as_of(book, as_of):
        yield [r[k] for k in KEYS]


class Command(BaseCommand):
    help = "Print a book's balances (one row per item, every balance column) as CSV or xlsx."

    def add_arguments(self, parser):
        parser.add_argument("report", choices=["balances", "writeoff"])
        parser.add_argument("--book", required=True, help="Book number (备案号)")
        parser.add_argument(
            "--as-of", dest="as_of", help="YYYY-MM-DD: computed from lists declared up to this date"
        )
        parser.add_argument("--from", dest="date_from", help="writeoff: cycle start YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", help="writeoff: cycle end YYYY-MM-DD")
        parser.add_argument("--format", dest="fmt", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", help="File to write (default stdout)")

    def handle(self, *args, report, book, as_of=None, fmt="csv", output=None, **opts):
        # the number as typed (normalised: trimmed, upper case), or exactly as stored
        b = Book.objects.filter(number=book.strip().upper()).first() or Book.objects.filter(number=book).first()
        if b is None:
            raise CommandError(f"unknown book number {book}")
        if report == "writeoff":
            return self._writeoff(b, opts.get("date_from"), opts.get("date_to"), fmt, output)
        date = None
        if as_of:
            try:
                date = dt.date.fromisoformat(as_of)
            except ValueError:
                raise CommandError(f"--as-of: {as_of} is not a date (YYYY-MM-DD)")
        rows = list(report_rows(b, date))
        if fmt == "csv":
            self._write_csv(csv_text([HEADERS, *rows]), output)
            return
        decimals = [None, IDENTIFIER, None, None, None, None] + [
            field_decimals(Balance._meta.get_field(k)) for k, _, _ in BALANCE_FIELDS
        ]

        def write(target):
            book = XlsxBook(target)
            ws = book.sheet(b.number)
            ws.header(HEADERS)
            ws.ws.freeze_panes(1, 0)
            ws.set_decimals(decimals)
            for r in rows:
                ws.row(r)
            book.close()

        self._write_xlsx(write, output)

    def _write_csv(self, text: str, output):
        if output:
            with open(output, "w", encoding="utf-8-sig", newline="") as fh:
                fh.write(text)
        else:
            self.stdout.write(text, ending="")

    def _write_xlsx(self, write, output):
        if output:
            write(output)
        else:
            data = io.BytesIO()
            write(data)
            sys.stdout.buffer.write(data.getvalue())

    def _writeoff(self, book, date_from, date_to, fmt, output):
        from zonebook.core.errors import DomainError
        from zonebook.ledger.exports.writeoff import material_csv, material_xlsx
        from zonebook.ledger.services.writeoff import report_for_cycle

        dates = []
        for name, value in (("--from", date_from), ("--to", date_to)):
            if not value:
                raise CommandError(f"{name} is required for the writeoff report")
            try:
                dates.append(dt.date.fromisoformat(value))
            except ValueError:
                raise CommandError(f"{name}: {value} is not a date (YYYY-MM-DD)")
        try:
            _wo, rows = report_for_cycle(book, *dates)
        except DomainError as exc:
            raise CommandError(str(exc.message))
        if fmt == "csv":
            self._write_csv(material_csv(book.pk, rows), output)
            return
        self._write_xlsx(lambda target: material_xlsx(book.pk, rows, target, sheet_title=book.number), output)
