from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "zonebook.alerts"
    label = "alerts"
    verbose_name = _("Alerts and anomaly flags")

    def ready(self):
        # panels on the ledger's pages (core.panels); the menu, dashboard, notification kinds and the
        # daily schedule are declared in registration.py
        from . import panels  # noqa: F401
