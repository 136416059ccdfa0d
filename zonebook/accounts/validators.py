import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    """At least `min_classes` of: lower case, upper case, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    @staticmethod
    def classes(password: str) -> int:
        patterns = [r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"]
        return sum(1 for p in patterns if re.search(p, password))

    def validate(self, password, user=None):
        if self.classes(password) < self.min_classes:
            raise ValidationError(
                _(
                    "The password must contain at least %(n)d of: lower-case letters, upper-case letters, digits, symbols."
                )
                % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self):
        return _("Use at least %(n)d of: lower-case letters, upper-case letters, digits, symbols.") % {
            "n": self.min_classes
        }


class NotUsernameValidator:
    """The password must not contain the user name, in any letter case (``pwtest-2026-Aa`` for the user
    ``pwtest``): Django's ``UserAttributeSimilarityValidator`` compares similarity ratios of the whole
    strings and lets such passwords through.  User names shorter than ``min_length`` are ignored (a
    two-letter name would forbid too many passwords)."""

    def __init__(self, min_length: int = 3):
        self.min_length = min_length

    def validate(self, password, user=None):
        username = (user.get_username() if user is not None else "") or ""
        if len(username) >= self.min_length and username.casefold() in (password or "").casefold():
            raise ValidationError(
                _("The password must not contain the user name."), code="password_contains_username"
            )

    def get_help_text(self):
        return _("The password must not contain the user name.")
