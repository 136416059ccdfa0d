"""Shared by the ledger's page modules (views, views_writeoff, views_carryover)."""

from __future__ import annotations

from django.contrib import messages
from django.utils.translation import gettext_lazy

from zonebook.core.errors import DomainError

AREA = "ledger"


WRITE_DENIED = gettext_lazy("Your role may not change ledger data.")


def message_errors(request, exc: DomainError, limit: int = 20) -> None:
    """A refused action as page messages: the message, then up to ``limit`` details (row errors)."""
    messages.error(request, str(exc.message))
    for d in exc.details[:limit]:
        messages.error(request, str(d))
