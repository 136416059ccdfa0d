"""manage.py ledger_monthclose_bench [--repeat 3] [--until YYYY-MM]

Times the everyday check (``monthclose.check_open``: last verified snapshot + the open months'
lines) against the full ``check_balances`` on the current database, after closing every month up
to ``--until`` (default: the month before the newest declaration date, so the open months hold the
last month's lines).  Both results are compared before any time is printed; the load average is
printed with the figures (docs/ledger.md, "Month close").
"""

from __future__ import annotations

import datetime as dt
import os
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Max

from zonebook.core.context import acting_as
from zonebook.ledger.models import BalanceSnapshot, InventoryList, InventoryListLine, MonthClose
from zonebook.ledger.services import check_balances, monthclose


class Command(BaseCommand):
    help = "Time the month-close everyday check against the full check_balances."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument("--until", metavar="YYYY-MM")

    def _t(self, fn):
        t0 = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t0

    def handle(self, *args, repeat=3, until=None, **opts):
        newest = InventoryList.objects.filter(state="posted").aggregate(d=Max("declaration_date"))["d"]
        if newest is None:
            raise CommandError("no posted lists: generate data first (manage.py bench generate)")
        if until:
            y, m = (int(x) for x in until.split("-"))
            day = dt.date(y, m, 1)
        else:
            day = monthclose.previous_month(newest)
        with acting_as("command"):
            r, t_close = self._t(lambda: monthclose.close_through(day))
        self.stdout.write(
            f"closed {len(r.months)} month(s) up to {day:%Y-%m} in {t_close:.1f} s "
            f"({r.items:,} snapshot rows; {BalanceSnapshot.objects.count():,} in all, "
            f"{MonthClose.objects.count():,} closes)"
        )
        cut = MonthClose.objects.filter(status="closed").aggregate(d=Max("last_day"))["d"]
        open_lines = InventoryListLine.objects.filter(
            inventory_list__state="posted", inventory_list__declaration_date__gt=cut
        ).count()
        all_lines = InventoryListLine.objects.filter(inventory_list__state="posted").count()
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        fast, full = [], []
        for _ in range(repeat):
            a, t_a = self._t(lambda: monthclose.check_open())
            b, t_b = self._t(lambda: check_balances())
            if a != b:
                raise CommandError(f"check_open and check_balances disagree: {a[:3]} vs {b[:3]}")
            fast.append(t_a)
            full.append(t_b)
        load = os.getloadavg()
        self.stdout.write(
            f"{connection.vendor}: {all_lines:,} posted lines, {open_lines:,} in the open months; "
            f"results equal ({len(a)} difference(s))"
        )
        self.stdout.write(
            f"check_open (snapshot + open months): best {min(fast):.3f} s, median {sorted(fast)[len(fast) // 2]:.3f} s"
        )
        self.stdout.write(
            f"check_balances (full):              best {min(full):.3f} s, median {sorted(full)[len(full) // 2]:.3f} s"
        )
        self.stdout.write(f"ratio {min(full) / min(fast):.1f}x; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
