"""manage.py ledger_bench [--lines 50000] [--total-lines 1000000] [--keep]

Measures (and prints) on the configured database:
* creating + posting one product list of --lines lines (lines/s of the set-based posting);
* recompute and check of one book holding --total-lines posted lines (consumption explosion incl.).
Everything runs in one transaction that is rolled back at the end unless --keep.
Not a test: no assertions on timings.
"""

import datetime as dt
import random
import time
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from zonebook.core.context import acting_as
from zonebook.ledger import services
from zonebook.ledger.lines import LINE_COLUMNS
from zonebook.ledger.models import InventoryList, InventoryListLine
from zonebook.ledger.services.reference import load_reference_data
from zonebook.registry.models import Enterprise


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark ledger posting and recompute (rolled back unless --keep)."

    def add_arguments(self, parser):
        parser.add_argument("--lines", type=int, default=50_000)
        parser.add_argument("--total-lines", type=int, default=1_000_000)
        parser.add_argument("--materials", type=int, default=500)
        parser.add_argument("--products", type=int, default=200)
        parser.add_argument("--bom", type=int, default=5, help="materials per product")
        parser.add_argument("--keep", action="store_true")
        parser.add_argument(
            "--vary-qty",
            action="store_true",
            help="clones get distinct quantities (qty + n/1000): no two lines explode alike (worst case)",
        )

    def handle(self, *args, lines, total_lines, materials, products, bom, keep, vary_qty=False, **opts):
        self.vary_qty = vary_qty
        rnd = random.Random(42)
        try:
            with acting_as("command"), transaction.atomic():
                self._run(rnd, lines, total_lines, materials, products, bom)
                if not keep:
                    raise _Rollback
        except _Rollback:
            self.stdout.write("(rolled back)")

    def _t(self, label, fn):
        t0 = time.perf_counter()
        out = fn()
        dt_ = time.perf_counter() - t0
        self.stdout.write(f"{label}: {dt_:.3f} s")
        return out, dt_

    def _run(self, rnd, n_lines, total_lines, n_mat, n_prod, n_bom):
        load_reference_data()
        vendor = connection.vendor
        self.stdout.write(f"database: {vendor}")
        ent = Enterprise.objects.first()
        if ent is None:  # empty scratch database: a throw-away enterprise (rolled back with the rest)
            from zonebook.registry.testing import EnterpriseFactory

            ent = EnterpriseFactory()
        suffix = f"{rnd.randrange(10**7):07d}"
        book = services.create_book(
            {"number": f"E9999{suffix}", "enterprise": ent, "valid_until": dt.date(2030, 12, 31)}
        )
        book = services.change_book_status(book, "filed")
        t0 = time.perf_counter()
        mats = services.add_items(
            book,
            "material",
            [
                {"seq_no": i, "part_no": f"M{i}", "hs_code": "8542319000", "name": f"M{i}", "unit": "007"}
                for i in range(1, n_mat + 1)
            ],
        )
        prods = services.add_items(
            book,
            "product",
            [
                {"seq_no": i, "part_no": f"P{i}", "hs_code": "8471300000", "name": f"P{i}", "unit": "001"}
                for i in range(1, n_prod + 1)
            ],
        )
        services.add_consumptions(
            book,
            [
                (
                    p,
                    m,
                    {
                        "net": Decimal(rnd.randint(1, 3000)) / 1000,
                        "tangible_rate": Decimal(rnd.randint(0, 500)) / 100,
                        "intangible_rate": Decimal(rnd.randint(0, 100)) / 100,
                    },
                )
                for p in prods
                for m in rnd.sample(mats, n_bom)
            ],
        )
        self.stdout.write(f"setup items/consumption: {time.perf_counter() - t0:.2f} s")
        serial = iter(range(10**8 + rnd.randrange(10**8), 10**9))
        imp = services.create_inventory_list(
            book,
            {
                "number": f"QD999926I{next(serial):09d}",
                "ie_mark": "I",
                "supervision_mode": "5015" if book.kind == "H" else "0615",
                "item_kind": "material",
                "declaration_date": dt.date(2026, 1, 5),
            },
            [{"item_seq_no": m.seq_no, "qty": "100000000"} for m in mats],
        )
        services.submit_inventory_list(imp)
        services.post_inventory_list(imp)
        raw = [
            {"item_seq_no": rnd.randint(1, n_prod), "qty": str(rnd.randint(1, 500))} for _ in range(n_lines)
        ]
        lst, t_create = self._t(
            f"create {n_lines} lines (validation + bulk insert)",
            lambda: services.create_inventory_list(
                book,
                {
                    "number": f"QD999926E{next(serial):09d}",
                    "ie_mark": "E",
                    "supervision_mode": "0615",
                    "item_kind": "product",
                    "declaration_date": dt.date(2026, 2, 1),
                },
                raw,
            ),
        )
        services.submit_inventory_list(lst)
        res, t_post = self._t(
            f"post {n_lines} product lines (explosion ×{n_bom})", lambda: services.post_inventory_list(lst)
        )
        raw2 = [dict(r) for r in raw]
        res2, t_both = self._t(
            f"create + post {n_lines} lines end to end (create_inventory_lists, action=post)",
            lambda: services.create_inventory_lists(
                book,
                [
                    (
                        {
                            "number": f"QD999926E{next(serial):09d}",
                            "ie_mark": "E",
                            "supervision_mode": "0615",
                            "item_kind": "product",
                            "declaration_date": dt.date(2026, 2, 1),
                        },
                        raw2,
                    )
                ],
                action="post",
            ),
        )
        t_copy = self._copy_anchor(book, lst, serial)
        self.stdout.write(
            f"  posting: post only {n_lines / t_post:,.0f} lines/s; create {n_lines / t_create:,.0f} lines/s; "
            f"create + post {n_lines / t_both:,.0f} lines/s; COPY anchor {n_lines / t_copy:,.0f} lines/s; "
            f"create + post / COPY = {t_copy / t_both:.2f}; {res.balances_changed} balances"
        )
        lst.refresh_from_db()  # rule and state as posted
        # Clone the posted list until the book holds total_lines posted lines (bench shortcut, not a service).
        copies = max(0, total_lines // n_lines - 1)
        t0 = time.perf_counter()
        t_line = InventoryListLine._meta.db_table
        cols = ", ".join(LINE_COLUMNS)
        for n in range(copies):
            clone = InventoryList.objects.create(
                number=f"QD999926E{next(serial):09d}",
                internal_number=f"bench-{next(serial)}",
                book=book,
                enterprise_id=book.enterprise_id,
                ie_mark="E",
                supervision_mode="0615",
                item_kind="product",
                declaration_date=dt.date(2026, 2, 2),
                state="posted",
                rule=lst.rule,
                line_count=lst.line_count,
                total_amount=lst.total_amount,
            )
            with connection.cursor() as cur:
                sel = cols.replace("qty, legal_qty", "qty + %s, legal_qty") if self.vary_qty else cols
                params = [clone.pk, Decimal(n + 1) / 1000, lst.pk] if self.vary_qty else [clone.pk, lst.pk]
                cur.execute(
                    f"INSERT INTO {t_line} (inventory_list_id, {cols}) SELECT %s, {sel} FROM {t_line} WHERE inventory_list_id = %s",
                    params,
                )
        total = InventoryListLine.objects.filter(inventory_list__book=book).count()
        self.stdout.write(f"cloned to {total:,} posted lines in {time.perf_counter() - t0:.1f} s")
        if vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        from django.db.models import Sum

        from zonebook.ledger.models import Balance

        stale, _ = self._t(
            "check_balances before recompute (clones were not posted)",
            lambda: services.check_balances([book.pk]),
        )
        self.stdout.write(
            f"  {len(stale)} stale balance rows; Σ consumption stored {Balance.objects.filter(book=book).aggregate(s=Sum('consumption'))['s']}"
        )
        _, t_rec = self._t(f"recompute {total:,} lines", lambda: services.recompute([book.pk]))
        self.stdout.write(
            f"  Σ consumption after recompute {Balance.objects.filter(book=book).aggregate(s=Sum('consumption'))['s']}"
        )
        diffs, t_chk = self._t("check_balances", lambda: services.check_balances([book.pk]))
        self.stdout.write(f"  recompute: {total / t_rec:,.0f} lines/s; check found {len(diffs)} differences")

    def _copy_anchor(self, book, lst, serial) -> float:
        """The anchor: the same line rows (read back from the posted list) written with a plain
        ``COPY … FROM STDIN`` (text, one preformatted buffer) into the indexed line table, under a
        new list; timed is the COPY alone (on SQLite: ``executemany``)."""
        anchor = InventoryList.objects.create(
            number=f"QD999926E{next(serial):09d}",
            internal_number=f"bench-{next(serial)}",
            book=book,
            enterprise_id=book.enterprise_id,
            ie_mark="E",
            supervision_mode="0615",
            item_kind="product",
            declaration_date=dt.date(2026, 2, 2),
        )
        rows = list(InventoryListLine.objects.filter(inventory_list=lst).values_list(*LINE_COLUMNS))
        table = InventoryListLine._meta.db_table
        cols = ", ".join(("inventory_list_id", *LINE_COLUMNS))

        def text(v):
            return "\\N" if v is None else str(v)

        t0 = time.perf_counter()
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                buf = "".join(f"{anchor.pk}\t" + "\t".join(text(v) for v in row) + "\n" for row in rows)
                with cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    copy.write(buf)
            else:
                marks = ", ".join(["%s"] * (len(LINE_COLUMNS) + 1))
                cur.executemany(
                    f"INSERT INTO {table} ({cols}) VALUES ({marks})", [(anchor.pk, *r) for r in rows]
                )
        t = time.perf_counter() - t0
        self.stdout.write(f"COPY anchor {len(rows)} lines into the indexed line table: {t:.3f} s")
        InventoryListLine.objects.filter(inventory_list=anchor).delete()
        anchor.delete()
        return t
