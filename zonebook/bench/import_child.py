"""Child process of the import measurement: ``python -m zonebook.bench.import_child FILE BOOK``.

Runs the streaming import pipeline (kind ``ledger_lists``, action post) on FILE as the bench admin
inside a transaction that is rolled back, then prints one JSON line: rows, errors, seconds, the
process RSS before the import and the peak RSS (``VmHWM`` of /proc/self/status; ``ru_maxrss`` is not
used because Linux carries it over from the forking parent across exec).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(path: str, book: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zonebook.settings")
    import django

    django.setup()
    from django.db import transaction

    from zonebook.core.context import acting_as
    from zonebook.core.imports import pipeline
    from zonebook.core.imports.kinds import autodiscover, get_kind

    from .generate import bench_admin

    autodiscover()
    kind = get_kind("ledger_lists")
    user = bench_admin()
    baseline = _rss_mb()

    class Rollback(Exception):
        pass

    t0 = time.perf_counter()
    result = None
    try:
        with acting_as("command"), transaction.atomic():
            result = pipeline.run(kind, path, os.path.basename(path), user)
            raise Rollback
    except Rollback:
        pass
    seconds = time.perf_counter() - t0
    peak = _peak_mb()
    print(
        json.dumps(
            {
                "rows": result.rows,
                "written": result.written,
                "errors": result.error_count,
                "first_errors": [e.__dict__ for e in result.errors[:5]],
                "seconds": seconds,
                "baseline_mb": baseline,
                "peak_mb": peak,
            },
            default=str,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
