"""manage.py ledger_recompute [--check [--open]] [--close YYYY-MM] [--book NUMBER ...]

Without --check: rebuild the stored balances from the posted lines.  With --check: only compare
and print the differences; exit code 1 when any balance differs (for the nightly job and CI).
With --check --open: the everyday check (the last verified month-close snapshot + only the lines of
the open months, ``services.monthclose.check_open``).  --close YYYY-MM: close every month up to that
one not closed yet (month close, verified against a full computation).
"""

from django.core.management.base import BaseCommand, CommandError

from zonebook.core.context import acting_as
from zonebook.core.errors import DomainError
from zonebook.ledger.models import Book
from zonebook.ledger.services import check_balances, monthclose, recompute


class Command(BaseCommand):
    help = "Recompute ledger balances from the posted inventory lists, or check them (--check)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Only compare stored balances with a recompute."
        )
        parser.add_argument(
            "--open",
            action="store_true",
            help="With --check: start from the last month-close snapshot and read only the open months.",
        )
        parser.add_argument("--close", metavar="YYYY-MM", help="Close every month up to this one (month close).")
        parser.add_argument(
            "--book", action="append", default=None, help="Book number (repeatable); default all books."
        )

    def handle(self, *args, check=False, book=None, open=False, close=None, **opts):  # noqa: A002
        book_ids = None
        if book:
            found = dict(Book.objects.filter(number__in=book).values_list("number", "id"))
            missing = sorted(set(book) - set(found))
            if missing:
                raise CommandError(f"unknown book number(s): {', '.join(missing)}")
            book_ids = list(found.values())
        if close:
            try:
                year, month = (int(x) for x in close.split("-"))
                until = monthclose.month_bounds(year, month)[0]
            except (ValueError, DomainError):
                raise CommandError(f"--close takes a month as YYYY-MM, not {close!r}") from None
            with acting_as("command"):
                r = monthclose.close_through(until, book_ids=book_ids)
            self.stdout.write(str(r.message))
            return
        if check:
            diffs = monthclose.check_open(book_ids) if open else check_balances(book_ids)
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
