from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "zonebook.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self):
        from zonebook.core import modules

        from . import schedules

        # Schedules declared in each app's registration (core.modules.AppModule.schedules).
        for module in modules.all_modules():
            for kwargs in module.schedules:
                schedules.register(**kwargs)
