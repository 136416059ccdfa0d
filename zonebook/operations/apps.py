from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "zonebook.operations"
    label = "operations"
    verbose_name = _("Zone operations")

    def ready(self):
        from django.db.models import Q

        from zonebook.attachments import attachable
        from zonebook.sla import hooks

        from .choices import CLOSED_STATUSES
        from .models import Application

        attachable.register(Application, write_areas=("ops",))
        hooks.register_item_type(Application, closed=Q(status__in=CLOSED_STATUSES))
