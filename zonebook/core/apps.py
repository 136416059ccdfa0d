from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "zonebook.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        # Every app's importers.py registers its import kinds (core.imports.kinds).
        from zonebook.core.imports.kinds import autodiscover

        autodiscover()

        from zonebook.core.tables_speedup import install

        install()
