"""Staged imports: many short write transactions, one short publish, all or nothing.

Why: written in ONE transaction, a large import holds the database write lock from its first row
to its last.  On SQLite (one writer at a time) every other write — a page save, an API call, the
session save of a request — then waits for the busy timeout and fails.  A staged import instead:

1. writes each batch in its own short transaction, in a state no reader sees (the kind decides
   how: the inventory-list import creates its lists as ``ListState.IMPORTING``, hidden from
   every page and the API), and pauses after each commit on SQLite (at least as long as the
   batch held the lock) so the writers that queued behind it get the lock (SQLite's busy handler
   polls; without the pause the import would take the lock again before a sleeping writer wakes);
2. when every row was written without an error, **publishes** everything in one short
   transaction (``kind.publish``: the hidden rows become visible, and posting, audit entries and
   derived rows are written there);
3. on any error — a bad row, a conflict, a failed publish, an exception, a cancelled job —
   **discards** what it staged (``kind.discard``: the compensating rollback deletes the hidden
   rows, again in short transactions), so the file is imported completely or not at all.

A kind opts in with ``staged = True`` and implements ``begin_staging``, ``publish`` and
``discard`` (see ``ImportKind``).  Inside an outer transaction (a test, the benchmark's rolled
back run) the same code runs in savepoints and the pauses are skipped.  By default SQLite imports
are staged, and PostgreSQL imports of large files (``enabled``); ``IMPORT_STAGED = True`` stages
every import, ``False`` none (one transaction, as before).

Limit: the publish transaction still holds the lock while it posts; docs/production.md gives the
measured size above which the embedded SQLite database should be replaced by PostgreSQL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import DataError, IntegrityError, connection

from zonebook.core.errors import DomainError, RowError

logger = logging.getLogger(__name__)


def enabled(kind, path=None) -> bool:
    """Staged when the kind supports it and ``IMPORT_STAGED`` says so.  By default (None): on SQLite,
    whose one write lock is what staging is for; on PostgreSQL only for a file of
    ``IMPORT_STAGE_FROM_BYTES`` or more — there the file's one transaction is all or nothing by
    itself, locks only the rows it writes and saves the publish pass, but the database queues one
    event per written row and foreign key until the commit (a 1 GB file: gigabytes), while a staged
    import commits, and so checks, batch by batch."""
    if not getattr(kind, "staged", False):
        return False
    flag = getattr(settings, "IMPORT_STAGED", None)
    if flag is not None:
        return bool(flag)
    if connection.vendor == "sqlite":
        return True
    limit = int(getattr(settings, "IMPORT_STAGE_FROM_BYTES", 64 * 1024 * 1024))
    try:
        return path is not None and Path(path).stat().st_size >= limit
    except OSError:
        return True


def stage_pause() -> float:
    """Seconds to pause after each committed batch (SQLite only: there is one write lock)."""
    if connection.vendor != "sqlite":
        return 0.0
    return float(getattr(settings, "IMPORT_STAGE_PAUSE", 0.1))


def pause(held: float = 0.0) -> None:
    """Let the writers queued behind the import take the lock (after a real commit only): wait at
    least ``IMPORT_STAGE_PAUSE`` and at least as long as the batch just committed held the lock,
    so queued writers get half of the time or more (SQLite's busy handler polls every 100 ms; it is
    not a queue, so a writer that just missed the lock needs the next window to be long enough)."""
    if connection.in_atomic_block:
        return  # inside an outer transaction nothing was committed, no lock was released
    seconds = stage_pause()
    if seconds > 0:
        time.sleep(max(seconds, held))


def run_staged(
    kind,
    result,
    process: Callable[[Callable], None],
    *,
    user,
    refused: Callable[[], RowError],
):
    """Run ``process(on_batch)`` (the pipeline's reading loop) with staged writes, then publish or
    discard.  ``refused()`` is the error to report when the database refuses the rows."""
    written = 0

    def write(batch, already_written: bool, plans=None) -> None:  # plans: update mode, never staged
        nonlocal written
        if already_written:
            weight = getattr(kind, "row_weight", None)
            written += len(batch) if weight is None else sum(weight(r) for r in batch)
        else:
            written += kind.write(list(batch), user)

    kind.begin_staging()
    published = False
    try:
        try:
            process(write)
            if result.ok:
                for err in kind.publish(user):
                    result.add_error(err)
                published = result.ok
        except (IntegrityError, DataError):
            logger.warning("import %s: database refused the rows", kind.key, exc_info=True)
            result.add_error(refused())
        except DomainError as exc:
            details = [d for d in exc.details if isinstance(d, RowError)]
            for d in details or [RowError(row=None, column="", value="", reason=str(exc.message))]:
                result.add_error(d)
    finally:
        if not published:
            # the compensating rollback: also when an unexpected exception (or a stop) goes up
            kind.discard()
    result.written = written if published else 0
    return result
