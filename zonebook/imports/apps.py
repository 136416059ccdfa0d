from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """The import pages and background import jobs (upload → preview → confirm).

    The pipeline itself (readers, parsers, kinds, check/run) is platform code in ``core.imports``
    and imports nothing above core; this app is the glue to ``jobs`` and the web pages, one layer
    up, so ``core`` stays at the bottom of the import-linter layers contract.
    """

    name = "zonebook.imports"
    label = "imports"
    verbose_name = _("Imports")
