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


# The type of a job in words, by kind or by the kind's first part (``alerts.send`` → "alerts");
# import jobs are named from their import kind (``Job.kind_label``).
KIND_LABELS = {
    "alerts.send": _("Refresh alerts and send notifications"),
    "export": _("Export"),
}


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
    def kind_label(self) -> str:
        """The job's type in words: "导入检查：企业" for ``import.enterprise.check``."""
        parts = self.kind.split(".")
        if parts[0] == "import" and len(parts) > 1:
            from zonebook.core.imports.kinds import get_kind

            kind = get_kind(parts[1])
            name = str(kind.label) if kind else parts[1]
            if parts[-1] == "check":
                return _("Import check: %(kind)s") % {"kind": name}
            return _("Import: %(kind)s") % {"kind": name}
        label = KIND_LABELS.get(self.kind) or KIND_LABELS.get(parts[0])
        if not label:
            from .schedules import all_schedules

            label = next((s.label for s in all_schedules() if s.kind == self.kind), None)
        return str(label) if label else self.kind

    def with_live_progress(self) -> "Job":
        """The job with the progress its worker reported from inside a transaction (an import
        writing every row in one transaction: ``services.progress``), when newer than the row's."""
        if self.state == self.State.RUNNING:
            from .services import read_live_progress

            live = read_live_progress(self.pk)
            if live is not None and live[0] >= self.done:
                self.done, self.total = live[0], live[1] or self.total
        return self

    @property
    def is_import_write(self) -> bool:
        parts = self.kind.split(".")
        return parts[0] == "import" and parts[-1] != "check"

    @property
    def progress_text(self) -> str:
        """What the bar stands for: "checking 1,200 of 5,000 rows", then "writing …" (an import
        that writes checks the file first; its total counts both passes)."""
        from zonebook.core.formatting import number

        if not self.total:
            return ""
        parts = self.kind.split(".")
        if self.is_import_write:
            rows = self.total // 2 or self.total
            if self.finished:
                return _("%(total)s rows checked and written") % {"total": number(rows)}
            if self.done <= rows:
                return _("checking %(done)s of %(total)s rows") % {"done": number(self.done), "total": number(rows)}
            return _("writing %(done)s of %(total)s rows") % {
                "done": number(min(self.done - rows, rows)),
                "total": number(rows),
            }
        if parts[0] == "import":
            if self.finished:
                return _("%(total)s rows checked") % {"total": number(self.total)}
            return _("checking %(done)s of %(total)s rows") % {"done": number(self.done), "total": number(self.total)}
        return _("%(done)s of %(total)s") % {"done": number(self.done), "total": number(self.total)}

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


class ScheduleRun(models.Model):
    """One claimed slot of a declared schedule (``jobs.schedules``) and the Job that runs it.

    The unique (schedule, slot) constraint is what keeps two schedulers from running the same slot:
    the row is inserted in the transaction that creates the Job, and the loser's INSERT fails."""

    schedule = models.CharField(_("schedule"), max_length=100)
    slot = models.DateTimeField(_("slot"))
    manual = models.BooleanField(_("started by hand"), default=False)
    job = models.OneToOneField(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="schedule_run"
    )
    claimed_at = models.DateTimeField(_("claimed at"), auto_now_add=True)
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "slot"], name="jobs_schedulerun_one_per_slot"),
        ]
        indexes = [models.Index(fields=["schedule", "-claimed_at"], name="jobs_schedrun_sched_idx")]

    def __str__(self):
        return f"{self.schedule} @ {self.slot:%Y-%m-%d %H:%M}"
