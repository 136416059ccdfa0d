from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    """In-app notifications (with optional e-mail), the kind registry, traffic lights and the
    "responsible users" lookup — platform machinery every module may use (it imports no domain app)."""

    name = "zonebook.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self):
        from zonebook.core import modules
        from zonebook.jobs import schedules
        from zonebook.sla import hooks as sla_hooks

        from . import escalations, registry
        from .services import email_enabled

        # Kinds declared in each app's registration (core.modules.AppModule.notification_kinds).
        for module in modules.all_modules():
            for kwargs in module.notification_kinds:
                registry.register_kind(**{"owner": module.app, **kwargs})

        # SLA escalations notify the target role (handler, unit head, leader) through notify.
        escalations.register()
        sla_hooks.set_notifier(escalations.notify_escalations)

        # With e-mail on, notifications whose mail failed are retried every 15 minutes by the worker.
        if email_enabled():
            schedules.register(
                "notify.email",
                "zonebook.notify.jobs.run_send_pending_email",
                every_minutes=15,
                label=_("Retry notification e-mails"),
            )
