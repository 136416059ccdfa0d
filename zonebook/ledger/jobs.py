"""Background jobs of the ledger (platform ``zonebook.jobs``): the month close, the everyday check
and the full from-scratch verification, each with a progress bar (docs/ledger.md, "Month close")."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.core.errors import DomainError

CLOSE_KIND = "ledger.monthclose"
CHECK_KIND = "ledger.check_open"
VERIFY_KIND = "ledger.verify_full"
CLOSE_FUNC = "zonebook.ledger.jobs.close_job"
VERIFY_FUNC = "zonebook.ledger.jobs.verify_job"
# books per step of the full verification (one check — and with ``repair`` one recompute — per step)
VERIFY_CHUNK = 200


def start_close(user, until: dt.date, book_ids=None):
    """Queue a close of every month up to ``until``'s month (the page's button)."""
    from zonebook.jobs.services import start_job

    label = _("Month close up to %(m)s") % {"m": f"{until:%Y-%m}"}
    params = {"until": until.isoformat(), "book_ids": None if book_ids is None else sorted(book_ids)}
    return start_job(CLOSE_KIND, label, user, CLOSE_FUNC, params=params, total=1)


def start_verify(user, book_ids=None, repair: bool = False):
    from zonebook.jobs.services import start_job

    label = _("Full verification of the ledger balances")
    params = {"book_ids": None if book_ids is None else sorted(book_ids), "repair": bool(repair)}
    return start_job(VERIFY_KIND, label, user, VERIFY_FUNC, params=params, total=1)


def close_job(job, *, until=None, book_ids=None, **params) -> dict:
    """Close every month up to ``until`` (default: the previous month) not closed yet, oldest first;
    the bar counts months."""
    from zonebook.jobs.services import progress

    from .services import monthclose

    day = dt.date.fromisoformat(until) if until else monthclose.previous_month(timezone.localdate())
    day = day.replace(day=1)
    progress(job, 0, 1, force=True)
    result = monthclose.close_through(
        day, by=job.created_by, book_ids=book_ids, on_month=lambda n, total: progress(job, n, total, force=True)
    )
    return result.as_dict()


def close_previous_month_job(job, **params) -> dict:
    """The monthly schedule: close the previous month (and any month before it not closed yet)."""
    return close_job(job)


def _raise_differences(diffs: list[dict], what: str) -> None:
    from .services.monthclose import describe_differences

    details = describe_differences(diffs, _("stored balances"))
    raise DomainError(
        _("%(what)s: %(n)d balance row(s) differ from the posted lines. First: %(first)s")
        % {"what": what, "n": len(diffs), "first": details[0].reason if details else ""},
        code="balances_differ",
        details=details,
    )


def check_open_job(job, *, book_ids=None, **params) -> dict:
    """The daily check: stored balances vs the last verified snapshot + the open months' lines.
    Fails (red on the jobs and schedules pages) naming the items when any balance differs."""
    from zonebook.jobs.services import progress

    from .services import monthclose

    progress(job, 0, 1, force=True)
    diffs = monthclose.check_open(book_ids)
    progress(job, 1, 1, force=True)
    if diffs:
        _raise_differences(diffs, _("Everyday ledger check"))
    return {"differences": 0}


def verify_job(job, *, book_ids=None, repair=False, **params) -> dict:
    """The full from-scratch verification: ``check_balances`` over every posted line, book group by
    book group (the bar counts books); with ``repair`` each group's balances are recomputed
    (``services.recompute``) and checked again.  Fails naming the items when a difference remains."""
    from zonebook.jobs.services import add_message, progress

    from .models import Book
    from .services import check_balances, recompute

    qs = Book.objects.order_by("pk")
    if book_ids is not None:
        qs = qs.filter(pk__in=book_ids)
    ids = list(qs.values_list("pk", flat=True))
    progress(job, 0, len(ids) or 1, force=True)
    found, repaired, remaining = 0, 0, []
    for start in range(0, len(ids), VERIFY_CHUNK):
        chunk = ids[start : start + VERIFY_CHUNK]
        diffs = check_balances(chunk)
        found += len(diffs)
        if diffs and repair:
            repaired += recompute(chunk)
            diffs = check_balances(chunk)
        remaining += diffs
        progress(job, min(start + VERIFY_CHUNK, len(ids)), len(ids), force=True)
    if found and repair:
        add_message(job, _("%(n)d balance row(s) differed and were recomputed.") % {"n": found}, "warning")
    if remaining:
        _raise_differences(remaining, _("Full ledger verification"))
    return {"books": len(ids), "differences": found, "recomputed": repaired}
