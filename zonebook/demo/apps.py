from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """``manage.py load_demo`` / ``print_demo_logins``: runs every registration's demo loader
    (core.modules) in ``demo_order``.  The top layer: nothing imports it (except its tests)."""

    name = "zonebook.demo"
    label = "demo"
    verbose_name = _("Demo data")
