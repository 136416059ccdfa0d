"""manage.py sqlite_concurrency — API writes during a large list import on SQLite (issue 14 §5).

Builds (once) a base SQLite database with ``bench generate --scale tiny`` under VAR_DIR, then for
each mode copies it fresh and runs the import alone (its time) and the import with concurrent API
writers (see ``zonebook.bench.concurrency``).  Modes: ``staged`` (the current import: short
committed batches + one publish) and ``single`` (``IMPORT_STAGED=0``: one transaction, as before).
Prints one line per mode and writes the JSON to ``--out``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zonebook.bench.concurrency import summarize


class Command(BaseCommand):
    help = "Count failed API writes while a large inventory-list import runs on SQLite."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=120_000, help="lines of the import file")
        parser.add_argument("--writes", type=int, default=170, help="API writes in total")
        parser.add_argument("--clients", type=int, default=8, help="writer threads")
        parser.add_argument("--busy-timeout", type=float, default=30, help="SQLite busy timeout (s)")
        parser.add_argument("--modes", default="staged,single", help="staged, single or both")
        parser.add_argument("--regenerate", action="store_true", help="rebuild the base database")
        parser.add_argument("--out", help="write the JSON results to this file")

    def _child(self, args, env, background=False):
        cmd = [sys.executable, "-m", "zonebook.bench.concurrency", *map(str, args)]
        if background:
            return subprocess.Popen(
                cmd, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        proc = subprocess.run(cmd, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
        return self._parse(proc.returncode, proc.stdout, proc.stderr)

    @staticmethod
    def _parse(code, stdout, stderr):
        if code:
            raise CommandError(f"child failed: {stderr[-3000:]}")
        return json.loads(stdout.strip().splitlines()[-1])

    def handle(self, *args, **opts):
        var = settings.VAR_DIR
        var.mkdir(parents=True, exist_ok=True)
        base, work = var / "concurrency-base.sqlite3", var / "concurrency.sqlite3"
        path = var / f"concurrency-{opts['rows']}.csv"
        env0 = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env0["SQLITE_BUSY_TIMEOUT"] = str(opts["busy_timeout"])
        if opts["regenerate"] or not base.exists():
            for p in var.glob("concurrency-base.sqlite3*"):
                p.unlink()
            self.stdout.write("generating the base database (bench generate --scale tiny)…")
            proc = subprocess.run(
                [sys.executable, "manage.py", "bench", "generate", "--scale", "tiny", "--migrate"],
                cwd=settings.BASE_DIR,
                env={**env0, "DATABASE_URL": f"sqlite:///{base}"},
                capture_output=True,
                text=True,
            )
            if proc.returncode:
                raise CommandError(proc.stderr[-3000:])
        env = {**env0, "DATABASE_URL": f"sqlite:///{work}"}
        self._fresh(base, work)
        info = self._child(["file", path, opts["rows"]], env)
        env["BENCH_IMPORT_BOOK"] = info["book"]
        results = {
            "rows": opts["rows"],
            "writes": opts["writes"],
            "clients": opts["clients"],
            "busy_timeout": opts["busy_timeout"],
            "modes": {},
        }
        try:
            for mode in [m.strip() for m in opts["modes"].split(",") if m.strip()]:
                menv = {**env, "IMPORT_STAGED": "1" if mode == "staged" else "0"}
                self._fresh(base, work)
                alone = self._child(["import", path], menv)
                if alone["errors"]:
                    raise CommandError(f"import errors: {alone['first_errors']}")
                self._fresh(base, work)
                imp = self._child(["import", path], menv, background=True)
                wr = self._child(
                    ["writers", opts["writes"], opts["clients"], alone["seconds"]], menv, background=True
                )
                out_i, err_i = imp.communicate()
                out_w, err_w = wr.communicate()
                together = self._parse(imp.returncode, out_i, err_i)
                writes = self._parse(wr.returncode, out_w, err_w)["writes"]
                summary = summarize(writes, together)
                summary.update(
                    import_alone_s=round(alone["seconds"], 1),
                    import_with_writers_s=round(together["seconds"], 1),
                    import_errors=together["errors"],
                    import_written=together["written"],
                    lock=together["lock"],
                )
                results["modes"][mode] = summary
                self.stdout.write(
                    f"{mode:7s} import {opts['rows']:,} rows: alone {alone['seconds']:.1f} s, with writers "
                    f"{together['seconds']:.1f} s ({together['written']:,} written, {together['errors']} errors) | "
                    f"writes {summary['writes']} ({summary['during_import']} during the import): "
                    f"{summary['ok']} ok, {summary['errors']} errors, {summary['got_503']} got 503 "
                    f"({summary['503_ok_on_retry']} ok on retry); latency p50 {summary['p50_s']:.2f} s, "
                    f"p95 {summary['p95_s']:.2f} s, max {summary['max_s']:.2f} s"
                )
                steps = ", ".join(
                    f"{k} {v['n']}× ≤ {v['max_s']:.2f} s"
                    for k, v in sorted(together["lock"]["by_step"].items())
                )
                self.stdout.write(
                    f"        import write-lock holds: {together['lock']['transactions']} transactions, longest "
                    f"{together['lock']['longest_s']:.2f} s ({steps})"
                )
                if summary["error_samples"]:
                    self.stdout.write(f"        first errors: {summary['error_samples']}")
        finally:
            path.unlink(missing_ok=True)
        if opts["out"]:
            with open(opts["out"], "w") as fh:
                json.dump(results, fh, indent=2, default=str)

    @staticmethod
    def _fresh(base, work):
        for p in work.parent.glob(work.name + "*"):
            p.unlink()
        shutil.copyfile(base, work)
