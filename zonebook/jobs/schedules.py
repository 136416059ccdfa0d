"""Scheduled jobs: periodic work declared by each module, run as ordinary Jobs by the worker.

A module declares its schedules in its ``AppConfig.ready()``::

    from zonebook.jobs import schedules
    schedules.register("alerts.send", "zonebook.alerts.jobs.run_send_alerts",
                       cron="30 6 * * *", label=_("Refresh alerts and send notifications"))

(or ``every_minutes=15``).  Times are Asia/Shanghai (``SCHEDULE_TIME_ZONE``).  The function is a
job function like any other: ``func(job, **params)`` reporting ``progress`` and returning a dict.

``run_due()`` — called every few seconds by ``manage.py run_scheduler`` (started beside
``db_worker``), or once by ``manage.py schedules --run-due`` — starts every schedule whose latest
slot has not been claimed yet:

* **one run per slot**: a slot is claimed by inserting a ``ScheduleRun`` (unique on schedule and
  slot) in the transaction that creates its Job; a second scheduler's INSERT fails and it moves on;
* **missed slots collapse**: only the latest slot at or before now is considered, so a worker that
  was down for three days runs a daily schedule once when it returns, not three times;
* **a failed run waits for the next slot**: its slot stays claimed (the failed Job is on the jobs
  page and the schedules page shows it in red); nothing is retried every tick;
* **no overlap**: while a schedule's previous run is still queued or running (less than
  ``STALE_AFTER`` ago) its next slot waits;
* a schedule that never ran runs its latest slot at the first tick.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Max, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.core.errors import DomainError

from .cron import Cron, Every, parse_cron
from .models import Job, ScheduleRun

logger = logging.getLogger(__name__)

# A run still queued/running after this long is taken for dead (its worker was killed): the
# schedule's next slot runs anyway.
STALE_AFTER = dt.timedelta(hours=6)
UNFINISHED = (Job.State.QUEUED, Job.State.RUNNING)


def schedule_tz() -> ZoneInfo:
    return ZoneInfo(getattr(settings, "SCHEDULE_TIME_ZONE", "Asia/Shanghai"))


@dataclass(frozen=True)
class Schedule:
    name: str
    func_path: str
    spec: Cron | Every
    label: Any  # a lazy translation
    params: dict = field(default_factory=dict)
    kind: str = ""

    @property
    def expression(self) -> str:
        """The schedule in words: the cron expression, or "every 15 minutes" (translated)."""
        if isinstance(self.spec, Every):
            return _("every %(n)s minutes") % {"n": self.spec.minutes}
        return self.spec.expr

    def previous(self, now: dt.datetime) -> dt.datetime | None:
        """The latest slot at or before ``now`` (aware), as an aware datetime."""
        tz = schedule_tz()
        slot = self.spec.previous(now.astimezone(tz).replace(tzinfo=None))
        return slot.replace(tzinfo=tz) if slot else None

    def next_after(self, now: dt.datetime) -> dt.datetime | None:
        tz = schedule_tz()
        slot = self.spec.next_after(now.astimezone(tz).replace(tzinfo=None))
        return slot.replace(tzinfo=tz) if slot else None


_REGISTRY: dict[str, Schedule] = {}


def register(
    name: str,
    func_path: str,
    *,
    label,
    every_minutes: int | None = None,
    cron: str | None = None,
    params: dict | None = None,
    kind: str | None = None,
) -> Schedule:
    """Declare a periodic job (call from ``AppConfig.ready()``); a malformed schedule fails at start-up."""
    if (every_minutes is None) == (cron is None):
        raise ValueError(f"schedule {name}: give exactly one of every_minutes= or cron=")
    if not name or len(name) > 100:
        raise ValueError("a schedule name has 1 to 100 characters")
    spec = Every(every_minutes) if every_minutes is not None else parse_cron(cron)
    schedule = Schedule(name, func_path, spec, label, dict(params or {}), kind or name)
    old = _REGISTRY.get(name)
    if old is not None and old != schedule:
        raise ValueError(f"schedule {name} is already registered differently")
    _REGISTRY[name] = schedule
    return schedule


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def get(name: str) -> Schedule | None:
    return _REGISTRY.get(name)


def all_schedules() -> list[Schedule]:
    return sorted(_REGISTRY.values(), key=lambda s: s.name)


def _last_slots() -> dict[str, dt.datetime]:
    """The latest claimed (not hand-started) slot of every schedule, in one query."""
    rows = ScheduleRun.objects.filter(manual=False).values("schedule").annotate(last=Max("slot"))
    return {r["schedule"]: r["last"] for r in rows}


def _busy(now: dt.datetime) -> set[str]:
    """Schedules whose latest run is still queued or running (and not stale)."""
    return set(
        ScheduleRun.objects.filter(job__state__in=UNFINISHED, claimed_at__gt=now - STALE_AFTER).values_list(
            "schedule", flat=True
        )
    )


def due(now: dt.datetime | None = None) -> list[tuple[Schedule, dt.datetime]]:
    """(schedule, slot) for every schedule whose latest slot at or before ``now`` is unclaimed."""
    now = now or timezone.now()
    last, busy = _last_slots(), _busy(now)
    out = []
    for schedule in all_schedules():
        slot = schedule.previous(now)
        if slot is None or schedule.name in busy:
            continue
        if schedule.name not in last or slot > last[schedule.name]:
            out.append((schedule, slot))
    return out


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _job_label(schedule: Schedule, slot: dt.datetime, manual: bool) -> str:
    local = slot.astimezone(schedule_tz())
    if manual:
        return _("%(label)s (started by hand %(time)s)") % {
            "label": schedule.label,
            "time": f"{local:%Y-%m-%d %H:%M}",
        }
    return _("%(label)s (scheduled %(time)s)") % {"label": schedule.label, "time": f"{local:%Y-%m-%d %H:%M}"}


def claim(
    schedule: Schedule, slot: dt.datetime, *, manual: bool = False, by=None, enqueue: bool = True
) -> ScheduleRun | None:
    """Claim ``slot`` and create its Job in one transaction; None when another scheduler has it."""
    from .services import start_job

    try:
        with transaction.atomic():
            run = ScheduleRun.objects.create(
                schedule=schedule.name, slot=slot, manual=manual, claimed_by=worker_id()
            )
            run.job = start_job(
                schedule.kind,
                _job_label(schedule, slot, manual),
                by,
                schedule.func_path,
                params=schedule.params,
                enqueue=enqueue,
            )
            run.save(update_fields=["job"])
            if manual:
                from zonebook.audit import services as audit

                audit.record(
                    run,
                    code="jobs.schedule.run_now",
                    by=by,
                    changes={"schedule": schedule.name, "job": run.job.pk},
                    message=str(schedule.label),
                )
    except IntegrityError:
        logger.info("schedule %s slot %s was claimed by another scheduler", schedule.name, slot)
        return None
    return run


def run_due(
    now: dt.datetime | None = None, *, enqueue: bool = True, execute: bool = False
) -> list[ScheduleRun]:
    """Claim every due slot and start its Job: enqueued for the worker, or (``execute=True``) run
    here and now, one after the other.  Returns the runs this call claimed."""
    from .services import execute as execute_job

    runs = []
    for schedule, slot in due(now):
        try:
            run = claim(schedule, slot, enqueue=enqueue and not execute)
        except DatabaseError:
            raise  # the database is away: the whole tick is retried
        except Exception:
            # a declaration that cannot start (its function does not import): logged, the other
            # schedules still run; nothing is claimed, so it starts once the code is fixed
            logger.exception("schedule %s cannot start its job", schedule.name)
            continue
        if run is None:
            continue
        logger.info("schedule %s: slot %s claimed, job %s", schedule.name, slot, run.job_id)
        runs.append(run)
        if execute:
            execute_job(run.job_id)
    return runs


def can_manage(user) -> bool:
    """Installation-wide administrators see the schedules and may start one by hand."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and (getattr(user, "is_superuser", False) or getattr(user, "scope_level", None) == "all")
    )


def run_now(name: str, by) -> ScheduleRun:
    """Start a schedule by hand (the schedules page's "run now"); audited.  Refused while its
    previous run is still queued or running."""
    schedule = get(name)
    if schedule is None:
        raise DomainError(_("There is no schedule %(name)s.") % {"name": name}, code="not_found")
    if not can_manage(by):
        raise DomainError(_("Only installation administrators may start a schedule."), code="forbidden")
    now = timezone.now()
    if name in _busy(now):
        raise DomainError(_("The previous run of this schedule has not finished yet."), code="busy")
    run = claim(schedule, now, manual=True, by=by)
    if run is None:  # the same microsecond twice
        raise DomainError(_("The previous run of this schedule has not finished yet."), code="busy")
    return run


@dataclass
class Status:
    schedule: Schedule
    runs: list  # the latest runs, newest first
    next_run: dt.datetime | None
    due_now: bool

    @property
    def last_run(self) -> ScheduleRun | None:
        return self.runs[0] if self.runs else None

    @property
    def last_state(self) -> str:
        run = self.last_run
        return run.job.state if run and run.job else ""

    @property
    def failed(self) -> bool:
        return self.last_state == Job.State.FAILED

    @property
    def failures_in_a_row(self) -> int:
        n = 0
        for run in self.runs:
            if not run.job or run.job.state != Job.State.FAILED:
                break
            n += 1
        return n

    @property
    def busy(self) -> bool:
        return self.last_state in UNFINISHED


def status(now: dt.datetime | None = None, *, history: int = 5) -> list[Status]:
    """Every schedule with its latest runs (one query), next slot and whether a slot is due now."""
    now = now or timezone.now()
    runs: dict[str, list] = {}
    latest = (
        ScheduleRun.objects.annotate(
            rn=Window(RowNumber(), partition_by=[F("schedule")], order_by=F("claimed_at").desc())
        )
        .filter(rn__lte=history)
        .select_related("job")
        .order_by("schedule", "-claimed_at")
    )
    for run in latest:
        runs.setdefault(run.schedule, []).append(run)
    due_names = {s.name for s, _slot in due(now)}
    return [Status(s, runs.get(s.name, []), s.next_after(now), s.name in due_names) for s in all_schedules()]
