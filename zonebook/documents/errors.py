"""The one error of the document builder: shown to the user as a message, never a 500."""

from __future__ import annotations

from zonebook.core.errors import DomainError


class DocumentError(DomainError):
    """A document that cannot be built as asked (a template placeholder the document does not provide,
    an unknown format, a malformed table).  ``str()`` is a translated sentence naming the cause."""

    def __init__(self, message, code: str = "document", field: str | None = None):
        super().__init__(message=message, code=code, field=field)
