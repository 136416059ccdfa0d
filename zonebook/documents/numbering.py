"""文号: one number sequence per issuing office, series and year (川商开发〔2026〕12号).

``next_number(office_key, series, year)`` issues the next number and records it in the audit log,
in one transaction.  Concurrency-safe on PostgreSQL and SQLite: the sequence row is incremented with
one ``UPDATE … SET last = last + 1`` (the row stays locked until the caller's transaction ends, so
two requests never get the same number); the first number of a year creates the row under a unique
constraint and retries as an update if another request created it first.  A number issued inside a
transaction that rolls back is given again (no gaps from failed documents).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from zonebook.audit import services as audit

from .formatting import document_number
from .models import DocumentSequence


def next_number(office_key: str, series: str, year: int, *, by=None, title: str = "") -> str:
    """The next 文号 of ``office_key``'s ``series`` in ``year``: ``"川商开发〔2026〕12号"``.

    ``office_key`` identifies the issuing office (e.g. its unit code or name); two offices may use
    the same series text with separate counters.  ``title`` is written into the audit entry."""
    if not series:
        raise ValueError("a document number needs a series (e.g. 川商开发)")
    key = {"office_key": office_key[:80], "series": series[:40], "year": int(year)}
    with transaction.atomic():
        if not DocumentSequence.objects.filter(**key).update(last=F("last") + 1):
            try:
                with transaction.atomic():
                    DocumentSequence.objects.create(**key, last=1)
            except IntegrityError:  # created by a concurrent request in the meantime
                DocumentSequence.objects.filter(**key).update(last=F("last") + 1)
        seq = DocumentSequence.objects.get(**key)
        number = document_number(series, year, seq.last)
        audit.record(seq, code="documents.number.issued", by=by, message=f"{number} {title}".strip(),
                     changes={"last": [seq.last - 1, seq.last]})
    return number


def peek(office_key: str, series: str, year: int) -> str:
    """The number ``next_number`` would issue now (for a preview; not reserved)."""
    last = (
        DocumentSequence.objects.filter(office_key=office_key[:80], series=series[:40], year=int(year))
        .values_list("last", flat=True)
        .first()
        or 0
    )
    return document_number(series, year, last + 1)
