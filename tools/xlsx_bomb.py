"""Build the shared-strings xlsx bomb of issue 14 §6 and measure how the import refuses it.

Usage (from the project root, with the project's virtualenv):
    python tools/xlsx_bomb.py [--strings 4000000] [--padding-mb 0.5] [--distinct] [--old]

Prints the file's size, the time to refusal and the process's peak memory (ru_maxrss).  ``--old``
measures the previous behaviour instead: openpyxl loading the workbook and reading the first sheet.
Each measurement runs in a fresh process so the peak memory is the import's own.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(path: str, old: bool) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zonebook.settings")
    import django

    django.setup()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if old:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
        outcome = f"read {rows} rows"
    else:
        from zonebook.core.imports import pipeline
        from zonebook.core.imports.kinds import get_kind

        result = pipeline.check(get_kind("ledger_lists"), path, Path(path).name, None)
        outcome = "; ".join(e.reason for e in result.errors) or f"{result.rows} rows"
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"time {elapsed:.2f} s, peak RSS {peak / 1024:.0f} MB (after Django setup {base / 1024:.0f} MB)")
    print(f"outcome: {outcome}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--strings", type=int, default=4_000_000)
    ap.add_argument("--padding-mb", type=float, default=0.5)
    ap.add_argument("--distinct", action="store_true")
    ap.add_argument("--old", action="store_true")
    ap.add_argument(
        "--undeclared", action="store_true", help="no uniqueCount attribute (counted by streaming)"
    )
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        measure(args.measure, args.old)
        return
    sys.path.insert(0, str(ROOT))
    from zonebook.core.testing.xlsx_bombs import shared_strings_bomb

    with tempfile.TemporaryDirectory() as tmp:
        path = shared_strings_bomb(
            Path(tmp) / "bomb.xlsx",
            args.strings,
            padding_bytes=int(args.padding_mb * 1024 * 1024),
            distinct=args.distinct,
            declared=None if args.undeclared else -1,
        )
        import zipfile

        infos = zipfile.ZipFile(path).infolist()
        total = sum(i.file_size for i in infos) / max(1, sum(i.compress_size for i in infos))
        print(
            f"file {path.stat().st_size / 1024:.0f} KB, {args.strings:,} shared strings, archive ratio {total:.0f}"
        )
        cmd = [sys.executable, __file__, "--measure", str(path)] + (["--old"] if args.old else [])
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
