from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "zonebook.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.conf import settings

        from zonebook.core import lookups, modules  # noqa: F401  (lookups registers ``field__any``)

        # Each app's registration.py declares its menus, panels, kinds, schedules, imports and demo
        # (core.modules); core runs first, so the platform apps' ready() find every declaration.
        modules.autodiscover(settings.INSTALLED_APPS)

        # Every app's importers.py registers its import kinds (core.imports.kinds), and so do the
        # registrations' import_kinds.
        from zonebook.core.imports.kinds import autodiscover, register

        autodiscover()
        for module in modules.all_modules():
            for path in module.import_kinds:
                try:
                    kind = modules.resolve(path)
                except (ImportError, AttributeError):
                    continue  # reported by the start-up check zonebook.E003 (core/checks.py), naming the app
                register(kind)

        # the registrations are checked at start-up (core/checks.py: zonebook.E001...)
        from zonebook.core import checks  # noqa: F401
