"""What the investment app adds to the platform (core.modules)."""

from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, DashboardPanel, MenuEntry, TodoCounter

GROUP = _("Investment")
OFFICES = (
    "system_admin",
    "province_commerce",
    "city_commerce",
    "zone_staff",
    "zone_leader",
    "customs_liaison",
)

MODULE = AppModule(
    app="zonebook.investment",
    url_prefix="investment",
    menu=[
        MenuEntry(_("Investment projects"), "investment:project_list", group=GROUP, order=310, roles=OFFICES),
        MenuEntry(_("Investment statistics"), "investment:statistics", group=GROUP, order=320, roles=OFFICES),
        MenuEntry(_("Investors"), "investment:investor_list", group=GROUP, order=330, roles=OFFICES),
        MenuEntry(
            _("Receptions, trips and events"), "investment:event_list", group=GROUP, order=340, roles=OFFICES
        ),
        MenuEntry(_("The five databases"), "investment:databases", group=GROUP, order=350, roles=OFFICES),
        MenuEntry(_("Policy documents"), "investment:document_list", group=GROUP, order=360, roles=OFFICES),
        MenuEntry(_("Policy tasks"), "investment:task_list", group=GROUP, order=370, roles=OFFICES),
        MenuEntry(
            _("Target responsibility scorecards"),
            "investment:scorecards",
            group=GROUP,
            order=380,
            roles=OFFICES,
        ),
    ],
    panels=[
        DashboardPanel(
            "investment.pipeline",
            _("Project pipeline by stage"),
            "investment/_panel_pipeline.html",
            context="zonebook.investment.dashboard.pipeline",
            roles=OFFICES,
            order=40,
        ),
        DashboardPanel(
            "investment.target",
            _("Signed vs target"),
            "investment/_panel_target.html",
            context="zonebook.investment.dashboard.target",
            roles=OFFICES,
            order=41,
        ),
        DashboardPanel(
            "investment.events",
            _("This year's receptions, trips and events"),
            "investment/_panel_events.html",
            context="zonebook.investment.dashboard.events",
            roles=OFFICES,
            order=42,
        ),
    ],
    todos=[
        TodoCounter(
            "investment.terminal",
            _("Terminal states to approve"),
            "investment:project_list",
            count="zonebook.investment.dashboard.terminal_requests",
            roles=OFFICES,
        ),
        TodoCounter(
            "investment.overdue_tasks",
            _("Policy tasks overdue"),
            "investment:task_list",
            count="zonebook.investment.dashboard.overdue_tasks",
            roles=OFFICES,
            tone="danger",
        ),
    ],
    notification_kinds=[
        dict(
            code="investment.terminal_requested",
            title=_("Project %(number)s: %(state)s requested"),
            body=_("%(reason)s"),
            label=_("Project terminal state requested"),
        ),
        dict(
            code="investment.duplicate",
            title=_("Possible duplicate project %(number)s"),
            body=_("%(warning)s"),
            label=_("Possible duplicate project"),
        ),
    ],
    import_kinds=[
        "zonebook.investment.importers.ProjectImport",
        "zonebook.investment.importers.InvestorImport",
        "zonebook.investment.importers.MilestoneImport",
    ],
    demo="zonebook.investment.demo.load",
    demo_order=60,
)
