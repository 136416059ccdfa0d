"""What statistics and targets add to the platform (core.modules): menus, home panels, to-dos,
notification kinds, the reminder schedule, the customs statistics import and the demo."""

from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, DashboardPanel, MenuEntry, TodoCounter

STATS = _("Statistics")
OFFICES = ("system_admin", "province_commerce", "city_commerce", "zone_staff", "zone_leader", "customs_liaison")
REVIEWERS = ("system_admin", "province_commerce", "city_commerce")
HEADLINE_ROLES = ("province_commerce", "city_commerce", "zone_staff", "zone_leader")

MODULE = AppModule(
    app="zonebook.stats",
    url_prefix="stats",
    menu=[
        MenuEntry(_("Statistics overview"), "stats:dashboard", group=STATS, order=460, roles=OFFICES),
        MenuEntry(_("Ranking"), "stats:ranking", group=STATS, order=461, roles=OFFICES),
        MenuEntry(_("Statistical values"), "stats:observation_list", group=STATS, order=462, roles=OFFICES),
        MenuEntry(_("Statistical returns"), "stats:submission_list", group=STATS, order=463, roles=OFFICES),
        MenuEntry(_("Not reported"), "stats:not_reported", group=STATS, order=464, roles=REVIEWERS),
    ],
    panels=[
        DashboardPanel("stats.headline", _("Headline figures"), "stats/_panel_headline.html",
                       context="zonebook.stats.dashboard.headline_panel", roles=HEADLINE_ROLES, order=15, width=6),
    ],
    todos=[
        TodoCounter("stats.returns", _("Statistical returns to handle"), "stats:submission_list",
                    count="zonebook.stats.dashboard.returns_waiting", roles=OFFICES, order=40, tone="warning"),
    ],
    notification_kinds=[
        dict(code="stats.reminder", title=_("Statistical return due: %(form)s %(period)s"),
             body=_("The return for %(entity)s is due on %(due)s."), label=_("Statistical return reminders")),
        dict(code="stats.returned", title=_("Statistical return sent back: %(entity)s %(period)s"),
             body=_("Reason: %(reason)s"), label=_("Statistical returns sent back")),
    ],
    schedules=[
        dict(name="stats.reminders", func_path="zonebook.stats.jobs.reminders_job", cron="0 9 * * *",
             label=_("Reminders for statistical returns due")),
        # a safety net: every night a full recomputation (imports and accepted returns recompute the
        # years they touch at once, stats/freshness.py)
        dict(name="stats.recompute", func_path="zonebook.stats.jobs.recompute_job", cron="30 2 * * *",
             label=_("Recompute statistical figures")),
    ],
    import_kinds=["zonebook.stats.importers.CustomsStatisticsImport", "zonebook.stats.importers.SubmissionImport",
                  "zonebook.stats.importers.ValuesImport"],
    demo="zonebook.stats.demo.load",
    demo_order=60,
    # the key-enterprise tiers of ``service`` read enterprises' trade from here (service/monitoring.py)
    extra={"service.trade_provider": "zonebook.stats.providers.trade_for_tiers"},
)
