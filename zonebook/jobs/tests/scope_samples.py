"""Out-of-scope samples (Chongqing zone c1) for the URL-walking scope test: jobs models."""

from zonebook.core.testing.scope_samples import register


@register("jobs.job")
def _job(world):
    from zonebook.jobs.models import Job

    return Job.objects.create(kind="test", label="sample", created_by=world.users.other_enterprise)
