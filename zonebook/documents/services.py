"""Document template writes (公文模板), audited in the same transaction.  Numbers: ``numbering``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from zonebook.audit import services as audit

from .models import DocumentTemplate


@transaction.atomic
def create_template(data: Mapping[str, Any], *, by=None) -> DocumentTemplate:
    """A new template; ``full_clean`` checks the placeholders (``ValidationError`` naming them)."""
    return audit.create(DocumentTemplate, data, by=by, code="documents.template.created")


@transaction.atomic
def update_template(template: DocumentTemplate, data: Mapping[str, Any], *, by=None) -> dict:
    """Apply ``data``; records only the fields that changed.  Returns the changes."""
    return audit.update(template, data, by=by, code="documents.template.updated")
