from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "zonebook.alerts"
    label = "alerts"
    verbose_name = _("Alerts and anomaly flags")

    def ready(self):
        from . import notifications, panels  # noqa: F401 - panels registers the oversight and write-off panels

        notifications.register()
