"""What jobs add to the navigation (core.modules)."""

from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, MenuEntry

MODULE = AppModule(app="zonebook.jobs", menu=[MenuEntry(_("Jobs"), "jobs:list", order=910)])
