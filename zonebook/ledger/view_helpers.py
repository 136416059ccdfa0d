"""Shared by the ledger's page modules (views, views_writeoff, views_carryover)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from zonebook.core.errors import DomainError

AREA = "ledger"


def can_write(user) -> bool:
    return user.can_write(AREA)


def check_write(request):
    if not can_write(request.user):
        raise PermissionDenied(_("Your role may not change ledger data."))


def message_errors(request, exc: DomainError, limit: int = 20) -> None:
    """A refused action as page messages: the message, then up to ``limit`` details (row errors)."""
    messages.error(request, str(exc.message))
    for d in exc.details[:limit]:
        messages.error(request, str(d))
