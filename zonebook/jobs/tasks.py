"""The one django-tasks task behind every Job (see ``jobs.services``)."""

from django_tasks import task


@task()
def run_job(job_id: int) -> str:
    from .services import execute

    return execute(job_id)
