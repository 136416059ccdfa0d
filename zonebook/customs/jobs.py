"""Background work: a file dropped by a customs client (API or watched folder) is processed by the worker."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings

from zonebook.core.imports import pipeline
from zonebook.jobs import services as job_services

from .models import MessageSource

JOB_FUNC = "zonebook.customs.jobs.process_drop"


def inbox_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "customs" / "inbox"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_drop(chunks, filename: str) -> Path:
    ext = ".zip" if filename.lower().endswith(".zip") else ".xml"
    path = inbox_dir() / f"{uuid.uuid4().hex}{ext}"
    with open(path, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return path


def start(path: Path, filename: str, user, source: str = MessageSource.API):
    from django.utils.translation import gettext as _

    return job_services.start_job(
        "customs.drop",
        _("Customs messages from %(name)s") % {"name": filename},
        user,
        JOB_FUNC,
        params={"path": str(path), "filename": filename, "source": source},
    )


def process(path: Path, filename: str, user, source: str) -> dict:
    """INV101 messages first (all or nothing, staged), then the receipts of the same drop (so a
    receipt for a list of the same drop finds it)."""
    from .importers import Inv101Import, ReceiptImport

    out = {}
    for key, cls in (("inv101", Inv101Import), ("receipts", ReceiptImport)):
        kind = type(cls.__name__, (cls,), {"mixed": True, "source": source})
        result = pipeline.run(kind, path, filename, user)
        out[key] = {
            "rows": result.rows,
            "written": result.written,
            "errors": [e.__dict__ for e in result.errors[:50]],
            "error_count": result.error_count,
            "notices": result.notices,
        }
    return out


def process_drop(job, *, path: str, filename: str, source: str = MessageSource.API) -> dict:
    try:
        result = process(Path(path), filename, job.created_by, source)
    finally:
        Path(path).unlink(missing_ok=True)
    if result["inv101"]["error_count"] or result["receipts"]["error_count"]:
        from zonebook.core.errors import DomainError, RowError

        errors = [RowError(**e) for part in ("inv101", "receipts") for e in result[part]["errors"]]
        from django.utils.translation import gettext as _

        raise DomainError(
            _("The customs messages have %(n)d error(s); the messages with errors were not imported.")
            % {"n": result["inv101"]["error_count"] + result["receipts"]["error_count"]},
            code="import_errors",
            details=errors,
        )
    return result
