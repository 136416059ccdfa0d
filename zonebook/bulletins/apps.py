from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulletinsConfig(AppConfig):
    name = "zonebook.bulletins"
    label = "bulletins"
    verbose_name = _("Bulletins")
