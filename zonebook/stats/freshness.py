"""Keeping the derived figures current: which writes recompute what, and whether the figures shown
are up to date.

* A single accepted return recomputes the year it touched in the same transaction
  (``services.review`` → ``sql.recompute(years=[year])``): small, and the reviewer sees the new figures.
* An import (customs statistics, returns in bulk, totals and peers) asks for a background job
  (``request_recompute``): the job row is created in the import's transaction (so it exists exactly
  when the import committed), its years grow with each batch, and it is enqueued on commit.  The job
  (``jobs.recompute_job``) runs ``sql.recompute(years=...)`` with a progress bar.
* ``status(user)``: while a recomputation job is queued or running, or the last one failed, pages that
  show figures say so ("figures being updated", with the job's link for whoever may open it) instead of
  showing stale figures silently.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

KIND = "stats.recompute"
FUNC = "zonebook.stats.jobs.recompute_job"


def request_recompute(years, *, by, source: str = "", job=None):
    """Ask for a background recomputation of ``years`` (inside the caller's transaction).  With ``job``
    (one asked for earlier in the same run, not started yet) its years are extended instead."""
    from zonebook.jobs.models import Job
    from zonebook.jobs.services import start_job

    years = sorted({int(y) for y in years})
    if not years:
        return job
    if job is not None:
        merged = sorted(set(job.params.get("years", [])) | set(years))
        if merged != job.params.get("years"):
            job.params = {**job.params, "years": merged}
            job.label = label_for(merged)
            Job.objects.filter(pk=job.pk).update(params=job.params, label=job.label[:200])
        return job
    params = {"years": years}
    if source:
        params["after_import"] = source
    return start_job(KIND, label_for(years), by, FUNC, params=params, total=1)


def label_for(years) -> str:
    return _("Recompute statistical figures for %(years)s") % {"years": ", ".join(str(y) for y in years)}


def status(user) -> dict | None:
    """``None`` when the figures are current; else ``{"state": "running"|"queued"|"failed", "job": job or
    None (when the user may not open it), "years": [...]}`` (three queries at most)."""
    from zonebook.jobs.models import Job

    pending = Job.objects.filter(kind=KIND, state__in=(Job.State.QUEUED, Job.State.RUNNING)).order_by("created_at")
    job = pending.first()
    if job is None:
        last = Job.objects.filter(kind=KIND).order_by("-created_at").first()
        if last is None or last.state != Job.State.FAILED:
            return None
        job = last
    visible = user is not None and Job.objects.for_user(user).filter(pk=job.pk).exists()
    return {"state": job.state, "job": job if visible else None, "years": job.params.get("years") or []}
