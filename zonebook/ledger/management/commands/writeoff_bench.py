"""manage.py writeoff_bench [--lines 50000] [--materials 1500] [--products 500] [--lists 10] [--keep]

Measures the write-off (报核) of one book on the configured database: a book with --materials +
--products items (BOM --bom materials per product), one import list of every material and --lists
product export lists totalling --lines lines (all posted through the services), then times
``create_writeoff`` (freeze + one INSERT … SELECT), the stocktake import (one row per item) and the
report SELECT alone (median of --repeat runs).  Rolled back unless --keep.  Not a test.
"""

import datetime as dt
import random
import statistics
import time
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from zonebook.core.context import acting_as
from zonebook.ledger import services
from zonebook.ledger.services import writeoff as wsvc
from zonebook.ledger.services.reference import load_reference_data
from zonebook.ledger.sql import writeoff as sql_writeoff
from zonebook.registry.models import Enterprise


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark one book's write-off report (rolled back unless --keep)."

    def add_arguments(self, parser):
        parser.add_argument("--lines", type=int, default=50_000)
        parser.add_argument("--materials", type=int, default=1_500)
        parser.add_argument("--products", type=int, default=500)
        parser.add_argument("--bom", type=int, default=5)
        parser.add_argument("--lists", type=int, default=10)
        parser.add_argument("--repeat", type=int, default=7)
        parser.add_argument("--keep", action="store_true")

    def handle(self, *args, keep, **o):
        try:
            with acting_as("command"), transaction.atomic():
                self._run(random.Random(42), **o)
                if not keep:
                    raise _Rollback
        except _Rollback:
            self.stdout.write("(rolled back)")

    def _t(self, label, fn):
        t0 = time.perf_counter()
        out = fn()
        d = time.perf_counter() - t0
        self.stdout.write(f"{label}: {d * 1000:,.0f} ms")
        return out, d

    def _run(self, rnd, lines, materials, products, bom, lists, repeat, **_o):
        load_reference_data()
        self.stdout.write(f"database: {connection.vendor}")
        ent = Enterprise.objects.first()
        if ent is None:
            from zonebook.registry.testing import EnterpriseFactory

            ent = EnterpriseFactory()
        book = services.create_book(
            {
                "number": f"C9998{random.randrange(10**7):07d}",
                "enterprise": ent,
                "valid_until": dt.date(2030, 12, 31),
            }
        )
        book = services.change_book_status(book, "filed")
        t0 = time.perf_counter()
        mats = [
            services.add_item(
                book,
                "material",
                {
                    "seq_no": i,
                    "part_no": f"M{i}",
                    "hs_code": "8542319000",
                    "name": f"M{i}",
                    "unit": "007",
                    "unit_price": Decimal(rnd.randint(100, 9999)) / 100,
                },
            )
            for i in range(1, materials + 1)
        ]
        prods = [
            services.add_item(
                book,
                "product",
                {"seq_no": i, "part_no": f"P{i}", "hs_code": "8471300000", "name": f"P{i}", "unit": "001"},
            )
            for i in range(1, products + 1)
        ]
        for p in prods:
            for m in rnd.sample(mats, bom):
                services.add_consumption(
                    p,
                    m,
                    {
                        "net": Decimal(rnd.randint(1, 3000)) / 1000,
                        "tangible_rate": Decimal(rnd.randint(0, 500)) / 100,
                        "intangible_rate": Decimal(rnd.randint(0, 100)) / 100,
                    },
                )
        self.stdout.write(f"setup {materials + products} items: {time.perf_counter() - t0:.1f} s")
        serial = iter(range(10**8 + random.randrange(10**8), 10**9))
        t0 = time.perf_counter()
        imp = services.create_inventory_list(
            book,
            {
                "number": f"QD999826I{next(serial):09d}",
                "ie_mark": "I",
                "supervision_mode": "0615",
                "item_kind": "material",
                "declaration_date": dt.date(2026, 1, 5),
            },
            [{"item_seq_no": m.seq_no, "qty": "10000000", "unit_price": str(m.unit_price)} for m in mats],
        )
        services.submit_inventory_list(imp)
        services.post_inventory_list(imp)
        per_list = max(1, (lines - materials) // lists)
        for n in range(lists):
            raw = [
                {"item_seq_no": rnd.randint(1, products), "qty": str(rnd.randint(1, 50000) / 100)}
                for _ in range(per_list)
            ]
            lst = services.create_inventory_list(
                book,
                {
                    "number": f"QD999826E{next(serial):09d}",
                    "ie_mark": "E",
                    "supervision_mode": "0615",
                    "item_kind": "product",
                    "declaration_date": dt.date(2026, 2, 1) + dt.timedelta(days=n),
                },
                raw,
            )
            services.submit_inventory_list(lst)
            services.post_inventory_list(lst)
        total = materials + per_list * lists
        self.stdout.write(f"posted {total:,} lines in {lists + 1} lists: {time.perf_counter() - t0:.1f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        start, end = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
        wo, _d = self._t(
            "create_writeoff (freeze lists + INSERT … SELECT of every line + totals)",
            lambda: wsvc.create_writeoff(book, start, end),
        )
        rows = [{"kind": "material", "seq_no": m.seq_no, "stock": str(rnd.randint(0, 100000))} for m in mats]
        rows += [
            {
                "kind": "product",
                "seq_no": p.seq_no,
                "wip": str(rnd.randint(0, 100)),
                "finished": str(rnd.randint(0, 100)),
            }
            for p in prods
        ]
        self._t(f"import_stocktake ({len(rows)} rows, recompute)", lambda: wsvc.import_stocktake(wo, rows))
        self._t(
            "pre_check (recompute + open cases with provenance)",
            lambda: wsvc.change_writeoff_state(wo, "pre_check"),
        )
        self.stdout.write(f"  difference cases opened: {wo.cases.count()}")
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            out = sql_writeoff.report_rows(
                book.pk, sql_writeoff.frozen_lists(wo.pk), previous_id=None, stocktake_id=wo.pk
            )
            times.append(time.perf_counter() - t0)
        self.stdout.write(
            f"report query ({len(out)} rows from {total:,} lines): median {statistics.median(times) * 1000:,.0f} ms,"
            f" min {min(times) * 1000:,.0f} ms over {repeat} runs"
        )
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            wsvc.report_for_cycle(book, start, end)
            times.append(time.perf_counter() - t0)
        self.stdout.write(
            f"ledger_report writeoff data (report_for_cycle): median {statistics.median(times) * 1000:,.0f} ms"
        )
