"""Bonded goods flows (保税货物流转) and entry batches (入区一次检验、出区分批核销).

Pairing rule (bonded-ledger.md §10, GG2016-86): the transferor's list (side E) and the transferee's
list (side I) name each other (``counterpart_list``), carry the same goods (HS code, first 8 digits)
and the same quantity.  A side whose counterpart has not been declared stays ``unpaired``; a pair
whose goods or quantity differ is ``mismatch`` with the reason.  Both wait in the queue with their
age.  区内流转: both sides in one zone; 区间流转: the counterpart zone differs.  The pairing rule is
the ledger's carry-over pairing (``compare``): HS-8, unit, quantity, 30-day window, one calendar year.

An entry batch is released in partial exits; ``release`` locks the batch and never lets the remaining
quantity go below zero (a database constraint guards it too).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError
from zonebook.core.formatting import quantity
from zonebook.core.permissions import require_write

from .models import BatchRelease, EntryBatch, FlowDeclaration, FlowKind, FlowState


def _qty(value) -> Decimal:
    try:
        q = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("The quantity must be a number."), code="invalid", field="qty") from None
    if not q.is_finite() or q <= 0:
        raise DomainError(_("The quantity must be above zero."), code="invalid", field="qty")
    return q


def _check(by, enterprise) -> None:
    require_write(by, "ops")
    if by.role == "enterprise" and by.enterprise_id != enterprise.pk:
        raise DomainError(_("You may declare only for your own enterprise."), code="scope_forbidden")
    if by.scope_level == "zone" and by.zone_id != enterprise.zone_id:
        raise DomainError(_("The enterprise lies outside your zone."), code="scope_forbidden")


def compare(a: FlowDeclaration, b: FlowDeclaration) -> str:
    """'' when the two sides agree, else the reason.

    The rule is the ledger's carry-over pairing (``ledger.services.carryover``: ``hs8_equal`` and
    ``pairing_rule``, with its configuration ``LEDGER_CARRYOVER``): the first 8 HS digits equal, the
    same unit, equal quantities, both sides declared within the window (30 days) and in one calendar
    year — GG2016-86 states the same rules for flows between and within zones."""
    from zonebook.ledger.services.carryover import hs8_equal, pairing_rule

    if not hs8_equal(a.hs_code, b.hs_code):
        return _("Goods differ: %(a)s / %(b)s.") % {"a": a.hs_code, "b": b.hs_code}
    if a.unit.strip() != b.unit.strip():
        return _("Units differ: %(a)s / %(b)s.") % {"a": a.unit, "b": b.unit}
    out, into = (a, b) if a.side == "E" else (b, a)
    broken = pairing_rule(first=min(a.declared_on, b.declared_on), last=max(a.declared_on, b.declared_on),
                          ship_qty=out.qty, recv_qty=into.qty)
    if broken is None:
        return ""
    code, f = broken
    if code == "cross_year":
        return _("Declared in different calendar years (%(a)s / %(b)s); flows are never paired across years.") % f
    if code == "window":
        return (_("Declared %(d)d days apart (%(a)s … %(b)s); both sides must be declared within %(w)d days.")
                % f)
    return _("Quantities differ: %(a)s / %(b)s.") % {"a": quantity(a.qty), "b": quantity(b.qty)}


@transaction.atomic
def declare(*, side: str, enterprise, list_number: str, counterpart_list: str, counterpart_zone, hs_code: str, qty,
            unit: str, declared_on: dt.date, by) -> FlowDeclaration:
    """Record one side and pair it with its counterpart when that has been declared."""
    _check(by, enterprise)
    kind = FlowKind.INTRA if counterpart_zone.pk == enterprise.zone_id else FlowKind.INTER
    decl = audit.create(FlowDeclaration, {
        "kind": kind, "side": side, "zone": enterprise.zone, "enterprise": enterprise,
        "list_number": list_number.strip(), "counterpart_list": counterpart_list.strip(),
        "counterpart_zone": counterpart_zone, "hs_code": hs_code.strip(), "qty": _qty(qty), "unit": unit,
        "declared_on": declared_on}, by=by)
    other = (FlowDeclaration.objects.select_for_update()
             .filter(side="I" if side == "E" else "E", list_number=decl.counterpart_list,
                     counterpart_list=decl.list_number, partner__isnull=True).first())
    if other is not None:
        problem = compare(decl, other)
        state = FlowState.MISMATCH if problem else FlowState.PAIRED
        for a, b in ((decl, other), (other, decl)):
            a.partner, a.state, a.problem = b, state, problem
            a.save(update_fields=["partner", "state", "problem"])
        audit.record(decl, code="operations.flow.paired", by=by, changes={"state": state, "with": other.list_number},
                     message=problem)
    return decl


def queue(user, today: dt.date | None = None):
    """Unpaired and mismatched sides in the user's scope, oldest first, with their age in days."""
    today = today or timezone.localdate()
    rows = list(FlowDeclaration.objects.for_user(user).exclude(state=FlowState.PAIRED)
                .select_related("enterprise", "zone", "counterpart_zone").order_by("declared_on", "id"))
    for r in rows:
        r.age = (today - r.declared_on).days
    return rows


@transaction.atomic
def create_batch(*, enterprise, number: str, inspection_no: str, inspected_on: dt.date, inspection_result: str,
                 goods: str, hs_code: str, qty, unit: str, by) -> EntryBatch:
    _check(by, enterprise)
    q = _qty(qty)
    return audit.create(EntryBatch, {
        "zone": enterprise.zone, "enterprise": enterprise, "number": number.strip(), "inspection_no": inspection_no,
        "inspected_on": inspected_on, "inspection_result": inspection_result, "goods": goods, "hs_code": hs_code,
        "qty": q, "unit": unit, "remaining": q}, by=by)


@transaction.atomic
def release(batch: EntryBatch, qty, *, by, gate_pass=None, at=None) -> BatchRelease:
    """One partial exit; refused when it exceeds what remains (never below zero)."""
    _check(by, batch.enterprise)
    q = _qty(qty)
    b = EntryBatch.objects.select_for_update().get(pk=batch.pk)
    if q > b.remaining:
        raise DomainError(
            _("Only %(r)s %(u)s of batch %(n)s remain; %(q)s cannot leave.")
            % {"r": quantity(b.remaining), "u": b.unit, "n": b.number, "q": quantity(q)},
            code="exceeds_remaining", field="qty")
    EntryBatch.objects.filter(pk=b.pk).update(remaining=F("remaining") - q)
    b.refresh_from_db(fields=["remaining"])
    rel = BatchRelease.objects.create(batch=b, qty=q, gate_pass=gate_pass, at=at or timezone.now(),
                                      by=by if getattr(by, "is_authenticated", False) else None,
                                      remaining_after=b.remaining)
    audit.record(b, code="operations.entrybatch.released", by=by,
                 changes={"released": str(q), "remaining": str(b.remaining)})
    return rel
