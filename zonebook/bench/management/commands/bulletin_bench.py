"""``manage.py bulletin_bench [--runs 3] [--bench-data] [--zones 250 --months 36 --indicators 30] [--skip-generate]``

Times the province's monthly bulletin (通报), .docx + PDF, as the scheduled build makes it (nothing
stored, no 文号 taken):

* on the demo data (``P510000``, its latest month with figures), when the demo is loaded;
* with ``--bench-data``: on the statistics bench data (``stats_bench``'s generator: the nation,
  31 provinces, ``--zones`` zones × ``--indicators`` × ``--months``; the bench province ``B-P510000``
  has 28 zones), generated first unless ``--skip-generate``, figures recomputed.

Each run is split into gathering the figures (set-based, ``bulletins.build.gather``), composing the
content, preparing (charts drawn once), the .docx and the PDF; wall-clock and CPU time are printed.
Before any time is printed the gathered figures of every zone are checked equal to the per-entity
figures of ``stats.services.figures`` — the anchor, timed in the same run (one entity at a time, as
a page shows them).
"""

from __future__ import annotations

import statistics
import time

from django.core.management.base import BaseCommand, CommandError

from zonebook.bulletins import services
from zonebook.bulletins.build import MAIN, Period, build_document, gather
from zonebook.bulletins.models import Frequency
from zonebook.documents import render as R
from zonebook.stats import services as stats_services
from zonebook.stats import sql
from zonebook.stats.models import Entity, Figure, Indicator


class Timer:
    def __init__(self):
        self.wall, self.cpu = {}, {}

    def run(self, name, fn):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        self.wall.setdefault(name, []).append(time.perf_counter() - w)
        self.cpu.setdefault(name, []).append(time.process_time() - c)
        return out


class Command(BaseCommand):
    help = "Time the province monthly bulletin (docx + pdf) on the demo data and on the bench data"

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--bench-data", action="store_true", help="also on the stats_bench data")
        parser.add_argument("--zones", type=int, default=250)
        parser.add_argument("--months", type=int, default=36)
        parser.add_argument("--indicators", type=int, default=30)
        parser.add_argument("--skip-generate", action="store_true", help="reuse the bench data already loaded")

    def handle(self, *args, **o):
        done = False
        demo = Entity.objects.filter(code="P510000", level="province").first()
        if demo is not None:
            self.measure("demo data", demo, o["runs"])
            done = True
        if o["bench_data"]:
            from zonebook.bench.management.commands.stats_bench import Command as StatsBench

            if not o["skip_generate"]:
                t = time.perf_counter()
                n = StatsBench().generate(o["zones"], o["months"], o["indicators"])
                self.stdout.write(f"generated {n:,} official values in {time.perf_counter() - t:.1f} s")
                t = time.perf_counter()
                sql.recompute()
                self.stdout.write(f"recomputed the figures in {time.perf_counter() - t:.1f} s")
            bench = Entity.objects.filter(code="B-P510000").first()
            if bench is None:
                raise CommandError("no bench data: run without --skip-generate")
            self.measure("bench data", bench, o["runs"])
            done = True
        if not done:
            raise CommandError("no demo province (P510000): load the demo, or pass --bench-data")

    def latest(self, entity) -> Period:
        ym = (Figure.objects.filter(entity=entity, indicator__code=MAIN, basis="cum").order_by("-ym")
              .values_list("ym", flat=True).first())
        if ym is None:
            raise CommandError(f"{entity.code} has no figures")
        return Period(Frequency.MONTH, ym // 12, ym % 12 + 1)

    def check_equal(self, entity, period, timer) -> int:
        """The gathered figures of every zone against ``stats.services.figures``, one entity at a time."""
        data = timer.run("gather (set-based)", lambda: gather(entity, period))
        trade = Indicator.objects.get(code=MAIN)

        def anchor():
            return {m.pk: stats_services.figures(m, trade, period.date) for m in data.members}

        ref = timer.run("anchor: stats.services.figures per zone", anchor)
        bad = []
        for m in data.members:
            f, r = data.fig(m, MAIN), ref[m.pk]
            rank = r.ranks.get("province")
            same = (f.value == r.value and f.prior == r.prior and f.yoy.value == r.yoy.value
                    and (f.share is None and r.share.value is None or f.share == r.share.value)
                    and ((f.rank_province, f.n_province) == tuple(rank) if rank else f.rank_province is None))
            if not same:
                bad.append(f"{m.code}: {f} != {r.value} {r.prior} {r.yoy} {r.share} {rank}")
        if bad:
            for b in bad[:10]:
                self.stderr.write(b)
            raise CommandError(f"{len(bad)} zones differ from stats.services.figures: no times printed")
        return len(data.members)

    def measure(self, label, entity, runs):
        period = self.latest(entity)
        timer = Timer()
        n = 0
        sizes = {}
        for _ in range(runs):
            n = self.check_equal(entity, period, timer)
            data = gather(entity, period)
            doc = timer.run("compose the content", lambda d=data: build_document(entity, period, data=d))
            prep = timer.run("prepare (charts)", lambda d=doc: R.prepare(d))
            docx = timer.run(".docx", lambda p=prep: R.render_prepared(p, "docx"))
            pdf = timer.run("PDF", lambda p=prep: R.render_prepared(p, "pdf"))
            sizes = {"docx": len(docx), "pdf": len(pdf), "pages": getattr(prep, "pdf_pages", None)}
            w, c = time.perf_counter(), time.process_time()
            services.prepare_document(entity, period, rule=services.DRAFT)
            timer.wall.setdefault("review check + gather + compose", []).append(time.perf_counter() - w)
            timer.cpu.setdefault("review check + gather + compose", []).append(time.process_time() - c)
        out = self.stdout.write
        out(f"\n{label}: {entity.name} ({entity.code}) {period.key}, {n} zones; results equal to "
            f"stats.services.figures for every zone; .docx {sizes['docx']:,} B, PDF {sizes['pdf']:,} B, "
            f"{sizes['pages']} pages")
        out(f"{'step':<44}{'wall best':>10}{'median':>9}{'cpu best':>10}")
        for name in timer.wall:
            out(f"{name:<44}{min(timer.wall[name]):>9.3f}s{statistics.median(timer.wall[name]):>8.3f}s"
                f"{min(timer.cpu[name]):>9.3f}s")
        keys = ("gather (set-based)", "compose the content", "prepare (charts)", ".docx", "PDF")
        total_wall = [sum(timer.wall[k][i] for k in keys) for i in range(runs)]
        total_cpu = [sum(timer.cpu[k][i] for k in keys) for i in range(runs)]
        out(f"{'bulletin, docx + pdf (gather to PDF)':<44}{min(total_wall):>9.3f}s"
            f"{statistics.median(total_wall):>8.3f}s{min(total_cpu):>9.3f}s   (goal ≤ 2 s)")
