from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    """Working-day calendar, SLA policies and deadlines; the menu entry, the escalation schedule and
    the dashboard panel are declared in registration.py."""

    name = "zonebook.sla"
    label = "sla"
    verbose_name = _("Deadlines and working-day calendar")
