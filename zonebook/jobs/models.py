from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ALL, ScopedQuerySet


class JobQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Jobs are private to the user who started them; installation-wide admins see all."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        if getattr(user, "is_superuser", False) or getattr(user, "scope_level", None) == ALL:
            return self
        return self.filter(created_by=user)


class Job(models.Model):
    """One long-running piece of work (import, export, recompute, report) and its progress."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=60, db_index=True)
    label = models.CharField(_("description"), max_length=200)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.QUEUED, db_index=True
    )
    done = models.PositiveBigIntegerField(_("done"), default=0)
    total = models.PositiveBigIntegerField(_("total"), default=0)
    messages = models.JSONField(_("messages"), default=list, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    result_file = models.FileField(_("result file"), upload_to="jobs/%Y/%m/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    func_path = models.CharField(_("function"), max_length=200, blank=True)

    # Jobs are private to the user who started them; admins see all (JobQuerySet.for_user).
    SCOPE_PATHS = {
        "province": "created_by__province_code",
        "city": "created_by__city_code",
        "zone": "created_by__zone_id",
        "enterprise": "created_by__enterprise_id",
    }
    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.label} ({self.get_state_display()})"

    @property
    def percent(self) -> int:
        if self.state == self.State.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def finished(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)
