"""manage.py ledger_recompute [--check] [--book NUMBER ...]

Without --check: rebuild the stored balances from the posted lines.  With --check: only compare
and print the differences; exit code 1 when any balance differs (for the nightly job and CI).
"""

from django.core.management.base import BaseCommand, CommandError

from zonebook.core.context import acting_as
from zonebook.ledger.models import Book
from zonebook.ledger.services import check_balances, recompute


class Command(BaseCommand):
    help = "Recompute ledger balances from the posted inventory lists, or check them (--check)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Only compare stored balances with a recompute."
        )
        parser.add_argument(
            "--book", action="append", default=None, help="Book number (repeatable); default all books."
        )

    def handle(self, *args, check=False, book=None, **opts):
        book_ids = None
        if book:
            found = dict(Book.objects.filter(number__in=book).values_list("number", "id"))
            missing = sorted(set(book) - set(found))
            if missing:
                raise CommandError(f"unknown book number(s): {', '.join(missing)}")
            book_ids = list(found.values())
        if check:
            diffs = check_balances(book_ids)
            for d in diffs:
                cols = "; ".join(
                    f"{c} stored={v['stored']} recomputed={v['recomputed']}" for c, v in d["columns"].items()
                )
                self.stdout.write(
                    f"book {d['book_id']} item {d['item_id']}{' (missing row)' if d['missing'] else ''}: {cols}"
                )
            if diffs:
                raise CommandError(f"{len(diffs)} balance row(s) differ from the recompute", returncode=1)
            self.stdout.write("balances match the posted lines")
            return
        with acting_as("command"):
            n = recompute(book_ids)
        self.stdout.write(f"recomputed {n} balance row(s)")
