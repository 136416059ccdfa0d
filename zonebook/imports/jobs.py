"""Import work run as a background job (large files): check, or check and write."""

from __future__ import annotations

from pathlib import Path

from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.core.imports.templates import build_error_report
from zonebook.jobs import services as job_services


def _count_lines(path: Path) -> int:
    """A cheap row-count estimate for the progress bar."""
    if path.suffix.lower() in (".csv", ".txt"):
        n = 0
        with open(path, "rb") as fh:
            while chunk := fh.read(1024 * 1024):
                n += chunk.count(b"\n")
        return max(n - 1, 1)
    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        rows = wb.worksheets[0].max_row or 0
        wb.close()
        return max(rows - 1, 1)
    except Exception:  # noqa: BLE001 - the real read reports damaged files
        return 0


def run_import_job(job, *, kind: str, path: str, filename: str, write: bool, mode: str = "create") -> dict:
    kind_cls = get_kind(kind)
    if kind_cls is None:
        raise ValueError(kind)
    rows = _count_lines(Path(path))
    # a write job checks the whole file, then writes it: the bar covers both passes
    total = rows * 2 if write else rows
    job_services.progress(job, 0, total, force=True)

    def progress(done: int) -> None:
        job_services.progress(job, min(done, total) if total else done, total or None)

    user = job.created_by
    if write:
        try:
            result = pipeline.run(
                kind_cls, path, filename, user, check_first=True, progress=progress, mode=mode
            )
        finally:
            for p in (Path(path), Path(path).with_suffix(".json")):
                p.unlink(missing_ok=True)
    else:
        result = pipeline.check(kind_cls, path, filename, user, progress=progress, mode=mode)
    done = total or result.rows * (2 if write else 1)
    job_services.progress(job, done, done, force=True)
    if result.errors:
        job_services.attach_result(job, f"{kind}-errors.xlsx", build_error_report(result.errors))
    if write and not result.ok:
        pipeline.raise_if_errors(result)
    out = result.as_dict()
    if write:
        out["created"] = result.written
    return out
