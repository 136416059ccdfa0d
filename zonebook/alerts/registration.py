"""What the alerts add to the platform (core.modules): menu, dashboard panel, to-dos, notification
kinds, the daily refresh schedule and the demo."""

from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, DashboardPanel, MenuEntry, TodoCounter

from .notifications import KINDS

ALERTS = _("Alerts")
# Every day at 06:30 Asia/Shanghai, before office hours.
SEND_ALERTS_CRON = "30 6 * * *"
OFFICES = ("system_admin", "province_commerce", "city_commerce", "customs_liaison", "zone_staff", "zone_leader")

MODULE = AppModule(
    app="zonebook.alerts",
    url_prefix="alerts",
    menu=[
        MenuEntry(_("Deadline alerts"), "alerts:alert_list", group=ALERTS, order=40),
        MenuEntry(_("Consumption plausibility"), "alerts:flag_list", group=ALERTS, order=41),
        MenuEntry(_("Notifications"), "notify:list", group=ALERTS, order=42),
    ],
    panels=[
        DashboardPanel(
            "alerts.latest",
            _("Latest alerts"),
            "alerts/_dashboard_latest.html",
            context="zonebook.alerts.dashboard.latest_panel",
            roles=OFFICES,
            order=40,
            width=6,
        ),
    ],
    todos=[
        TodoCounter(
            "alerts.open_flags",
            _("Open plausibility flags"),
            "alerts:flag_list",
            count="zonebook.alerts.dashboard.open_flags_count",
            roles=("zone_staff", "zone_leader"),
            order=30,
            tone="warning",
        ),
    ],
    notification_kinds=KINDS,
    schedules=[
        # the daily refresh of the alert register and the notifications (was a cron entry)
        dict(
            name="alerts.send",
            func_path="zonebook.alerts.jobs.run_send_alerts",
            cron=SEND_ALERTS_CRON,
            label=_("Refresh alerts and send notifications"),
        ),
    ],
    demo="zonebook.alerts.demo.load",
    demo_order=30,
    demo_present="zonebook.alerts.demo.present",
)
