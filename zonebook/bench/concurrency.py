"""SQLite concurrency check: API writes while a large list import runs (issue 14 §5).

``manage.py sqlite_concurrency`` (see the command) drives three kinds of process against one
file-based SQLite database, copied fresh from a generated base (``bench generate --scale tiny``)
for every run:

* the **import** child runs the inventory-list import of an ``--rows``-line file (action: post)
  through the pipeline as a job does (``check_first``), committing;
* the **writers** child runs ``--clients`` threads, each with its own database connection, that
  send ``--writes`` API writes in total (POST /api/ledger/lists/, a 2-line draft list on another
  book, token-authenticated, through the whole middleware stack), spread evenly over the expected
  import time.  A 503 is retried after its Retry-After (at most 5 times); anything else ≥ 500, an
  unexpected status or an exception counts as an error;
* the orchestrator runs the import once alone (its time), then import + writers, with staging on
  (the current code) and off (``IMPORT_STAGED=0``: the single transaction of before).

Child modes: ``python -m zonebook.bench.concurrency file FILE ROWS``, ``… import FILE`` and
``… writers N CLIENTS SECONDS``
(``DATABASE_URL`` names the database); each prints one JSON line.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zonebook.settings")
    import django

    django.setup()


def file_child(path: str, rows: int) -> dict:
    """Write the import file: ``rows`` material-import lines (action post) into the first book."""
    _setup()
    from pathlib import Path

    from zonebook.ledger.models import Book

    from .measure import write_import_file

    book = Book.objects.order_by("pk").first()
    write_import_file(Path(path), book, rows)
    return {"book": book.number, "rows": rows}


class LockWatch:
    """Measures how long each transaction of this process holds the SQLite write lock (every
    transaction is ``BEGIN IMMEDIATE``: from BEGIN to COMMIT/ROLLBACK), labelled with the import
    step that opened it."""

    STEPS = ("publish", "discard", "validate", "apply", "write", "progress")

    def __init__(self):
        self.holds: list[tuple[float, str]] = []

    def __enter__(self):
        import traceback

        from django.db.backends.base.base import BaseDatabaseWrapper
        from django.db.backends.sqlite3.base import DatabaseWrapper

        self._orig = (
            DatabaseWrapper._start_transaction_under_autocommit,
            BaseDatabaseWrapper._commit,
            BaseDatabaseWrapper._rollback,
        )
        begin, commit, rollback = self._orig
        watch = self

        def step() -> str:
            names = [f.name for f in traceback.extract_stack(limit=40)]
            return next((s for s in self.STEPS if s in names), names[-4] if len(names) > 3 else "?")

        def _begin(conn):
            begin(conn)
            conn._lock_since = (time.perf_counter(), step())

        def _end(fn):
            def end(conn):
                try:
                    return fn(conn)
                finally:
                    since = getattr(conn, "_lock_since", None)
                    if since is not None:
                        watch.holds.append((time.perf_counter() - since[0], since[1]))
                        conn._lock_since = None

            return end

        DatabaseWrapper._start_transaction_under_autocommit = _begin
        BaseDatabaseWrapper._commit = _end(commit)
        BaseDatabaseWrapper._rollback = _end(rollback)
        return self

    def __exit__(self, *exc):
        from django.db.backends.base.base import BaseDatabaseWrapper
        from django.db.backends.sqlite3.base import DatabaseWrapper

        begin, commit, rollback = self._orig
        DatabaseWrapper._start_transaction_under_autocommit = begin
        BaseDatabaseWrapper._commit = commit
        BaseDatabaseWrapper._rollback = rollback

    def report(self) -> dict:
        by_step: dict[str, list[float]] = {}
        for seconds, name in self.holds:
            by_step.setdefault(name, []).append(seconds)
        return {
            "transactions": len(self.holds),
            "longest_s": max((h for h, _n in self.holds), default=0.0),
            "by_step": {k: {"n": len(v), "max_s": max(v), "total_s": sum(v)} for k, v in by_step.items()},
        }


def import_child(path: str) -> dict:
    _setup()
    from zonebook.core.context import acting_as
    from zonebook.core.imports import pipeline
    from zonebook.core.imports.kinds import autodiscover, get_kind

    from .generate import bench_admin

    autodiscover()
    user = bench_admin()
    started = time.time()
    t0 = time.perf_counter()
    with acting_as("command"), LockWatch() as watch:
        result = pipeline.run(get_kind("ledger_lists"), path, os.path.basename(path), user, check_first=True)
    return {
        "rows": result.rows,
        "written": result.written,
        "errors": result.error_count,
        "first_errors": [e.__dict__ for e in result.errors[:3]],
        "seconds": time.perf_counter() - t0,
        "started": started,
        "ended": time.time(),
        "lock": watch.report(),
    }


def _write_target():
    """A book other than the import's, with two materials, for the writers' lists."""
    from zonebook.ledger.models import Book

    book = (
        Book.objects.exclude(number=os.environ.get("BENCH_IMPORT_BOOK", ""))
        .filter(items__kind="material")
        .order_by("pk")
        .first()
    )
    seqs = list(book.items.filter(kind="material").order_by("seq_no").values_list("seq_no", flat=True)[:2])
    return book, seqs


def writers_child(n: int, clients: int, seconds: float) -> dict:
    _setup()
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from .generate import bench_admin

    token, _ = Token.objects.get_or_create(user=bench_admin())
    book, seqs = _write_target()
    connection.close()
    interval = seconds * clients / max(n, 1)
    lock = threading.Lock()
    out: list[dict] = []
    counter = iter(range(n))

    def one(k: int, client: Client) -> dict:
        body = {
            "number": f"QD790826I{700_000_000 + k:09d}",
            "book": book.pk,
            "ie_mark": "I",
            "supervision_mode": "0615",
            "item_kind": "material",
            "declaration_date": "2025-06-30",
            "lines": [{"item_seq_no": s, "qty": "1.5"} for s in seqs],
        }
        rec = {"k": k, "start": time.time(), "busy": 0, "status": None, "error": ""}
        t0 = time.perf_counter()
        for _attempt in range(6):
            try:
                r = client.post("/api/ledger/lists/", json.dumps(body), content_type="application/json")
            except Exception as exc:  # noqa: BLE001 - counted as an error
                rec["error"] = repr(exc)[:200]
                break
            rec["status"] = r.status_code
            if r.status_code == 503:
                rec["busy"] += 1
                time.sleep(float(r.headers.get("Retry-After", "1")))
                continue
            if r.status_code != 201:
                rec["error"] = r.content[:300].decode("utf-8", "replace")
            break
        rec["seconds"] = time.perf_counter() - t0
        return rec

    def worker(w: int) -> None:
        from django.db import connection as conn

        client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token.key}")
        start = time.perf_counter() + w * interval / clients
        i = 0
        while True:
            with lock:
                k = next(counter, None)
            if k is None:
                break
            delay = start + i * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            rec = one(k, client)
            with lock:
                out.append(rec)
            i += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"writes": out}


def summarize(writes: list[dict], imp: dict | None) -> dict:
    lat = sorted(w["seconds"] for w in writes)
    errors = [w for w in writes if w["error"] or w["status"] not in (201, 503)]
    busy = [w for w in writes if w["busy"]]
    during = [w for w in writes if imp and imp["started"] <= w["start"] <= imp["ended"]]
    return {
        "writes": len(writes),
        "during_import": len(during),
        "ok": sum(1 for w in writes if w["status"] == 201 and not w["error"]),
        "errors": len(errors),
        "error_samples": [(w["status"], w["error"][:160]) for w in errors[:3]],
        "got_503": len(busy),
        "503_ok_on_retry": sum(1 for w in busy if w["status"] == 201),
        "p50_s": statistics.median(lat) if lat else 0,
        "p95_s": lat[int(0.95 * (len(lat) - 1))] if lat else 0,
        "max_s": lat[-1] if lat else 0,
    }


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "file":
        res = file_child(sys.argv[2], int(sys.argv[3]))
    elif mode == "import":
        res = import_child(sys.argv[2])
    elif mode == "writers":
        res = writers_child(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(res, default=str))
