"""Background job functions of notify (run by ``jobs.tasks.run_job`` through django-tasks)."""

from __future__ import annotations


def run_send_pending_email(job, **params) -> dict:
    """Retry the e-mail of notifications whose delivery failed (the scheduled ``notify.email`` slot)."""
    from zonebook.jobs.services import progress

    from .services import send_pending_email

    progress(job, 0, 1, force=True)
    sent = send_pending_email()
    progress(job, 1, 1, force=True)
    return {"sent": sent}
