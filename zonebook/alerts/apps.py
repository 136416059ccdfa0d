from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Every day at 06:30 Asia/Shanghai, before office hours.
SEND_ALERTS_CRON = "30 6 * * *"


class AlertsConfig(AppConfig):
    name = "zonebook.alerts"
    label = "alerts"
    verbose_name = _("Alerts and anomaly flags")

    def ready(self):
        from zonebook.jobs import schedules

        from . import notifications, panels  # noqa: F401 - panels registers the oversight and write-off panels

        notifications.register()
        # The daily refresh of the alert register and the notifications (was a cron entry).
        schedules.register(
            "alerts.send",
            "zonebook.alerts.jobs.run_send_alerts",
            cron=SEND_ALERTS_CRON,
            label=_("Refresh alerts and send notifications"),
        )
