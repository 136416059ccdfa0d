from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "zonebook.service"
    label = "service"
    verbose_name = _("Enterprise service")

    def ready(self):
        from zonebook.sla import hooks

        from .models import Assignment, ServiceRequest

        # an escalation of a request (or of one dispatch of it) that was closed meanwhile is skipped
        hooks.register_item_type(ServiceRequest, closed=ServiceRequest.closed_q())
        hooks.register_item_type(Assignment, closed=Assignment.closed_q())

        from zonebook.attachments import attachable

        from .models import Visit

        # visit photos and minutes (the office); evidence on a request (the office and the enterprise)
        attachable.register(Visit, write_areas=("ops", "registry"))
        attachable.register(ServiceRequest, write_areas=("ops", "registry", "enterprise_profile"))
