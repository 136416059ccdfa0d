"""Scheduled jobs of the stats app: reminders for returns due soon or overdue (platform schedules)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def send_reminders(today: dt.date | None = None, *, days_before: int = 3) -> int:
    """Notify the zone offices that have not submitted a return due within ``days_before`` days or
    overdue (once per return and day: ``dedupe_key``).  Returns the number of notifications."""
    from zonebook.notify.services import notify, responsible_users

    from .models import Entity, ReportPeriod, Submission, SubmissionStatus

    today = today or timezone.localdate()
    sent = 0
    periods = ReportPeriod.objects.filter(due_date__lte=today + dt.timedelta(days=days_before),
                                          due_date__gte=today - dt.timedelta(days=31)).select_related("form")
    for rp in periods:
        done = Submission.objects.filter(report_period=rp).exclude(
            status__in=(SubmissionStatus.DRAFT, SubmissionStatus.RETURNED)).values("entity_id")
        for e in Entity.objects.filter(level=rp.form.level, zone__isnull=False).exclude(pk__in=done):
            users = responsible_users({"zone": e.zone_id})
            sent += notify(
                users, "stats.reminder",
                {"form": rp.form.name, "period": rp.period.strftime("%Y-%m"), "entity": e.name,
                 "due": rp.due_date.isoformat()},
                dedupe_key=f"stats.reminder:{rp.pk}:{e.pk}:{today.isoformat()}",
                url=f"/stats/report/{e.pk}/{rp.period:%Y-%m}/",
            )
    return sent


def reminders_job(job, **params) -> dict:
    from zonebook.jobs.services import progress

    progress(job, 0, 1, force=True)
    n = send_reminders()
    progress(job, 1, 1, force=True)
    return {"notifications": n}


def recompute_job(job, *, years=None, **params) -> dict:
    """Background recomputation of the derived figures of ``years`` (all years when empty) after an
    import (``freshness.request_recompute``)."""
    from zonebook.jobs.services import progress

    from . import sql

    progress(job, 0, 1, force=True)
    counts = sql.recompute(years=years or None)
    progress(job, 1, 1, force=True)
    return {"years": years or [], **counts}
