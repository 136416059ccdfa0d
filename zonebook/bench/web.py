"""``manage.py bench web``: gunicorn (4 workers) on the bench PostgreSQL database + headless locust.

Starts gunicorn on 127.0.0.1, waits for /healthz, runs locust for ``seconds`` with ``users``
simulated users (locustfile.py), prints p50/p95/p99 and errors per page and overall, then stops
gunicorn (also on errors and Ctrl-C).  The users log in during the ramp-up (``spawn_rate`` per second); the
statistics are reset when all are spawned, so the figures are steady-state browsing; the login
cost (PBKDF2, 1,000,000 iterations) is measured separately in docs/performance.md.  Needs the ``bench`` extra (locust) and generated data.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

from zonebook.ledger.models import Book, BookItem, InventoryList, WriteOff
from zonebook.registry.models import Enterprise

from .generate import PASSWORD
from .measure import cpu_probe


def sample_ids() -> dict:
    heavy = Book.objects.order_by("pk").first()
    return {
        "books": list(Book.objects.order_by("?").values_list("pk", flat=True)[:200]),
        "heavy_book": [heavy.pk] if heavy else [],
        "items": list(BookItem.objects.order_by("?").values_list("pk", flat=True)[:500]),
        "lists": list(InventoryList.objects.order_by("?").values_list("pk", flat=True)[:500]),
        "enterprises": list(Enterprise.objects.order_by("?").values_list("pk", flat=True)[:200]),
        "writeoffs": list(WriteOff.objects.order_by("?").values_list("pk", flat=True)[:200]),
    }


def _wait_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise CommandError(f"gunicorn exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise CommandError(f"gunicorn did not answer {url} within {timeout:.0f} s")


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _ms(text: str) -> float:
    try:
        return float(text or 0)
    except ValueError:  # "N/A": no request of this kind in the measured window
        return 0.0


def read_stats(path: Path) -> list[dict]:
    out = []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            if int(row["Request Count"]) == 0:
                continue  # e.g. the login page: only during the ramp-up, before the reset
            out.append(
                {
                    "type": row["Type"],
                    "name": row["Name"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "p50_ms": _ms(row["50%"]),
                    "p95_ms": _ms(row["95%"]),
                    "p99_ms": _ms(row["99%"]),
                    "max_ms": _ms(row["Max Response Time"]),
                    "rps": _ms(row["Requests/s"]),
                }
            )
    return out


def run_web(
    *, users: int, seconds: int, workers: int, port: int, out, log, wait: str = "2,8", spawn_rate: int = 2
) -> dict:
    if connection.vendor != "postgresql":
        raise CommandError("bench web runs on PostgreSQL: set DATABASE_URL (see docs/performance.md).")
    if not Book.objects.exists():
        raise CommandError("No data: run `manage.py bench generate` first.")
    bindir = Path(sys.executable).parent
    locust = shutil.which("locust", path=str(bindir)) or shutil.which("locust")
    gunicorn = shutil.which("gunicorn", path=str(bindir)) or shutil.which("gunicorn")
    if not locust or not gunicorn:
        raise CommandError("locust and gunicorn are needed: pip install -e '.[bench]'")
    probe_before = cpu_probe()
    tmp = Path(tempfile.mkdtemp(prefix="bench-web-"))
    ids = tmp / "ids.json"
    ids.write_text(json.dumps(sample_ids()))
    env = {
        **os.environ,
        "DATABASE_URL": settings.DATABASE_URL,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "0",
        "BENCH_IDS": str(ids),
        "BENCH_USERS": "bench-province,bench-admin",
        "BENCH_PASSWORD": PASSWORD,
        "BENCH_WAIT": wait,
        "BENCH_MEASURE_S": str(seconds),
        "BENCH_USER_COUNT": str(users),
    }
    host = f"http://127.0.0.1:{port}"
    # Users log in while they are spawned (PBKDF2, ~0.5–0.9 s CPU each); the locustfile resets the
    # statistics when the last user has logged in and stops ``seconds`` later, so the measured
    # seconds are steady-state browsing.  ``-t`` is only a safety stop.
    rate = max(1, spawn_rate)
    ramp = -(-users // rate) + 3 + users  # spawning, then at most ~1 s per queued login
    server = None
    try:
        server = subprocess.Popen(
            [
                gunicorn,
                "zonebook.wsgi",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            start_new_session=True,
            stdout=open(tmp / "gunicorn.log", "w"),
            stderr=subprocess.STDOUT,
        )
        _wait_up(f"{host}/healthz", server)
        log(
            f"gunicorn ({workers} workers) up on {host}; locust: {users} users, think time {wait} s, {seconds} s …"
        )
        proc = subprocess.run(
            [
                locust,
                "-f",
                str(Path(__file__).with_name("locustfile.py")),
                "--headless",
                "-u",
                str(users),
                "-r",
                str(rate),
                "-t",
                f"{seconds + ramp}s",
                "--host",
                host,
                "--csv",
                str(tmp / "locust"),
                "--only-summary",
                "--stop-timeout",
                "10",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=seconds + ramp + 120,
        )
        stats_path = tmp / "locust_stats.csv"
        if not stats_path.exists():
            raise CommandError(f"locust wrote no statistics: {proc.stderr[-2000:]}")
        rows = read_stats(stats_path)
    finally:
        _stop(server)
    failures_path = tmp / "locust_failures.csv"
    failures = list(csv.DictReader(open(failures_path))) if failures_path.exists() else []
    total = next((r for r in rows if r["name"] == "Aggregated"), None)
    result = {
        "users": users,
        "seconds": seconds,
        "workers": workers,
        "think_time_s": wait,
        "spawn_rate": rate,
        "cpu_count": os.cpu_count(),
        "cpu_probe_seconds_before": probe_before,
        "cpu_probe_seconds_after": cpu_probe(),
        "load_average_after": os.getloadavg(),
        "endpoints": rows,
        "failures": failures,
    }
    width = max(len(r["name"]) for r in rows)
    log(
        f"{'endpoint'.ljust(width)}  {'requests':>8}  {'errors':>6}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}"
    )
    for r in rows:
        log(
            f"{r['name'].ljust(width)}  {r['requests']:>8}  {r['failures']:>6}  {r['p50_ms']:>7.0f}  "
            f"{r['p95_ms']:>7.0f}  {r['p99_ms']:>7.0f}"
        )
    for f in failures[:10]:
        log(f"  failure: {f.get('Name')}: {f.get('Error')} × {f.get('Occurrences')}")
    if total:
        log(
            f"overall: {total['requests']} requests ({total['rps']:.1f}/s), {total['failures']} errors, "
            f"p50 {total['p50_ms']:.0f} ms, p95 {total['p95_ms']:.0f} ms, p99 {total['p99_ms']:.0f} ms "
            "(goal: p95 ≤ 200 ms, 0 errors)"
        )
    log(
        f"CPU probe {result['cpu_probe_seconds_before']:.2f} s before, {result['cpu_probe_seconds_after']:.2f} s after "
        "(a fixed Python loop; higher = slower host right now)"
    )
    if out:
        Path(out).write_text(json.dumps(result, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)
    return result
