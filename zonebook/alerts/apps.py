from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "zonebook.alerts"
    label = "alerts"
    verbose_name = _("Alerts and anomaly flags")

    def ready(self):
        from . import panels  # noqa: F401 - registers the oversight and write-off panels
