"""Background job functions (run by ``jobs.tasks.run_job`` through django-tasks)."""

from __future__ import annotations


def run_send_alerts(job, **params) -> dict:
    from zonebook.jobs.services import progress

    from .services import send_due_alerts

    progress(job, 0, 1, force=True)
    result = send_due_alerts()
    progress(job, 1, 1, force=True)
    return result
