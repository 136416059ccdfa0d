"""Background jobs: start a job, report progress, finish it.

A job is a ``Job`` row plus one django-tasks task (``jobs.tasks.run_job``) that calls a plain
function by dotted path::

    job = start_job("import.enterprise", _("Import enterprises"), user,
                    "zonebook.imports.jobs.run_import_job", params={"path": ..., "kind": ...})

The function is called as ``func(job, **params)``; it reports progress with
``progress(job, done, total)``, may attach a file with ``attach_result(job, name, data)`` and
returns a JSON-able dict stored in ``Job.result``.  Raising ``DomainError`` fails the job with its
message (and its row errors in ``Job.messages``); any other exception fails it with a generic
message (the traceback goes to the log, never to the user).

The task is enqueued in ``transaction.on_commit`` so the worker never sees a job row that is not
committed yet; running a job twice is harmless (only a ``queued`` job is claimed).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from zonebook.core import context
from zonebook.core.errors import DomainError

from .models import Job

logger = logging.getLogger(__name__)

# Progress is written at most this often (seconds), plus always at the end.
PROGRESS_INTERVAL = 0.5
# Job.messages keeps at most this many entries (errors beyond are counted, not stored).
MAX_MESSAGES = 1000

_last_write: dict[int, float] = {}


def start_job(
    kind: str,
    label: str,
    user,
    func_path: str,
    params: dict[str, Any] | None = None,
    total: int = 0,
    *,
    enqueue: bool = True,
) -> Job:
    """Create a queued Job and enqueue its task once the current transaction commits (``enqueue=False``:
    the caller runs it with ``execute`` itself, e.g. ``manage.py schedules --run-due``)."""
    import_string(func_path)  # fail early on a typo, not in the worker
    job = Job.objects.create(
        kind=kind,
        label=str(label)[:200],
        created_by=user if getattr(user, "is_authenticated", False) else None,
        func_path=func_path,
        params=params or {},
        total=total,
    )
    if enqueue:
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from .tasks import run_job

    result = run_job.enqueue(job_id)
    Job.objects.filter(pk=job_id, task_id="").update(task_id=str(result.id)[:64])


def progress(job: Job, done: int, total: int | None = None, *, force: bool = False) -> None:
    """Record progress cheaply: one UPDATE at most every PROGRESS_INTERVAL seconds.

    Inside a transaction (an import writes every row in one transaction, all or nothing) the
    UPDATE would stay invisible to the progress page until the end, so the bar would jump from the
    check's figure to 100 %: there the progress goes where the page sees it at once
    (``_write_live_progress``)."""
    job.done = done
    if total is not None:
        job.total = total
    now = time.monotonic()
    if (
        not force
        and now - _last_write.get(job.pk, 0.0) < PROGRESS_INTERVAL
        and (not job.total or done < job.total)
    ):
        return
    _last_write[job.pk] = now
    if connection.in_atomic_block and _write_live_progress(job.pk, job.done, job.total):
        return
    Job.objects.filter(pk=job.pk).update(done=job.done, total=job.total)


def _live_path(job_id: int) -> Path:
    return Path(settings.VAR_DIR) / "job-progress" / f"{int(job_id)}"


def _write_live_progress(job_id: int, done: int, total: int) -> bool:
    """Progress reported from inside a transaction.  PostgreSQL: an UPDATE on a connection of its
    own, committed at once (workers on other hosts report too); True when it reached the row (not
    when the row is not visible outside this transaction, or is locked by it).  SQLite, where a
    second writer would wait for the import's write lock: a small file beside the database that
    the progress page reads (``Job.with_live_progress``); False, so the row is updated as well."""
    if connection.vendor == "postgresql":
        side = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with side.cursor() as cursor:
                cursor.execute("SET lock_timeout = '200ms'")
                cursor.execute(
                    f"UPDATE {Job._meta.db_table} SET done = %s, total = %s WHERE id = %s",  # noqa: S608
                    [done, total, job_id],
                )
                return cursor.rowcount == 1
        except DatabaseError:
            return False
        finally:
            side.close()
    path = _live_path(job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A temporary name of this process and thread: two writers never rename each other's file.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(f"{int(done)} {int(total)}")
    os.replace(tmp, path)
    return False


def read_live_progress(job_id: int) -> tuple[int, int] | None:
    """(done, total) a running job reported from inside a transaction on SQLite, else None."""
    try:
        done, total = _live_path(job_id).read_text().split()
        return int(done), int(total)
    except (OSError, ValueError):
        return None


def add_message(job: Job, text: str, level: str = "info") -> None:
    if len(job.messages) < MAX_MESSAGES:
        job.messages.append({"level": level, "text": str(text)})
    Job.objects.filter(pk=job.pk).update(messages=job.messages)


def attach_result(job: Job, filename: str, data: bytes) -> None:
    """Store a result file for the job (kept under MEDIA_ROOT/jobs/)."""
    job.result_file.save(filename, ContentFile(data), save=False)
    Job.objects.filter(pk=job.pk).update(result_file=job.result_file.name)


def _claim(job_id: int) -> Job | None:
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, started_at=now
    )
    if not claimed:
        return None
    return Job.objects.select_related("created_by").get(pk=job_id)


def execute(job_id: int) -> str:
    """Run a queued job to the end (called by the task).  Returns the final state."""
    job = _claim(job_id)
    if job is None:
        return "skipped"
    user_id = job.created_by_id
    try:
        with context.acting_as("job", request_id=f"job-{job.pk}", user_id=user_id):
            func = import_string(job.func_path)
            result = func(job, **(job.params or {}))
    except DomainError as exc:
        messages = list(job.messages)
        messages.append({"level": "error", "text": str(exc.message)})
        for d in exc.details[:MAX_MESSAGES]:
            messages.append({"level": "error", "text": str(d)})
        _finish(
            job, Job.State.FAILED, messages=messages, result={"error": str(exc.message), "code": exc.code}
        )
        return Job.State.FAILED
    except Exception:
        logger.exception("job %s (%s) failed", job.pk, job.func_path)
        messages = list(job.messages)
        messages.append(
            {"level": "error", "text": _("The job failed because of an internal error; it was logged.")}
        )
        _finish(job, Job.State.FAILED, messages=messages)
        return Job.State.FAILED
    _finish(job, Job.State.SUCCEEDED, messages=job.messages, result=result or {})
    return Job.State.SUCCEEDED


def _finish(job: Job, state: str, *, messages: list, result: dict | None = None) -> None:
    fields = {"state": state, "finished_at": timezone.now(), "messages": messages[: MAX_MESSAGES + 1]}
    if result is not None:
        fields["result"] = result
    if state == Job.State.SUCCEEDED and job.total:
        fields["done"] = job.total
    else:
        fields["done"] = job.done
    Job.objects.filter(pk=job.pk).update(**fields)
    _last_write.pop(job.pk, None)
    _live_path(job.pk).unlink(missing_ok=True)
