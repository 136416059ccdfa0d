"""What the audit log adds to the navigation (core.modules)."""

from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, MenuEntry

MODULE = AppModule(app="zonebook.audit", menu=[MenuEntry(_("Audit log"), "audit:list", order=920)])
