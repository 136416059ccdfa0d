"""``manage.py load_alerts_demo``: make the demo show alerts and plausibility flags (run by
``load_demo`` after ``load_ledger_demo``).

The ledger demo already has books near expiry and write-off cycles ending soon.  This adds, through
the ledger services:

* domestic-sale (内销, mode 0644) lists on two handbook/e-book books: one declared last month (tax due
  on the 15th of this month: red or overdue) and one this month (due the 15th of next month);
* one e-book whose write-off cycle ended 22 days ago (报核 due in 8 days: amber);
* a revised consumption version (单耗 +25 %, tangible loss +3 points on one material) on one book,
  which is flagged against its previous version and against the provincial peer median;

then refreshes the registers and sends the notifications.  Deterministic; skipped when the ledger
demo is missing; when the alerts demo ran already only the (idempotent) refresh is repeated.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

DEMO_NOTE = "alerts demo"


class Command(BaseCommand):
    help = "Demo data for alerts: domestic-sale lists, a deviating consumption version; then send_alerts."

    def handle(self, *args, **options):
        from zonebook.accounts.models import User
        from zonebook.core.context import acting_as
        from zonebook.ledger.models import Book, InventoryList

        from ... import services

        if InventoryList.objects.filter(note=DEMO_NOTE).exists():
            # the data is there; refreshing the registers is idempotent and completes a demo whose
            # refresh never ran
            result = services.send_due_alerts(timezone.localdate())
            self.stdout.write(
                "Alerts demo already loaded; registers refreshed: "
                + ", ".join(f"{v} {k}" for k, v in result.items())
            )
            return
        books = list(
            Book.objects.filter(kind__in=("C", "E"), status="in_use")
            .select_related("zone")
            .order_by("number")
        )
        if not books:
            self.stdout.write("No ledger demo books; alerts demo skipped.")
            return
        by = User.objects.filter(username="admin").first()
        today = timezone.localdate()
        made = {"lists": 0, "versions": 0, "cycles": 0}
        with acting_as("demo"), transaction.atomic():
            last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=5)
            two_months_ago = (last_month - dt.timedelta(days=10)).replace(day=12)
            candidates = list(books)
            for declared in (two_months_ago, last_month):
                for book in candidates:  # the first book that can take the sale
                    if self._domestic_sale(book, declared, made["lists"], by):
                        made["lists"] += 1
                        candidates.remove(book)
                        break
            made["cycles"] = self._cycle_ended(books, today, by)
            made["versions"] += self._deviating_version(books, today, by)
        result = services.send_due_alerts(today)
        self.stdout.write(
            self.style.SUCCESS(
                "Alerts demo loaded: " + ", ".join(f"{v} {k}" for k, v in {**made, **result}.items())
            )
        )

    def _domestic_sale(self, book, declared, n, by) -> bool:
        from zonebook.core.errors import DomainError
        from zonebook.ledger import services as ledger

        # the material with the most left, so the sale never takes a balance below zero
        balance = (
            book.balances.filter(item__kind="material")
            .select_related("item")
            .order_by("-expected_remaining")
            .first()
        )
        if (
            balance is None
            or balance.expected_remaining < 100
            or (book.valid_until and book.valid_until < declared)
        ):
            return False
        material = balance.item
        office = (book.customs_office or "7901")[:4]
        header = {
            "number": f"QD{office}{declared:%y}I{990000100 + n:09d}",
            "ie_mark": "I",
            "supervision_mode": "0644",
            "item_kind": "material",
            "declaration_date": declared,
            "note": DEMO_NOTE,
        }
        line = {
            "item_seq_no": material.seq_no,
            "qty": str(Decimal(20 + 10 * n)),
            "amount": str((Decimal(20 + 10 * n) * material.unit_price).quantize(Decimal("0.01"))),
        }
        try:
            lst = ledger.create_inventory_list(book, header, [line], by=by)
            ledger.submit_inventory_list(lst, by=by)
            ledger.post_inventory_list(lst, by=by)
        except DomainError as exc:
            self.stderr.write(f"{book.number}: {exc.message}")
            return False
        return True

    def _cycle_ended(self, books, today, by) -> int:
        """One e-book whose write-off cycle ended 22 days ago: reporting due in 8 days (amber)."""
        from zonebook.core.errors import DomainError
        from zonebook.ledger import services as ledger

        for book in books:
            if book.kind != "E" or not book.cycle_start:
                continue
            try:
                ledger.update_book(book, {"cycle_end": today - dt.timedelta(days=22)}, by=by)
            except DomainError as exc:
                self.stderr.write(f"{book.number}: {exc.message}")
                continue
            return 1
        return 0

    def _deviating_version(self, books, today, by) -> int:
        from zonebook.core.errors import DomainError
        from zonebook.ledger import services as ledger
        from zonebook.ledger.models import Consumption

        for book in books:
            product = book.items.filter(kind="product").order_by("seq_no").first()
            if product is None:
                continue
            rows = list(Consumption.objects.filter(product=product).order_by("material_id"))
            versions = sorted({r.version for r in rows})
            if not rows:
                continue
            current = versions[-1]
            first = next(r for r in rows if r.version == current)
            new = f"{int(current) + 1}" if current.isdigit() else "9"
            changes = {
                first.material_id: {
                    "net": (first.net * Decimal("1.25")).quantize(Decimal("0.000000001")),
                    "tangible_rate": first.tangible_rate + 3,
                }
            }
            try:
                ledger.revise_consumption(product, current, new, changes, valid_from=today, by=by)
            except DomainError as exc:
                self.stderr.write(f"{book.number}: {exc.message}")
                continue
            return 1
        return 0
