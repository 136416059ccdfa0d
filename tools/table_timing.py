"""Time the list pages' table rendering with the Django test client (developer tool).

Usage (on generated bench data, e.g. ``manage.py bench generate --scale small --db sqlite``)::

    DATABASE_URL=sqlite:///var/bench.sqlite3 python tools/table_timing.py [--repeat 15]

Each page is requested ``--repeat`` times (after two warm-up requests) by the province user, with
100 rows per page; printed are the median, min and max wall time of the whole request, its median
CPU time (this process: steadier than wall time on a busy machine) and the median CPU time of
rendering the table body alone (``core.table_render.render_body``), the part a change of the table
code moves.  Run it from the worktree whose code is to be measured.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zonebook.settings")

PAGES = (
    ("ledger balance list", "/ledger/balances/?per_page=100"),
    ("ledger book list", "/ledger/books/?per_page=100"),
    ("ledger inventory lists", "/ledger/lists/?per_page=100"),
    ("registry enterprise list", "/registry/enterprises/?per_page=100"),
    ("ledger balances export (csv)", "/ledger/balances/?export=csv"),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--user", default="bench-province")
    args = parser.parse_args()

    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from zonebook.accounts.models import User
    from zonebook.core import table_render

    setup_test_environment()
    body_times: list[float] = []
    original = table_render.render_body

    def timed(context, table):
        start = time.process_time()
        try:
            return original(context, table)
        finally:
            body_times.append(time.process_time() - start)

    table_render.render_body = timed  # measurement only (this script's own process)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(User.objects.get(username=args.user))
    print(f"{'page':32} {'median ms':>10} {'min':>7} {'max':>7} {'cpu ms':>7} {'body cpu':>8}  rows")
    for label, url in PAGES:
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        times, cpu = [], []
        body_times.clear()
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        body = statistics.median(body_times) * 1000 if body_times else 0.0
        rows = "" if hasattr(response, "streaming_content") else response.content.count(b"<tr ")
        print(
            f"{label:32} {statistics.median(times) * 1000:10.1f} {min(times) * 1000:7.1f}"
            f" {max(times) * 1000:7.1f} {statistics.median(cpu) * 1000:7.1f} {body:8.1f}  {rows}"
        )


if __name__ == "__main__":
    main()
