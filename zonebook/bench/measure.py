"""``manage.py bench run``: the measurements of DESIGN.md §4 on the generated dataset.

Every figure is min / median / max over ``repeat`` repetitions.  Writes that only serve a
measurement (the posting and raw-load runs, the import) are rolled back, so runs can be repeated.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Count, F

from zonebook.core.context import acting_as
from zonebook.core.vector import run_deferred_checks
from zonebook.ledger import services as ledger
from zonebook.ledger.models import Balance, Book, BookItem, Consumption, InventoryList, InventoryListLine
from zonebook.registry.models import Enterprise, Zone

from . import altcalc
from .generate import START, _qty
from .scales import Scale

GOALS = {
    "post": "≥ 100,000 lines/s",
    "recompute": "≤ 5 s for 10 M lines; ≤ 3× DuckDB; ≥ 4× faster than pandas",
    "report": "≤ 300 ms (write-off report, 50k lines)",
    "import": "≤ 500 MB peak (1 M lines, streaming)",
}


class _Rollback(Exception):
    pass


def stats(values: list[float]) -> dict:
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "n": len(values)}


_PROBE = compile("total = 0\nfor i in range(n):\n    total += i\n", "<cpu probe>", "exec")


def cpu_probe(n: int = 5_000_000) -> float:
    """Seconds for a fixed pure-Python loop over module-level (dictionary) variables: how fast this
    host runs right now.  Shared virtual machines vary — the same loop of 20 M iterations took 1.74 s
    and 3.23 s an hour apart on the 2-core VM of docs/performance.md, and every page of a load test
    slowed alike — so result files carry the probe; compare figures only between similar probes.
    (A loop over function locals varied far less over the same hour, hence the dictionary form.)"""
    scope = {"n": n}
    t = time.perf_counter()
    exec(_PROBE, scope)  # noqa: S102 (a constant, compiled above)
    elapsed = time.perf_counter() - t
    assert scope["total"] == n * (n - 1) // 2
    return round(elapsed, 4)


def environment(scale: Scale) -> dict:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT version()")
            version = cur.fetchone()[0]
            cur.execute(
                "SELECT name, setting, unit FROM pg_settings WHERE name IN "
                "('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit', 'effective_cache_size')"
            )
            db_settings = {n: f"{s}{u or ''}" for n, s, u in cur.fetchall()}
        else:
            cur.execute("SELECT sqlite_version()")
            version = f"SQLite {cur.fetchone()[0]}"
            db_settings = {}
    mem = ""
    if Path("/proc/meminfo").exists():
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":")[1].strip()
    versions = {}
    for mod in ("duckdb", "pandas", "pyarrow"):
        try:
            versions[mod] = __import__(mod).__version__
        except ImportError:
            versions[mod] = None
    return {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu_probe_seconds": cpu_probe(),
        "machine": platform.machine(),
        "memory": mem,
        "python": platform.python_version(),
        "database": connection.vendor,
        "database_version": version,
        "database_settings": db_settings,
        "libraries": versions,
        "scale": scale.as_dict(),
        "rows": row_counts(),
    }


def row_counts() -> dict:
    return {
        "zones": Zone.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "books": Book.objects.count(),
        "items": BookItem.objects.count(),
        "consumption": Consumption.objects.count(),
        "inventory_lists": InventoryList.objects.count(),
        "inventory_list_lines": InventoryListLine.objects.count(),
        "balances": Balance.objects.count(),
    }


def vacuum() -> None:
    """PostgreSQL: VACUUM ANALYZE (dead tuples of rolled-back measurements, fresh statistics)."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")


def heavy_book() -> Book:
    """The book with the most posted lines (one aggregate query; ties: the lowest id), its line count
    in ``posted_lines``.  Not the first book by id: with ``generate --workers N`` the books' ids
    follow the order the workers finished them in."""
    row = (
        InventoryListLine.objects.filter(inventory_list__state="posted")
        .values("inventory_list__book_id")
        .annotate(n=Count("id"))
        .order_by("-n", "inventory_list__book_id")
        .first()
    )
    if row is None:
        book = Book.objects.order_by("pk").first()
        book.posted_lines = 0
        return book
    book = Book.objects.get(pk=row["inventory_list__book_id"])
    book.posted_lines = row["n"]
    return book


# ----------------------------------------------------------------------------- 1. posting


def _product_lines(book: Book, n: int, seed: int) -> list[dict]:
    rnd = random.Random(seed)
    seqs = list(book.items.filter(kind="product").values_list("seq_no", flat=True))
    return [
        {"line_no": i + 1, "item_seq_no": seqs[rnd.randrange(len(seqs))], "qty": _qty(rnd)} for i in range(n)
    ]


def _header(n: int, ie="E") -> dict:
    return {
        "number": f"QD790899{ie}{900_000_000 + n:09d}",
        "internal_number": f"BENCH-RUN-{n}",
        "ie_mark": ie,
        "supervision_mode": "0615",
        "item_kind": "product" if ie == "E" else "material",
        "declaration_date": dt.date(2025, 12, 30),
    }


def measure_post(book: Book, n_lines: int, repeat: int) -> dict:
    """Posting as three figures, each repetition rolled back:

    * post only: ``post_inventory_list`` of one product list of ``n_lines`` lines already created and
      submitted (balances kept current);
    * end to end: ``create_inventory_list`` + ``submit`` + ``post`` of the same list (the same run);
    * the anchor: ``COPY`` of the same rows into the same indexed line table (no validation, no
      balances).

    Each posting is checked: the book's stored balances equal a recompute of the book (outside the
    timed sections) before any figure is kept."""
    post, end_to_end, create, raw = [], [], [], []
    items = dict(book.items.filter(kind="product").values_list("seq_no", "id"))
    for rep in range(repeat):
        lines = _product_lines(book, n_lines, seed=1000 + rep)
        try:
            with acting_as("command"), transaction.atomic():
                t0 = time.perf_counter()
                lst = ledger.create_inventory_list(book, _header(rep), lines)
                t1 = time.perf_counter()
                ledger.submit_inventory_list(lst)
                t2 = time.perf_counter()
                res = ledger.post_inventory_list(lst)
                t3 = time.perf_counter()
                assert res.changed
                diffs = ledger.check_balances([book.pk], limit=5)
                if diffs:
                    raise CommandError(f"posting left balances that differ from a recompute: {diffs}")
                create.append(t1 - t0)
                post.append(t3 - t2)
                end_to_end.append(t3 - t0)
                raise _Rollback
        except _Rollback:
            pass
        # the anchor: the same rows, no validation, no balances
        rows = [
            (ln["line_no"], items[ln["item_seq_no"]], ln["item_seq_no"], str(ln["qty"]), "0") for ln in lines
        ]
        try:
            with transaction.atomic():
                header = InventoryList.objects.create(
                    book=book,
                    enterprise_id=book.enterprise_id,
                    **{**_header(100 + rep), "item_kind": "product"},
                )
                raw.append(_raw_load(header.pk, rows))
                raise _Rollback
        except _Rollback:
            pass
    return {
        "lines": n_lines,
        "create_seconds": stats(create),
        "post_seconds": stats(post),
        "end_to_end_seconds": stats(end_to_end),
        "raw_seconds": stats(raw),
        "checked": True,
    }


def _raw_load(list_id: int, rows: list[tuple]) -> float:
    table = InventoryListLine._meta.db_table
    cols = (
        "inventory_list_id, line_no, item_id, item_seq_no, qty, resolved_version, part_no, hs_code, name,"
        " unit_price, amount, currency, country, consumption_version"
    )
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            buf = io.StringIO()
            for line_no, item_id, seq, qty, ver in rows:
                buf.write(
                    f"{list_id}\t{line_no}\t{item_id}\t{seq}\t{qty}\t{ver}\t\t8471300000\t\t0\t0\t\t\t\n"
                )
            data = buf.getvalue().encode()
            t0 = time.perf_counter()
            with cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                cp.write(data)
            run_deferred_checks()  # (what the commit checks: the run is rolled back)
            return time.perf_counter() - t0
        params = [
            (list_id, line_no, item_id, seq, qty, ver, "", "8471300000", "", 0, 0, "", "", "")
            for line_no, item_id, seq, qty, ver in rows
        ]
        marks = ", ".join(["%s"] * 14)
        t0 = time.perf_counter()
        cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", params)
        return time.perf_counter() - t0


# ----------------------------------------------------------------------------- 2. recompute


ANCHORS = (
    ("duckdb_int", "DuckDB, exact 64-bit integers"),
    ("pandas_int", "pandas/numpy, exact int64"),
    ("duckdb_decimal", "DuckDB, DECIMAL"),
    ("pandas_decimal", "pandas, Python Decimal objects"),
)


def measure_recompute(repeat: int, workdir: Path, log) -> dict:
    """The product's full recompute and the four anchors over Parquet exports of the same tables.

    No anchor converts its values to Python objects inside its timed section (the Decimal pandas
    anchor computes with them: that is the anchor); the results — the product's read back from the
    stored balances — are converted after timing and compared on every item and column before any
    figure is returned.  The integer anchors run only if ``altcalc.int_bound`` proves from the data
    that nothing overflows; otherwise the DECIMAL variant runs in their place and the result says so."""
    rec, chk = [], []
    for _ in range(repeat):
        _, t = altcalc.timed(ledger.recompute)
        rec.append(t)
    # the recompute writes only the rows that change: on an exact ledger nothing.  Its worst case —
    # every balance row stale, every row rewritten — once, each row made to differ first (untimed)
    Balance.objects.update(adjust_plus=F("adjust_plus") + 1)
    written, t_all = altcalc.timed(ledger.recompute)
    if written != Balance.objects.count():
        raise CommandError(f"the recompute of a stale ledger rewrote {written} rows, not every one")
    for _ in range(repeat):
        diffs, t = altcalc.timed(ledger.check_balances)
        if diffs:
            raise CommandError(f"check_balances found {len(diffs)} differences after recompute: {diffs[:3]}")
        chk.append(t)
    product = altcalc.product_result()
    exported, t_export = altcalc.timed(altcalc.export_parquet, workdir)
    log(f"  exported to Parquet in {t_export:.1f} s: {exported}")
    bound, t_bound = altcalc.timed(altcalc.int_bound, workdir)
    log(f"  {bound.describe()} (checked in {t_bound:.1f} s)")
    results = {"product": product}
    seconds, anchors = {}, {}
    for name, _label in ANCHORS:
        times = []
        for _ in range(repeat):
            raw, t, info = altcalc.run_anchor(name, workdir, bound)
            times.append(t)
        results[name] = altcalc.to_result(raw)  # untimed
        del raw
        seconds[name] = stats(times)
        anchors[name] = {"exact_int": info.exact_int, "fallback": info.fallback}
    problems = altcalc.compare(results)
    if problems:
        raise CommandError("The recompute results differ (no times printed):\n" + "\n".join(problems))
    return {
        "lines": InventoryListLine.objects.count(),
        "items": len(product),
        "equal": True,
        "recompute_seconds": stats(rec),
        "recompute_all_rows_seconds": t_all,
        "check_seconds": stats(chk),
        "export_seconds": t_export,
        "bound": {"ok": bound.ok, "figures": bound.figures, "reasons": bound.reasons, "seconds": t_bound},
        "anchors": anchors,
        **{f"{name}_seconds": seconds[name] for name, _ in ANCHORS},
    }


# ----------------------------------------------------------------------------- 3. report


def measure_report(book: Book, repeat: int) -> dict:
    """3. The write-off report (报核核算表) of the heavy book over all its lines, the stored write-off of its
    last year, the command-line report, and the balance report (stored and as of a date)."""
    from zonebook.ledger.models import WriteOff
    from zonebook.ledger.services import writeoff as writeoffs

    n_lines = InventoryListLine.objects.filter(inventory_list__book=book).count()
    first = START
    last = dt.date(2025, 12, 31)
    stored_wo = WriteOff.objects.filter(book=book).order_by("-end").first()
    wo_lines = (
        InventoryListLine.objects.filter(inventory_list__writeoff_link__writeoff=stored_wo).count()
        if stored_wo
        else 0
    )
    wo_all, wo_stored, wo_command, stored, as_of, command = [], [], [], [], [], []
    out = Path(tempfile.gettempdir()) / f"bench-report-{os.getpid()}.csv"
    materials = 0
    for _ in range(repeat):
        (_, rows), t = altcalc.timed(writeoffs.report_for_cycle, book, first, last)
        materials = sum(1 for r in rows if r.get("kind") == "material")
        wo_all.append(t)
        if stored_wo is not None:
            _, t = altcalc.timed(writeoffs.report_for_cycle, book, stored_wo.start, stored_wo.end)
            wo_stored.append(t)
        _, t = altcalc.timed(
            call_command,
            "ledger_report",
            "writeoff",
            "--book",
            book.number,
            "--from",
            first.isoformat(),
            "--to",
            last.isoformat(),
            "--format",
            "csv",
            "--output",
            str(out),
        )
        wo_command.append(t)
        _, t = altcalc.timed(ledger.balances_as_of, book)
        stored.append(t)
        _, t = altcalc.timed(ledger.balances_as_of, book, last)
        as_of.append(t)
        _, t = altcalc.timed(
            call_command,
            "ledger_report",
            "balances",
            "--book",
            book.number,
            "--as-of",
            last.isoformat(),
            "--output",
            str(out),
        )
        command.append(t)
    out.unlink(missing_ok=True)
    result = {
        "book": book.number,
        "lines": n_lines,
        "items": book.items.count(),
        "writeoff_materials": materials,
        "writeoff_seconds": stats(wo_all),
        "writeoff_command_seconds": stats(wo_command),
        "stored_seconds": stats(stored),
        "as_of_seconds": stats(as_of),
        "command_as_of_seconds": stats(command),
    }
    if stored_wo is not None:
        result.update(
            stored_writeoff=f"{stored_wo.start}..{stored_wo.end}",
            stored_writeoff_lines=wo_lines,
            stored_writeoff_seconds=stats(wo_stored),
        )
    return result


# ----------------------------------------------------------------------------- 4. import


def write_import_file(path: Path, book: Book, n_lines: int, per_list: int = 1000) -> None:
    """A ledger_lists import file: material imports (0615 I) into ``book``, ``per_list`` lines per list."""
    seqs = list(book.items.filter(kind="material").order_by("seq_no").values_list("seq_no", flat=True))
    rnd = random.Random(7)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(
            "number,book,ie_mark,supervision_mode,item_kind,declaration_date,action,line_no,item_seq_no,qty\n"
        )
        for n in range(0, n_lines, per_list):
            number = f"QD790825I{800_000_000 + n // per_list:09d}"
            head = f"{number},{book.number},I,0615,material,2025-06-30,post,"
            fh.writelines(
                f"{head}{k + 1},{seqs[rnd.randrange(len(seqs))]},{_qty(rnd)}\n"
                for k in range(min(per_list, n_lines - n))
            )


def measure_import(book: Book, n_lines: int, repeat: int, log) -> dict:
    """Each repetition in a fresh process: peak RSS (ru_maxrss) of the whole import, rolled back."""
    path = Path(tempfile.gettempdir()) / f"bench-import-{os.getpid()}.csv"
    write_import_file(path, book, n_lines)
    size = path.stat().st_size
    peaks, baselines, seconds = [], [], []
    try:
        for _ in range(repeat):
            proc = subprocess.run(
                [sys.executable, "-m", "zonebook.bench.import_child", str(path), book.number],
                cwd=settings.BASE_DIR,
                capture_output=True,
                text=True,
                env={**os.environ, "DATABASE_URL": settings.DATABASE_URL},
            )
            if proc.returncode:
                raise CommandError(f"import child failed: {proc.stderr[-2000:]}")
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            if res["errors"]:
                raise CommandError(f"import reported errors: {res['first_errors']}")
            log(f"  import: {res['rows']:,} rows in {res['seconds']:.1f} s, peak {res['peak_mb']:.0f} MB")
            peaks.append(res["peak_mb"])
            baselines.append(res["baseline_mb"])
            seconds.append(res["seconds"])
    finally:
        path.unlink(missing_ok=True)
    return {
        "lines": n_lines,
        "file_mb": size / 2**20,
        "peak_mb": stats(peaks),
        "baseline_mb": stats(baselines),
        "seconds": stats(seconds),
    }


# ----------------------------------------------------------------------------- driver


def _rate(n: int, s: dict) -> dict:
    """lines/s from a seconds stats dict (min seconds = max rate)."""
    return {"min": n / s["max"], "median": n / s["median"], "max": n / s["min"], "n": s["n"]}


def table(results: dict) -> str:
    rows = []

    def add(label, unit, s, goal="", fmt="{:,.3f}"):
        rows.append((label, unit, fmt.format(s["min"]), fmt.format(s["median"]), fmt.format(s["max"]), goal))

    m = results["measurements"]
    if "post" in m:
        p = m["post"]
        n = p["lines"]
        add(
            f"post only: one {n:,}-line product list, created before (balances current)",
            "lines/s",
            _rate(n, p["post_seconds"]),
            GOALS["post"],
            "{:,.0f}",
        )
        if "end_to_end_seconds" in p:
            add(
                "create + submit + post end to end (the same run)",
                "lines/s",
                _rate(n, p["end_to_end_seconds"]),
                GOALS["post"],
                "{:,.0f}",
            )
        add(
            "  of which create (validation + insert)", "lines/s", _rate(n, p["create_seconds"]), "", "{:,.0f}"
        )
        raw = "COPY" if results["environment"]["database"] == "postgresql" else "executemany"
        add(
            f"anchor: {raw} of the same rows into the indexed line table",
            "lines/s",
            _rate(n, p["raw_seconds"]),
            "",
            "{:,.0f}",
        )
    if "recompute" in m:
        r = m["recompute"]
        add(
            f"recompute all balances ({r['lines']:,} lines, {r['items']:,} items)",
            "s",
            r["recompute_seconds"],
            GOALS["recompute"],
        )
        if "recompute_all_rows_seconds" in r:
            t_all = r["recompute_all_rows_seconds"]
            add("recompute, every balance row stale and rewritten (1 run)", "s", {"min": t_all, "median": t_all, "max": t_all})
        add("check_balances (recompute vs stored)", "s", r["check_seconds"])
        for name, label in ANCHORS:
            if f"{name}_seconds" not in r:
                continue
            fallback = r.get("anchors", {}).get(name, {}).get("fallback")
            add(
                f"same computation: {label}{' (DECIMAL fallback)' if fallback else ''}",
                "s",
                r[f"{name}_seconds"],
            )
    if "report" in m:
        r = m["report"]
        if "writeoff_seconds" in r:
            add(
                f"write-off report of book {r['book']} ({r['lines']:,} lines, {r['writeoff_materials']:,} materials)",
                "s",
                r["writeoff_seconds"],
                GOALS["report"],
            )
            add("  ledger_report writeoff (CSV file)", "s", r["writeoff_command_seconds"])
            if "stored_writeoff_seconds" in r:
                add(
                    f"  stored write-off {r['stored_writeoff']} ({r['stored_writeoff_lines']:,} lines, stocktake)",
                    "s",
                    r["stored_writeoff_seconds"],
                )
        add(f"book {r['book']} balances, stored ({r['lines']:,} lines)", "s", r["stored_seconds"])
        add("  same, computed as of a date from the lines", "s", r["as_of_seconds"])
        add("  ledger_report balances --as-of (CSV file)", "s", r["command_as_of_seconds"])
    if "import" in m:
        r = m["import"]
        add(
            f"import {r['lines']:,}-line file ({r['file_mb']:.0f} MB): peak RSS",
            "MB",
            r["peak_mb"],
            GOALS["import"],
            "{:,.0f}",
        )
        add("  process RSS before the import", "MB", r["baseline_mb"], "", "{:,.0f}")
        add("  import time (check + write + post, rolled back)", "s", r["seconds"], "", "{:,.1f}")
    widths = [
        max(len(str(r[i])) for r in rows + [("what", "unit", "min", "median", "max", "goal")])
        for i in range(6)
    ]
    lines = []
    for r in [("what", "unit", "min", "median", "max", "goal"), *rows]:
        lines.append(
            "  ".join(
                str(c).ljust(w) if i in (0, 1, 5) else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if len(lines) == 1:
            lines.append("-" * len(lines[0]))
    if "post" in m and "end_to_end_seconds" in m["post"]:
        p = m["post"]
        raw = p["raw_seconds"]["median"]
        lines.append(
            f"post only / COPY = {raw / p['post_seconds']['median']:.2f}×;"
            f" end to end / COPY = {raw / p['end_to_end_seconds']['median']:.2f}× (rates, medians);"
            " every posting was checked equal to a recompute of the book."
        )
    if "recompute" in m:
        r = m["recompute"]
        med = r["recompute_seconds"]["median"]
        ratios = "; ".join(
            f"{name} = {r[f'{name}_seconds']['median'] / med:.2f}×"
            for name, _ in ANCHORS
            if f"{name}_seconds" in r
        )
        lines.append(f"time × the product's recompute (medians): {ratios};")
        for name, info in r.get("anchors", {}).items():
            if info.get("fallback"):
                lines.append(f"  {name}: {info['fallback']}")
        lines.append(
            f"  all {len(ANCHORS) + 1} results were checked equal on every item and column (exact, 5 dp)"
            " before printing."
        )
    return "\n".join(lines)


def run_all(
    scale: Scale,
    *,
    repeat: int,
    post_lines: int,
    import_lines: int,
    only: set[str],
    out,
    log,
    import_repeat=None,
) -> dict:
    if not Book.objects.exists():
        raise CommandError("No data: run `manage.py bench generate` first.")
    vacuum()
    results = {"environment": environment(scale), "measurements": {}}
    book = heavy_book()
    results["heavy_book"] = {"number": book.number, "posted_lines": book.posted_lines}
    log(f"heavy book (most posted lines): {book.number} with {book.posted_lines:,} lines")
    m = results["measurements"]

    def done(name):
        log(table({"environment": results["environment"], "measurements": {name: m[name]}}))
        if out:  # partial results survive an interrupted run
            Path(out).write_text(json.dumps(results, indent=2, default=str))

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        if "post" in only:
            log(f"1. posting {post_lines:,} lines × {repeat} …")
            m["post"] = measure_post(book, post_lines, repeat)
            done("post")
            vacuum()  # the rolled-back rows left dead tuples that later scans would read
        if "recompute" in only:
            log(f"2. recompute × {repeat} (product; DuckDB and pandas, int64 and DECIMAL) …")
            m["recompute"] = measure_recompute(repeat, Path(tmp) / "parquet", log)
            done("recompute")
        if "report" in only:
            log(f"3. report of book {book.number} ({book.posted_lines:,} posted lines) × {repeat} …")
            m["report"] = measure_report(book, repeat)
            done("report")
        if "import" in only:
            n = import_repeat or repeat
            log(f"4. import of {import_lines:,} lines × {n} (subprocess each) …")
            # another book than the heavy one: no lock waits with a concurrent run on the same data
            other = Book.objects.exclude(pk=book.pk).order_by("pk").first() or book
            m["import"] = measure_import(other, import_lines, n, log)
            done("import")
    log("")
    log(table(results))
    if out:
        Path(out).write_text(json.dumps(results, indent=2, default=str))
        log(f"JSON written to {out}")
    return results


# ----------------------------------------------------------------------------- query plans


def explain(log) -> dict:
    """EXPLAIN ANALYZE (PostgreSQL) of the heavy statements: the full recompute query, the pivot of
    one posted 50k-line list (the FROM part of the posting UPDATE) and the as-of report of the heavy book."""
    from zonebook.ledger import sql

    if connection.vendor != "postgresql":
        raise CommandError("explain needs PostgreSQL")
    book = heavy_book()
    plans = {}

    def plan(name, text, params):
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + text, params)
            plans[name] = "\n".join(r[0] for r in cur.fetchall())
        log(f"=== {name}\n{plans[name]}\n")

    full, params = sql.full_sql()
    plan("recompute: full query over all posted lines", full, params)
    captured = {}

    class _Captured(Exception):
        pass

    def capture(execute, text, params, many, context):
        if not text.lstrip().upper().startswith(("WITH", "SELECT")):  # check()'s SET work_mem, savepoints
            return execute(text, params, many, context)
        captured["sql"], captured["params"] = text, params
        raise _Captured

    try:
        with connection.execute_wrapper(capture):
            sql.check()
    except _Captured:
        pass
    plan("check_balances: full query joined with the stored balances", captured["sql"], captured["params"])
    full, params = sql.full_sql([book.pk], dt.date(2025, 12, 31))
    plan(f"report: book {book.number} as of 2025-12-31", full, params)
    try:
        with acting_as("command"), transaction.atomic():
            lst = ledger.create_inventory_list(book, _header(50), _product_lines(book, 50_000, seed=1))
            ledger.submit_inventory_list(lst)
            ledger.post_inventory_list(lst)
            plan(
                "posting: pivot of one 50,000-line product list",
                sql.pivot_sql("lst.id = %s"),
                [lst.pk, lst.pk],
            )
            raise _Rollback
    except _Rollback:
        pass
    return plans
