from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomsConfig(AppConfig):
    name = "zonebook.customs"
    label = "customs"
    verbose_name = _("Customs messages")
    default_auto_field = "django.db.models.BigAutoField"
