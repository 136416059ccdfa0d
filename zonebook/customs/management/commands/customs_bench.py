"""Benchmark: INV101 messages + receipts end to end to posted balances, against COPY of the same lines.

    manage.py customs_bench [--messages 10000] [--lines 50] [--parse-only ZIP]

Builds a handbook (``--items`` materials) in a transaction that is rolled back at the end, writes
``--messages`` INV101 messages of ``--lines`` lines and one approved-and-deducted receipt per list
into two zips, then times (1) the INV101 import through the import pipeline (streaming parse,
checks, staged set-based writes), (2) the receipt import that posts every list through the ledger's
batch posting.  The anchor is PostgreSQL ``COPY`` (SQLite: ``executemany``) of the same lines into
the same indexed line table.  Before any time is printed the posted balances are checked equal to
the sums of the generated lines and the anchor's rows to the imported ones.  Peak RSS is printed.

``--parse-only ZIP`` streams a (large) zip of messages through the hardened reader only and prints
lines, seconds and peak RSS: the memory of the reader does not grow with the archive.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import resource
import tempfile
import time
import zipfile
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from zonebook.core.vector import run_deferred_checks
from zonebook.ledger.services.posting import LINE_COLUMNS


class _Rollback(Exception):
    pass


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def workers_cpu() -> float:
    """CPU seconds of the finished child processes (the zip's parse workers) so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def xmlio_workers() -> int:
    from zonebook.customs import xmlio

    return xmlio.parallel_workers()


def workers_rss_mb() -> float:
    """The largest peak RSS of the finished child processes (the zip's parse workers)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


class Command(BaseCommand):
    help = "INV101 messages + receipts to posted balances, timed against COPY of the same lines."

    def add_arguments(self, parser):
        parser.add_argument("--messages", type=int, default=10_000)
        parser.add_argument("--lines", type=int, default=50)
        parser.add_argument("--items", type=int, default=500)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--parse-only", default="", help="stream this zip through the reader only")
        parser.add_argument("--write-zip", default="", help="only write the INV101 zip to this path and stop")
        parser.add_argument("--write-receipts", default="", help="with --write-zip: also write their receipts here")
        parser.add_argument(
            "--keep-book",
            action="store_true",
            help="with --write-zip: keep the handbook and its items (committed), so that `import_data "
            "customs_inv101` and `customs_receipts` import the zips for real (a scratch database)",
        )

    def handle(self, *args, **o):
        if o["parse_only"]:
            return self.parse_only(Path(o["parse_only"]))
        from zonebook.ledger.tests import factories as f
        from zonebook.registry.testing import EnterpriseFactory, ZoneFactory

        if o["write_zip"]:
            with transaction.atomic():
                if o["keep_book"]:
                    book = self.book(o["items"])
                else:
                    zone = ZoneFactory(name="基准综保区", province_code="510000", city_code="510100")
                    book = f.book(EnterpriseFactory(zone=zone, name="基准企业"), kind="C", number="C51019900001")
                self.write_messages(
                    Path(o["write_zip"]), book, o["messages"], o["lines"], o["items"], o["seed"]
                )
                if o["write_receipts"]:
                    self.write_receipts(Path(o["write_receipts"]), book, o["messages"])
                transaction.set_rollback(not o["keep_book"])
            self.stdout.write(f"wrote {o['write_zip']}; peak RSS {peak_rss_mb():.0f} MB")
            return
        try:
            with transaction.atomic():
                self.run(o)
                raise _Rollback
        except _Rollback:
            pass

    # -- data ---------------------------------------------------------------------------------------
    def book(self, items: int):
        """The benchmark's handbook (of a zone and enterprise of its own) with ``items`` materials."""
        from zonebook.ledger import services
        from zonebook.ledger.tests import factories as f
        from zonebook.registry.testing import EnterpriseFactory, ZoneFactory

        zone = ZoneFactory(name="基准综保区", province_code="510000", city_code="510100")
        book = f.book(EnterpriseFactory(zone=zone, name="基准企业"), kind="C", number="C51019900001")
        services.add_items(
            book,
            "material",
            [
                {
                    "seq_no": s,
                    "part_no": f"M{s:04d}",
                    "hs_code": f.HS_MATERIAL,
                    "name": f"料件{s}",
                    "unit": "007",
                    "legal_unit1": "007",
                    "unit_price": Decimal("12.5"),
                }
                for s in range(1, items + 1)
            ],
        )
        return book

    def write_messages(self, path: Path, book, messages: int, lines: int, items: int, seed: int) -> dict:
        from zonebook.customs import xmlio
        from zonebook.ledger.tests import factories as f

        rng = random.Random(seed)
        totals: dict[int, Decimal] = {}
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for m in range(1, messages + 1):
                number = f"QD510126I{m:09d}"
                head = {
                    "bondInvtNo": number,
                    "etpsInnerInvtNo": f"BENCH-{m:07d}",
                    "putrecNo": book.number,
                    "invtDclTime": (dt.date(2026, 1, 1) + dt.timedelta(days=m % 300)).strftime("%Y%m%d"),
                    "impexpMarkcd": "I",
                    "mtpckEndprdMarkcd": "I",
                    "supvModecd": "0615",
                    "dclcusFlag": "2",
                    "invtType": "0",
                    "dclTypecd": "1",
                }
                body = []
                for k in range(1, lines + 1):
                    seq = rng.randint(1, items)
                    qty = Decimal(rng.randint(1, 999_999)) / 1000
                    totals[seq] = totals.get(seq, Decimal(0)) + qty
                    body.append(
                        {
                            "gdsSeqno": str(k),
                            "putrecSeqno": str(seq),
                            "gdsMtno": f"M{seq:04d}",
                            "gdecd": f.HS_MATERIAL,
                            "gdsNm": f"料件{seq}",
                            "dclUnitcd": "007",
                            "dclQty": str(qty),
                            "dclUprcAmt": "12.5",
                            "dclTotalAmt": str((qty * Decimal("12.5")).quantize(Decimal("0.01"))),
                            "dclCurrcd": "502",
                        }
                    )
                zf.writestr(
                    f"INV101_{number}.xml",
                    xmlio.write_inv101(head, body, message_id=f"B{m}", send_time="2026-03-01T09:00:00"),
                )
        return totals

    def write_receipts(self, path: Path, book, messages: int) -> None:
        from zonebook.customs import xmlio

        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for m in range(1, messages + 1):
                number = f"QD510126I{m:09d}"
                zf.writestr(
                    f"INV201_{number}.xml",
                    xmlio.write_receipt(
                        {
                            "etpsPreentNo": f"BENCH-{m:07d}",
                            "businessId": number,
                            "manageDate": "2026-11-30 10:00:00",
                        },
                        {
                            "bondInvtNo": number,
                            "putrecNo": book.number,
                            "invtStucd": "0",
                            "vrfdedMarkcd": "2",
                        },
                        message_id=f"CUS-BENCH-{m}",
                        send_time="2026-11-30T10:00:00",
                    ),
                )

    # -- the run -------------------------------------------------------------------------------------
    def run(self, o):
        from zonebook.core.imports import pipeline
        from zonebook.customs.importers import Inv101Import, ReceiptImport
        from zonebook.ledger.models import Balance, InventoryListLine

        book = self.book(o["items"])
        total_lines = o["messages"] * o["lines"]
        with tempfile.TemporaryDirectory() as tmp:
            msgs, recs = Path(tmp) / "inv101.zip", Path(tmp) / "inv201.zip"
            t0 = time.perf_counter()
            totals = self.write_messages(msgs, book, o["messages"], o["lines"], o["items"], o["seed"])
            self.write_receipts(recs, book, o["messages"])
            gen = time.perf_counter() - t0
            self.stdout.write(
                f"generated {o['messages']:,} messages × {o['lines']} lines = {total_lines:,} lines "
                f"({msgs.stat().st_size / 1e6:.1f} MB zip) in {gen:.1f} s"
            )
            t0, c0, w0 = time.perf_counter(), time.process_time(), workers_cpu()
            r1 = pipeline.run(Inv101Import, msgs, msgs.name, None)
            run_deferred_checks()
            t_import, c_import = time.perf_counter() - t0, time.process_time() - c0
            w_import = workers_cpu() - w0
            if not r1.ok:
                raise SystemExit(f"import failed: {r1.errors[:3]}")
            self.analyze()
            t0, c0, w0 = time.perf_counter(), time.process_time(), workers_cpu()
            r2 = pipeline.run(ReceiptImport, recs, recs.name, None)
            run_deferred_checks()
            t_receipts, c_receipts = time.perf_counter() - t0, time.process_time() - c0
            w_receipts = workers_cpu() - w0
            if not r2.ok:
                raise SystemExit(f"receipts failed: {r2.errors[:3]}")
            rss_import = peak_rss_mb()
        # checked equal before any time is printed: posted balances = the generated lines
        got = dict(Balance.objects.filter(item__book=book).values_list("item__seq_no", "imports"))
        want = {s: q.quantize(Decimal("0.00001")) for s, q in totals.items()}
        bad = [s for s in want if abs(Decimal(got.get(s) or 0) - want[s]) > Decimal("0.000005")]
        if bad:
            raise SystemExit(f"balances differ for items {bad[:5]}")
        lines_db = InventoryListLine.objects.filter(inventory_list__book=book).count()
        if lines_db != total_lines:
            raise SystemExit(f"{lines_db} lines stored, {total_lines} expected")
        t_copy, c_copy, copied = self.anchor(book)
        if copied != total_lines:
            raise SystemExit(f"anchor copied {copied} lines, {total_lines} expected")
        end_to_end = t_import + t_receipts
        vendor = connection.vendor
        self.stdout.write(
            f"database: {vendor}; balances checked equal to the generated lines ({len(want)} items)"
        )
        # Wall-clock seconds, and the CPU seconds of this process (the Python side; on a shared,
        # loaded machine the wall clock also counts the time the process waited for a core).
        self.stdout.write(f"{'step':<52}{'seconds':>9}{'lines/s':>12}{'CPU s':>9}{'lines/CPU s':>13}")
        for label, sec, cpu in (
            ("INV101 import (parse, check, write)", t_import, c_import),
            ("receipts: match + post every list (batch posting)", t_receipts, c_receipts),
            ("end to end", end_to_end, c_import + c_receipts),
            (
                f"anchor: {'COPY' if vendor == 'postgresql' else 'executemany'} of the same lines",
                t_copy,
                c_copy,
            ),
        ):
            self.stdout.write(
                f"{label:<52}{sec:>9.2f}{total_lines / sec:>12,.0f}{cpu:>9.2f}{total_lines / max(cpu, 1e-9):>13,.0f}"
            )
        self.stdout.write(
            f"CPU s: this process only; the zip's parse processes used {w_import:.2f} CPU s during the "
            f"import and {w_receipts:.2f} during the receipts ({xmlio_workers()} process(es))"
        )
        self.stdout.write(
            f"end to end / anchor: {t_copy / end_to_end:.2f}×; peak RSS after the import and receipts "
            f"{rss_import:.0f} MB (after the anchor, which holds its rows: {peak_rss_mb():.0f} MB; "
            f"parse processes: {workers_rss_mb():.0f} MB each at most)"
        )

    def analyze(self) -> None:
        """What autovacuum does after the import's committed batches: here everything runs in one
        transaction that is rolled back, so the planner would see the tables as they were before."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(
                    "ANALYZE ledger_inventorylist, ledger_inventorylistline, ledger_balance, customs_inventorymessage"
                )

    def anchor(self, book) -> tuple[float, float, int]:
        """The same lines written again by the fastest bulk path into the same indexed table (under
        copies of the list headers), timed for the line write only."""
        from zonebook.ledger.models import InventoryList

        lists = list(InventoryList.objects.filter(book=book).order_by("pk").values_list("pk", flat=True))
        with connection.cursor() as cur:
            cur.execute(
                "CREATE TEMPORARY TABLE bench_map AS SELECT id AS old_id, id AS new_id FROM ledger_inventorylist WHERE 1=0"
            )
            cols = [
                f.column
                for f in InventoryList._meta.concrete_fields
                if f.column not in ("id", "number", "internal_number")
            ]
            for pk in lists:  # header copies (not timed)
                cur.execute(
                    f"INSERT INTO ledger_inventorylist (number, internal_number, {', '.join(cols)}) "
                    f"SELECT 'QD510127I' || substr(number, 10), 'A' || internal_number, {', '.join(cols)} "
                    "FROM ledger_inventorylist WHERE id = %s",
                    [pk],
                )
                cur.execute(
                    "INSERT INTO bench_map VALUES (%s, (SELECT MAX(id) FROM ledger_inventorylist))", [pk]
                )
            line_cols = ["inventory_list_id", *LINE_COLUMNS]  # the posting path's column order
            cur.execute(
                f"SELECT m.new_id, {', '.join('l.' + c for c in line_cols[1:])} FROM ledger_inventorylistline l "
                "JOIN bench_map m ON m.old_id = l.inventory_list_id ORDER BY l.id"
            )
            rows = cur.fetchall()
            t0, c0 = time.perf_counter(), time.process_time()
            if connection.vendor == "postgresql":
                buf = io.StringIO()
                for r in rows:
                    buf.write("\t".join("\\N" if v is None else str(v) for v in r) + "\n")
                data = buf.getvalue()
                with cur.copy(f"COPY ledger_inventorylistline ({', '.join(line_cols)}) FROM STDIN") as cp:
                    cp.write(data)
                run_deferred_checks()
            else:
                cur.executemany(
                    f"INSERT INTO ledger_inventorylistline ({', '.join(line_cols)}) VALUES ({', '.join(['%s'] * len(line_cols))})",
                    rows,
                )
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            cur.execute(
                "SELECT COUNT(*) FROM ledger_inventorylistline WHERE inventory_list_id IN (SELECT new_id FROM bench_map)"
            )
            copied = cur.fetchone()[0]
            cur.execute("DROP TABLE bench_map")
        return elapsed, cpu, copied

    def parse_only(self, path: Path) -> None:
        """The import's reading: parse and prepare (content hash, ledger lines) every message."""
        from zonebook.customs import xmlio
        from zonebook.customs.importers import _prepare

        t0 = time.perf_counter()
        messages = lines = 0
        for msg in xmlio.read_messages(path, path.name, prepare=_prepare):
            messages += 1
            lines += len(getattr(msg, "lines", []))
        sec = time.perf_counter() - t0
        self.stdout.write(
            f"{path.name}: {path.stat().st_size / 1e6:.0f} MB zip, {messages:,} messages, {lines:,} lines in "
            f"{sec:.1f} s ({lines / sec:,.0f} lines/s), {xmlio.parallel_workers()} parse process(es); "
            f"peak RSS {peak_rss_mb():.0f} MB (parse processes: {workers_rss_mb():.0f} MB each at most)"
        )
