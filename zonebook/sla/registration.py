"""What the SLA engine adds to the platform (core.modules): the calendar page in the user menu, the
escalation schedule and the "my deadlines" dashboard panel."""

from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, DashboardPanel, MenuEntry


def may_edit_calendar(user) -> bool:
    """The working-day calendar is kept by the system administrators and the provincial department."""
    return user.is_superuser or user.role in ("system_admin", "province_commerce")


MODULE = AppModule(
    app="zonebook.sla",
    menu=[
        MenuEntry(
            _("Working-day calendar"),
            "sla:calendar",
            place="user",
            order=60,
            visible="zonebook.sla.registration.may_edit_calendar",
        ),
    ],
    panels=[
        DashboardPanel(
            "sla.deadlines",
            _("Deadlines"),
            "sla/_dashboard_deadlines.html",
            context="zonebook.sla.dashboard.deadlines_panel",
            order=30,
            width=6,
        ),
    ],
    schedules=[
        # escalation steps fire every 15 minutes through the worker (docs/sla.md, docs/scheduled-jobs.md)
        dict(
            name="sla.escalations",
            func_path="zonebook.sla.jobs.run_escalations_job",
            every_minutes=15,
            label=_("Escalate overdue deadlines"),
        ),
    ],
)
