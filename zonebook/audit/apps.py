from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "zonebook.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self):
        # core records its audit events (list exports) through this port (core.events)
        from zonebook.core import events

        from . import services

        events.set_event_recorder(services.record_event)
