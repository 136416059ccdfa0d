"""manage.py ledger_import_deposits FILE: import a legacy deposit ledger archive (保证金台账, xlsx/csv;
header row with the column names of ``services.deposit``); all or nothing, errors name row and column."""

from django.core.management.base import BaseCommand, CommandError

from zonebook.core.context import acting_as
from zonebook.core.errors import DomainError


class Command(BaseCommand):
    help = "Import legacy deposit ledger records (保证金台账) from an archive file."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **o):
        from zonebook.core.imports.readers import open_rows
        from zonebook.ledger.services.deposit import import_deposits

        rows, header = [], None
        try:
            for n, cells in open_rows(file):
                values = ["" if c is None else str(c).strip() for c in cells]
                if header is None:
                    header = [v.lower() for v in values]
                    continue
                if any(values):
                    rows.append({"row": n, **dict(zip(header, values, strict=False))})
            with acting_as("command"):
                count = import_deposits(rows, source=str(file))
        except DomainError as exc:
            for d in exc.details:
                self.stderr.write(str(d))
            raise CommandError(str(exc.message))
        self.stdout.write(f"imported {count} deposit records")
