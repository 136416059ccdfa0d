"""What core adds to the navigation (core.modules): the import wizard and the API documentation.

They come after the modules' entries (order 900+), so a new module's menu lands before them.
"""

from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, MenuEntry

MODULE = AppModule(
    app="zonebook.core",
    menu=[
        MenuEntry(_("Import"), "imports:index", order=900),
        MenuEntry(_("API"), "api-docs", order=930),
    ],
)
