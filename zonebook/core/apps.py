from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "zonebook.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.conf import settings

        from zonebook.core import modules

        # Each app's registration.py declares its menus, panels, kinds, schedules, imports and demo
        # (core.modules); core runs first, so the platform apps' ready() find every declaration.
        modules.autodiscover(settings.INSTALLED_APPS)

        # Every app's importers.py registers its import kinds (core.imports.kinds), and so do the
        # registrations' import_kinds.
        from zonebook.core.imports.kinds import autodiscover, register

        autodiscover()
        for module in modules.all_modules():
            for path in module.import_kinds:
                register(modules.resolve(path))

        from zonebook.core.tables_speedup import install

        install()
