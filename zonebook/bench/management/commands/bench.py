"""manage.py bench generate|run|web — see docs/performance.md.

* ``generate --scale tiny|small|medium|province [--seed N]``: the synthetic province (empty database).
* ``run [--scale …] [--db sqlite|postgres] [--out results.json] [--repeat 3]``: the measurements.
* ``web [--users 50 --seconds 60]``: gunicorn (4 workers) on PostgreSQL + headless locust.

``--db`` re-runs the command with ``DATABASE_URL`` set to ``BENCH_POSTGRES_URL`` (default
postgres://zonebook:zonebook@127.0.0.1:54329/zb_bench) or ``BENCH_SQLITE_URL`` (default
sqlite:///var/bench.sqlite3) when the configured database is of the other kind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from zonebook.bench.scales import SCALES

DB_URLS = {
    "postgres": lambda: os.environ.get(
        "BENCH_POSTGRES_URL", "postgres://zonebook:zonebook@127.0.0.1:54329/zb_bench"
    ),
    "sqlite": lambda: os.environ.get("BENCH_SQLITE_URL", f"sqlite:///{settings.VAR_DIR / 'bench.sqlite3'}"),
}
VENDORS = {"postgres": "postgresql", "sqlite": "sqlite"}


class Command(BaseCommand):
    help = "Generate the benchmark dataset, run the measurements, run the load test."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        gen = sub.add_parser("generate", help="build the synthetic dataset into an empty database")
        gen.add_argument("--scale", choices=sorted(SCALES), default="small")
        gen.add_argument("--seed", type=int, default=1)
        gen.add_argument("--db", choices=sorted(DB_URLS))
        gen.add_argument("--migrate", action="store_true", help="migrate the database first")
        gen.add_argument(
            "--workers", type=int, default=1, help="processes building the books side by side (PostgreSQL)"
        )
        run = sub.add_parser("run", help="measure and print the table")
        run.add_argument("--scale", choices=sorted(SCALES), default="small")
        run.add_argument("--db", choices=sorted(DB_URLS))
        run.add_argument("--out", help="write the JSON results to this file")
        run.add_argument("--repeat", type=int, default=3)
        run.add_argument("--post-lines", type=int, default=50_000, help="lines of the posting measurement")
        run.add_argument("--import-lines", type=int, default=1_000_000, help="lines of the import file")
        run.add_argument(
            "--import-repeat", type=int, help="repetitions of the (slow) import measurement; default --repeat"
        )
        run.add_argument(
            "--only",
            default="post,recompute,report,import",
            help="comma-separated subset of the measurements",
        )
        exp = sub.add_parser("explain", help="EXPLAIN ANALYZE of the heavy statements (PostgreSQL)")
        exp.add_argument("--db", choices=sorted(DB_URLS))
        web = sub.add_parser("web", help="load test: gunicorn (4 workers) + headless locust")
        web.add_argument("--users", type=int, default=50)
        web.add_argument("--seconds", type=int, default=60)
        web.add_argument("--workers", type=int, default=4)
        web.add_argument("--port", type=int, default=8765)
        web.add_argument(
            "--spawn-rate",
            type=int,
            default=2,
            help="users started (and logged in) per second before the measurement",
        )
        web.add_argument("--wait", default="2,8", help="think time min,max in seconds (default 2,8)")
        web.add_argument("--out", help="write the JSON results to this file")

    def _reexec(self, db: str | None, argv: list[str]) -> bool:
        """Run this command again against the other database; True if it did."""
        if not db or connection.vendor == VENDORS[db]:
            return False
        env = {**os.environ, "DATABASE_URL": DB_URLS[db]()}
        code = subprocess.call([sys.executable, "manage.py", "bench", *argv], env=env, cwd=settings.BASE_DIR)
        if code:
            raise CommandError(f"bench {argv[0]} on {db} failed (exit code {code})")
        return True

    def handle(self, *args, action, **opts):
        argv = [a for a in sys.argv[sys.argv.index("bench") + 1 :]] if "bench" in sys.argv else [action]
        if action == "generate":
            if self._reexec(opts.get("db"), argv):
                return
            if opts.get("migrate"):
                from django.core.management import call_command

                call_command("migrate", verbosity=0)
            from zonebook.bench.generate import generate

            result = generate(
                SCALES[opts["scale"]],
                seed=opts["seed"],
                log=self.stdout.write,
                workers=max(1, opts["workers"]),
            )
            self.stdout.write(json.dumps(result.__dict__, indent=2, default=str))
        elif action == "run":
            if self._reexec(opts.get("db"), argv):
                return
            from zonebook.bench.measure import run_all

            run_all(
                SCALES[opts["scale"]],
                repeat=max(1, opts["repeat"]),
                post_lines=opts["post_lines"],
                import_lines=opts["import_lines"],
                only=set(opts["only"].split(",")),
                out=opts.get("out"),
                log=self.stdout.write,
                import_repeat=opts.get("import_repeat"),
            )
        elif action == "explain":
            if self._reexec(opts.get("db"), argv):
                return
            from zonebook.bench.measure import explain

            explain(self.stdout.write)
        elif action == "web":
            from zonebook.bench.web import run_web

            run_web(
                users=opts["users"],
                seconds=opts["seconds"],
                workers=opts["workers"],
                port=opts["port"],
                wait=opts["wait"],
                spawn_rate=opts["spawn_rate"],
                out=opts.get("out"),
                log=self.stdout.write,
            )
