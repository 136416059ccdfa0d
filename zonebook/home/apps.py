from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """The home page: each role's dashboard, built from the panels and to-do counters the apps
    register (core.modules).  Imports only core, accounts, notify, sla and documents."""

    name = "zonebook.home"
    label = "home"
    verbose_name = _("Home dashboards")
