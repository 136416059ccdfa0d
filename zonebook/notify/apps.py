from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    """In-app notifications (with optional e-mail), the kind registry, traffic lights and the
    "responsible users" lookup — platform machinery every module may use (it imports no domain app)."""

    name = "zonebook.notify"
    label = "notify"
    verbose_name = _("Notifications")
