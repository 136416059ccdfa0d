"""manage.py ledger_recompute [--check [--open]] [--close YYYY-MM] [--timing [--repeat N]] [--book NUMBER ...]

Without --check: rebuild the stored balances from the posted lines.  With --check: only compare
and print the differences; exit code 1 when any balance differs (for the nightly job and CI).
With --check --open: the everyday check (the last verified month-close snapshot + only the lines of
the open months, ``services.monthclose.check_open``).  --close YYYY-MM: close every month up to that
one not closed yet (month close, verified against a full computation).
With --timing (PostgreSQL): compute every balance both ways — the exact integer engine
(``ledger.engine``) and the numeric SQL (``sql.full_sql``) — in a transaction that is rolled back,
check the two results equal to the last decimal, then print the times (best of N) and the bound.
"""

import contextlib
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from zonebook.core.context import acting_as
from zonebook.core.errors import DomainError
from zonebook.core.vector import SideReader
from zonebook.ledger import engine, sql
from zonebook.ledger.models import BALANCE_COLUMNS, Book
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

        parser.add_argument(
            "--timing", action="store_true", help="Time the integer engine against the numeric SQL (nothing written)."
        )
        parser.add_argument("--repeat", type=int, default=3, help="Runs of each path for --timing (best kept).")

    def handle(self, *args, check=False, book=None, open=False, close=None, timing=False, repeat=3, **opts):  # noqa: A002
        book_ids = None
        if book:
            found = dict(Book.objects.filter(number__in=book).values_list("number", "id"))
            missing = sorted(set(book) - set(found))
            if missing:
                raise CommandError(f"unknown book number(s): {', '.join(missing)}")
            book_ids = list(found.values())
        if timing:
            self._timing(book_ids, max(1, repeat))
            return
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

    def _timing(self, book_ids, repeat: int) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("--timing compares the PostgreSQL engine with the numeric SQL")
        cols = ", ".join(BALANCE_COLUMNS)
        best = {"engine": float("inf"), "sql": float("inf")}
        cpu_best = {"engine": float("inf"), "sql": float("inf")}
        splits, cpu, info = {}, {}, {}
        outermost = not connection.in_atomic_block
        with transaction.atomic(), connection.cursor() as cur, contextlib.ExitStack() as stack:
            side = None
            if outermost:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # both paths see one snapshot
                # the engine as the recompute runs it: half of the lines read on a second connection
                side = stack.enter_context(SideReader.try_open(cur))
            sql._full_work_mem(cur)
            cur.execute("SELECT pg_backend_pid()")
            backend = _Cpu(cur.fetchone()[0])
            for _run in range(repeat):
                full, params = sql.full_sql(book_ids)
                cur.execute("DROP TABLE IF EXISTS zb_timing_sql")
                t = time.perf_counter()
                cur.execute(f"CREATE TEMPORARY TABLE zb_timing_sql AS {full}", params)
                best["sql"] = min(best["sql"], time.perf_counter() - t)
                # CPU seconds of the numeric SQL: run serially, so that its backend does all the work
                cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
                cur.execute("DROP TABLE zb_timing_sql")
                c0 = backend.seconds()
                cur.execute(f"CREATE TEMPORARY TABLE zb_timing_sql AS {full}", params)
                cpu_best["sql"] = min(cpu_best["sql"], backend.seconds() - c0)
                cur.execute("RESET max_parallel_workers_per_gather")
                timer = engine.Timer()
                t, c0, p0 = time.perf_counter(), backend.seconds(), time.process_time()
                try:
                    info = engine.stage(cur, book_ids, timer, side=side)
                except engine.Unsupported as exc:
                    raise CommandError(f"the data exceed the integer engine's bound: {exc}") from None
                elapsed = time.perf_counter() - t
                cpu_best["engine"] = min(
                    cpu_best["engine"], backend.seconds() - c0 + time.process_time() - p0
                )
                if elapsed < best["engine"]:
                    best["engine"], splits, cpu = elapsed, dict(timer.split), dict(timer.cpu)
            cur.execute(
                f"SELECT count(*) FROM ((SELECT item_id, {cols} FROM zb_timing_sql EXCEPT "
                f"SELECT item_id, {cols} FROM ({engine.staged_select()}) e) UNION ALL "
                f"(SELECT item_id, {cols} FROM ({engine.staged_select()}) e EXCEPT "
                f"SELECT item_id, {cols} FROM zb_timing_sql)) d"
            )
            differ = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM zb_timing_sql")
            n_items = cur.fetchone()[0]
            transaction.set_rollback(True)
        if differ:
            raise CommandError(f"{differ} balance row(s) differ between the engine and the numeric SQL")
        self.stdout.write(
            f"{n_items:,} items, {info['lines']:,} lines, {info['exploded_rows']:,} exploded rows: "
            "engine == numeric SQL to the last decimal"
        )
        self.stdout.write(
            f"bound: exploding lines' max qty × 10⁵ {info['q_max']:,}, max factor × 10⁸ {info['h_max']:,}; "
            f"largest Q × (H + 1) {info['worst']:.3e} < 2⁶² ({2**62:.3e}); "
            f"sum bound {info['sum_bound']:.3e} < 2⁶¹ ({2**61:.3e})"
        )
        self.stdout.write(
            f"wall: numeric SQL (full_sql into a table, parallel) {best['sql']:.3f} s; integer engine "
            f"{best['engine']:.3f} s ({best['sql'] / best['engine']:.2f}× faster; best of {repeat})"
        )
        if backend.ok:
            self.stdout.write(
                f"CPU: numeric SQL (serial backend) {cpu_best['sql']:.3f} s; integer engine (backend + this "
                f"process) {cpu_best['engine']:.3f} s ({cpu_best['sql'] / cpu_best['engine']:.2f}× less)"
            )
        self.stdout.write(
            "engine (wall / CPU of this process): "
            + ", ".join(f"{k} {v:.3f}/{cpu.get(k, 0):.3f} s" for k, v in splits.items())
        )


class _Cpu:
    """CPU seconds (user + system) of a local PostgreSQL backend, from /proc (when readable)."""

    def __init__(self, pid: int):
        self.path = f"/proc/{pid}/stat"
        try:
            import os

            self.tick = os.sysconf("SC_CLK_TCK")
            self.ok = self.seconds() >= 0
        except (OSError, ValueError):
            self.ok = False

    def seconds(self) -> float:
        try:
            with open(self.path) as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / self.tick
        except (OSError, IndexError, ValueError):
            self.ok = False
            return 0.0
