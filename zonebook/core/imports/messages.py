"""Translated messages shared by import kinds (kept here so that one catalogue translates them)."""

from django.utils.translation import gettext_lazy as _

DUPLICATE_IN_FILE = _("Duplicate: the same value is already in row %(row)d of this file.")
ALREADY_EXISTS = _("Already exists: another %(model)s has the same %(field)s.")
NOT_FOUND_IN_SCOPE = _("No %(model)s called “%(value)s” in your scope.")
NOT_FOUND_IN_PARENT = _("No %(model)s called “%(value)s” in this %(parent)s.")
OUTSIDE_SCOPE = _("Outside your scope: you may only add records in your own area.")
NOT_A_PROVINCE = _("Not a province code (a province code ends in 0000).")
CITY_NOT_IN_PROVINCE = _("This city is not in the province given in this row.")
IMPORTED_NOTE = _("Imported from a file")
UPDATED_NOTE = _("Updated from an imported file")
UPDATE_HINT = _("To update existing records, upload the file again and choose “update existing ones”.")
