from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "zonebook.sla"
    label = "sla"
    verbose_name = _("Deadlines and working-day calendar")

    def ready(self):
        from zonebook.jobs import schedules

        # Escalation steps fire every 15 minutes through the worker (docs/sla.md, docs/scheduled-jobs.md).
        schedules.register(
            "sla.escalations",
            "zonebook.sla.jobs.run_escalations_job",
            every_minutes=15,
            label=_("Escalate overdue deadlines"),
        )
