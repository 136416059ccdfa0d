"""``manage.py load_writeoff_demo``: a write-off with a stocktake for every demo book (run after
``load_ledger_demo``), so the write-off and difference-case pages have data.

For each book without a write-off: cycle = the book's cycle start (else its first list) … today;
the stocktake counts every material at its expected remaining times a deterministic factor — most
within ±0.8 %, every seventh material short by 2–6 % (an undeclared sale), every eleventh over by
1.5–4 % (consumption declared too high), every thirteenth counted over all books short by 6–9 % of its filed consumption
(consumption declared too low; the alerts' write-off flag) — then the write-off moves to pre-check, which opens the
difference cases.  Deterministic (fixed seed); all through the services, in one transaction.
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

SEED = 20261123


class Command(BaseCommand):
    help = "Create a write-off with a stocktake (and its difference cases) for every demo book."

    def handle(self, *args, **options):
        from zonebook.core.context import acting_as
        from zonebook.core.errors import DomainError
        from zonebook.ledger.calc import q5
        from zonebook.ledger.models import Book, DifferenceCase, WriteOff
        from zonebook.ledger.services import writeoff as svc

        rnd = random.Random(SEED)
        today = timezone.localdate()
        made = skipped = counted = 0
        with acting_as("command"), transaction.atomic():
            for book in Book.objects.exclude(writeoffs__isnull=False).order_by("number"):
                first = book.inventory_lists.filter(state="posted").aggregate(d=Min("declaration_date"))["d"]
                start = book.cycle_start or first
                if start is None or start > today:
                    skipped += 1
                    continue
                try:
                    wo = svc.create_writeoff(book, start, today, note="demo")
                    rows = []
                    for n, (seq, er, used) in enumerate(
                        wo.lines.filter(kind="material")
                        .order_by("seq_no")
                        .values_list("seq_no", "expected_remaining", "consumption")
                    ):
                        counted += 1
                        if counted % 13 == 9 and used > 0:
                            # actual consumption 6–9 % above the filed one (单耗 declared too low)
                            rows.append(
                                {
                                    "kind": "material",
                                    "seq_no": seq,
                                    "stock": max(
                                        q5(er - used * Decimal(rnd.randint(6, 9)) / 100), Decimal(0)
                                    ),
                                }
                            )
                            continue
                        if n % 7 == 3:
                            factor = 1 - Decimal(rnd.randint(200, 600)) / 10000
                        elif n % 11 == 5:
                            factor = 1 + Decimal(rnd.randint(150, 400)) / 10000
                        else:
                            factor = 1 + Decimal(rnd.randint(-80, 80)) / 10000
                        rows.append(
                            {"kind": "material", "seq_no": seq, "stock": max(q5(er * factor), Decimal(0))}
                        )
                    svc.import_stocktake(wo, rows, source="demo")
                    svc.change_writeoff_state(wo, "pre_check", note="demo")
                    made += 1
                except DomainError as exc:
                    self.stderr.write(f"{book.number}: {exc.message}")
                    skipped += 1
        cases = DifferenceCase.objects.filter(writeoff__note="demo").count()
        self.stdout.write(
            f"write-offs created: {made}, skipped: {skipped}, difference cases opened: {cases}"
            f" (write-offs in the database: {WriteOff.objects.count()})"
        )
