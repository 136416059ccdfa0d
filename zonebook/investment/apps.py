from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvestmentConfig(AppConfig):
    name = "zonebook.investment"
    label = "investment"
    verbose_name = _("Investment attraction")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from zonebook.sla import hooks

        from .models import Project

        # a project whose post-signing clock was never stopped but that reached a terminal state
        hooks.register_item_type(Project, closed=Project.closed_q())
