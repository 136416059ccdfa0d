"""``manage.py documents_bench`` — time to build a monthly 简报 as .docx and PDF (issue 16: a 10-page
document with 4 charts, target ≤ 2 s; DESIGN.md §4: the 简报 for 200 enterprises, ≤ 2 s each).

The default document has 10 PDF pages (4 charts, a table of 100 enterprises); ``--enterprises 200``
gives the DESIGN.md one.  Prints the best and the median of ``--runs`` runs, wall-clock and CPU time
of this process (on a shared machine the CPU time is the steadier figure): preparation (template,
numbering, tables measured, the four charts drawn), .docx, PDF and the total."""

from __future__ import annotations

import statistics
import time

from django.core.management.base import BaseCommand

from zonebook.documents import render as R
from zonebook.documents.bench import bench_document


class Command(BaseCommand):
    help = "Time building a 10-page .docx and PDF with 4 charts."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--enterprises", type=int, default=100)
        parser.add_argument("--out", default="", help="write the last run's files to this path prefix")

    def handle(self, *args, runs, enterprises, out, **opts):
        doc = bench_document(enterprises)
        R.render_all(doc)  # warm up: imports, font loading
        wall, cpu = [], []
        for _ in range(runs):
            w0, c0 = time.perf_counter(), time.process_time()
            prep = R.prepare(doc)
            w1, c1 = time.perf_counter(), time.process_time()
            docx = R.render_prepared(prep, "docx")
            w2, c2 = time.perf_counter(), time.process_time()
            pdf = R.render_prepared(prep, "pdf")
            w3, c3 = time.perf_counter(), time.process_time()
            wall.append((w1 - w0, w2 - w1, w3 - w2, w3 - w0))
            cpu.append((c1 - c0, c2 - c1, c3 - c2, c3 - c0))
        charts = sum(isinstance(i, R.ChartItem) for i in prep.items)
        self.stdout.write(f"document: {prep.pdf_pages} PDF pages, {charts} charts, {enterprises} table rows; "
                          f".docx {len(docx) // 1024} KiB, PDF {len(pdf) // 1024} KiB; {runs} runs")
        self.stdout.write(f"{'':14}{'prepare+charts':>15}{'docx':>8}{'pdf':>8}{'total':>8}")
        for label, series in (("wall", wall), ("cpu", cpu)):
            best = min(series, key=lambda r: r[3])
            med = [statistics.median(c) for c in zip(*series, strict=True)]
            for name, r in (("best", best), ("median", med)):
                self.stdout.write(f"{label + ' ' + name:14}{r[0]:>14.3f}s{r[1]:>7.3f}s{r[2]:>7.3f}s{r[3]:>7.3f}s")
        bw = min(wall, key=lambda r: r[3])
        self.stdout.write(f"best wall: .docx alone (prepare + docx) {bw[0] + bw[1]:.3f} s, PDF alone (prepare + pdf) "
                          f"{bw[0] + bw[2]:.3f} s, both {bw[3]:.3f} s; target ≤ 2 s")
        if out:
            for fmt, data in (("docx", docx), ("pdf", pdf)):
                with open(f"{out}.{fmt}", "wb") as fh:
                    fh.write(data)
