"""Background job functions of the SLA engine (run by ``jobs.tasks.run_job`` through django-tasks)."""

from __future__ import annotations


def run_escalations_job(job, **params) -> dict:
    """The scheduled ``sla.escalations`` slot: fire every escalation step due now."""
    from zonebook.jobs.services import progress

    from .services import run_escalations

    progress(job, 0, 1, force=True)
    result = run_escalations()
    progress(job, 1, 1, force=True)
    return result
