"""Helpers shared by the ledger services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zonebook.core.errors import DomainError, RowError
from zonebook.registry.models import Code

from ..models.book import HS_RE
from .reference import HS_TABLE


def domain_error(exc: ValidationError, code: str = "invalid") -> DomainError:
    """Turn a Django ValidationError into a DomainError naming the field(s)."""
    if hasattr(exc, "error_dict"):
        details = []
        for field, errs in exc.error_dict.items():
            for e in errs:
                msg = " ".join(e.messages)
                details.append(RowError(row=None, column=field, value="", reason=msg))
        first = details[0]
        field = None if first.column == "__all__" else first.column
        message = "; ".join(f"{d.column}: {d.reason}" if d.column != "__all__" else d.reason for d in details)
        ecode = getattr(exc.error_dict[first.column][0], "code", None) or code
        return DomainError(message, code=ecode, field=field, details=details)
    return DomainError(" ".join(exc.messages), code=getattr(exc, "code", None) or code)


def full_clean(obj, exclude=None, *, checked_in_sql: bool = False) -> None:
    """``obj.full_clean()`` with errors as a DomainError.  ``checked_in_sql``: the caller has checked
    uniqueness itself and the database enforces the constraints, so Django's per-object queries
    (unique checks, constraint checks) are skipped."""
    try:
        if checked_in_sql:
            obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        else:
            obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise domain_error(exc) from None


def hs_problem(code: str, known: set[str] | None = None) -> tuple[str, str] | None:
    """(error code, message) when ``code`` is not a 10-digit HS code of the ``hs`` code table."""
    code = (code or "").strip()
    if not HS_RE.match(code):
        return "hs_length", _("HS code “%(code)s” must have exactly 10 digits (it has %(n)d characters).") % {
            "code": code,
            "n": len(code),
        }
    if known is None:
        known = set(Code.objects.filter(table__key=HS_TABLE, code=code).values_list("code", flat=True))
    if code not in known:
        return "hs_unknown", _("HS code %(code)s is not in the HS code table.") % {"code": code}
    return None


def check_hs(code: str, field: str = "hs_code") -> None:
    problem = hs_problem(code)
    if problem:
        raise DomainError(problem[1], code=problem[0], field=field)


def known_hs(codes) -> set[str]:
    """The subset of ``codes`` present in the HS table (one query)."""
    return set(Code.objects.filter(table__key=HS_TABLE, code__in=set(codes)).values_list("code", flat=True))
