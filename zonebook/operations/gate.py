"""The gate (卡口): vehicles, stock notes (SAS111), gate passes (SAS121), gate events and exceptions.

``record_event`` is what the gate system (machine token, zone-scoped) and the gate officer page call
for a passage.  It is idempotent by (zone, event id): a retry returns the stored answer.  The pass
must be of the zone (else ``unknown_pass``), approved (``not_approved``), not cancelled
(``cancelled``) and not used (``already_used``).  Then the weight check (declared vs weighbridge,
tolerance per zone and goods kind) and the quantity check (Σ pass quantities per related document
line ≤ the line's quantity) run; a failure raises a ``GateException`` and the vehicle is held until
an officer decides (``decide``: release with a reason, or hold).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.core.formatting import quantity
from zonebook.core.permissions import require_write

from . import calc
from .choices import (
    Direction,
    EventResult,
    ExceptionKind,
    ExceptionState,
    GateStage,
    PassStatus,
    PassType,
    RelatedKind,
)
from .models import (
    Container,
    GateEvent,
    GateException,
    GatePass,
    GatePassDocument,
    GatePassLine,
    StockNote,
    StockNoteLine,
    Vehicle,
    WeightTolerance,
    ZoneGate,
)

DEFAULT_TOLERANCE_PCT = Decimal("1")
USED = (PassStatus.PASSED, PassStatus.SECOND_GATE)
LIVE = (PassStatus.APPLIED, PassStatus.APPROVED, PassStatus.PASSED, PassStatus.FIRST_GATE, PassStatus.SECOND_GATE)


def _zone_check(by, zone) -> None:
    require_write(by, "ops")
    if not by.is_superuser and by.scope_level == "zone" and by.zone_id != zone.pk:
        raise DomainError(_("The zone lies outside your own scope."), code="scope_forbidden", field="zone")


# ------------------------------------------------------------------ master data and documents


@transaction.atomic
def add_vehicle(*, zone, plate: str, tare_weight, owner: str, by, frame_weight=0, e_plate="", ic_card="",
                enterprise=None) -> Vehicle:
    _zone_check(by, zone)
    plate = (plate or "").strip().upper()
    if Vehicle.objects.filter(zone=zone, plate=plate).exists():
        raise DomainError(_("The vehicle %(p)s is already filed.") % {"p": plate}, code="duplicate", field="plate")
    return audit.create(Vehicle, {"zone": zone, "plate": plate, "tare_weight": Decimal(str(tare_weight)),
                                  "frame_weight": Decimal(str(frame_weight or 0)), "owner": owner, "e_plate": e_plate,
                                  "ic_card": ic_card, "enterprise": enterprise}, by=by)


CONTAINER_PROBLEMS = {
    "format": lambda: _("A container number is 3 letters of the owner code, a category letter U, J or Z, "
                        "6 digits and a check digit (ISO 6346), e.g. CSQU3054383."),
    "check_digit": lambda: _("The check digit does not match the container number (ISO 6346): it should be %(d)s."),
}


def container_number_error(number: str) -> str | None:
    """The reason (translated) why ``number`` is not a valid ISO 6346 container number, or None."""
    number = (number or "").strip().upper()
    code = calc.container_problem(number)
    if code is None:
        return None
    msg = CONTAINER_PROBLEMS[code]()
    return msg % {"d": calc.container_check_digit(number[:10])} if code == "check_digit" else msg


def _link_passes(container: Container) -> int:
    """Passes of the container's zone that carry its number as free text get linked (one UPDATE)."""
    return (GatePass.objects.filter(zone_id=container.zone_id, container__isnull=True, container_no=container.number)
            .update(container=container))


@transaction.atomic
def add_container(*, zone, number: str, size_type: str, tare_weight, owner: str, by) -> Container:
    """集装箱备案 (audited); passes of the zone that named this number as text are linked to it."""
    _zone_check(by, zone)
    number = (number or "").strip().upper()
    problem = container_number_error(number)
    if problem:
        raise DomainError(problem, code="container_number", field="number")
    if Container.objects.filter(zone=zone, number=number).exists():
        raise DomainError(_("The container %(n)s is already filed.") % {"n": number}, code="duplicate",
                          field="number")
    c = audit.create(Container, {"zone": zone, "number": number, "size_type": size_type,
                                 "tare_weight": Decimal(str(tare_weight)), "owner": owner}, by=by)
    _link_passes(c)
    return c


@transaction.atomic
def update_container(container: Container, *, by, **data) -> dict:
    """Edit size/type, tare, owner/operator or the active flag (the number is the key and stays)."""
    _zone_check(by, container.zone)
    allowed = {k: v for k, v in data.items() if k in ("size_type", "tare_weight", "owner", "active")}
    if "tare_weight" in allowed:
        allowed["tare_weight"] = Decimal(str(allowed["tare_weight"]))
    return audit.update(container, allowed, by=by)


@transaction.atomic
def add_stock_note(*, enterprise, number: str, direction: str, lines: list[dict], by, application=None,
                   inventory_list=None) -> StockNote:
    """出入库单 with its lines ({name, hs_code, qty, unit, gross_weight})."""
    _zone_check(by, enterprise.zone)
    if not lines:
        raise DomainError(_("A stock note needs at least one line."), code="no_lines", field="lines")
    note = audit.create(StockNote, {"zone": enterprise.zone, "enterprise": enterprise, "number": number.strip(),
                                    "direction": direction, "application": application,
                                    "inventory_list": inventory_list}, by=by)
    StockNoteLine.objects.bulk_create(
        StockNoteLine(note=note, seq=i, name=ln["name"], hs_code=ln.get("hs_code", ""), qty=Decimal(str(ln["qty"])),
                      unit=ln.get("unit", ""), gross_weight=Decimal(str(ln.get("gross_weight") or 0)))
        for i, ln in enumerate(lines, start=1)
    )
    return note


def _document(kind: str, number: str, zone):
    """(stock note, inventory list) named by a related document of a pass (looked up in the zone)."""
    from zonebook.ledger.models import InventoryList

    if kind == RelatedKind.STOCK_NOTE:
        note = StockNote.objects.filter(zone=zone, number=number).first()
        if note is None:
            raise DomainError(_("No stock note %(n)s in this zone.") % {"n": number}, code="unknown_document",
                              field="documents")
        return note, None
    if kind == RelatedKind.INVENTORY_LIST:
        lst = InventoryList.objects.filter(book__zone=zone, number=number).first()
        if lst is None:
            raise DomainError(_("No inventory list %(n)s in this zone.") % {"n": number}, code="unknown_document",
                              field="documents")
        return None, lst
    return None, None


@transaction.atomic
def create_pass(*, zone, number: str, direction: str, pass_type: str, vehicle: Vehicle, by, enterprise=None,
                bind_type: str = "2", container_no: str = "", container_weight=0, goods_weight=0,
                goods_kind: str = "general", documents: list[dict] = (), lines: list[dict] = (),
                container: Container | None = None) -> GatePass:
    """核放单: ``documents`` [{kind, number}], ``lines`` [{document (index), related_seq, qty, name, unit,
    gross_weight}].  An empty-vehicle pass (空车) has no lines or documents.

    The container: ``container`` (a filed one) or ``container_no``; a number filed in the zone's
    register links the pass to it, and the register's tare is the container weight of the expected
    total (declared goods + vehicle tare + frame + container tare).  An unfiled number stays as text
    with the declared ``container_weight``."""
    _zone_check(by, zone)
    if vehicle.zone_id != zone.pk:
        raise DomainError(_("The vehicle is filed in another zone."), code="vehicle_zone", field="vehicle")
    if container is None and (container_no or "").strip():
        container = Container.objects.filter(zone=zone, number=container_no.strip().upper()).first()
    if container is not None:
        if container.zone_id != zone.pk:
            raise DomainError(_("The container is filed in another zone."), code="container_zone",
                              field="container")
        container_no, container_weight = container.number, container.tare_weight
    if pass_type == PassType.EMPTY and (documents or lines):
        raise DomainError(_("An empty-vehicle pass carries no goods."), code="empty_with_goods", field="lines")
    if pass_type != PassType.EMPTY and pass_type != PassType.GATE_REGISTERED and not lines:
        raise DomainError(_("The pass needs goods lines."), code="no_lines", field="lines")
    goods_weight = Decimal(str(goods_weight or 0))
    container_weight = Decimal(str(container_weight or 0))
    total = calc.expected_weight(vehicle.tare_weight, vehicle.frame_weight, container_weight, goods_weight)
    gp = audit.create(GatePass, {
        "zone": zone, "enterprise": enterprise, "number": number.strip(), "direction": direction,
        "pass_type": pass_type, "bind_type": bind_type, "vehicle": vehicle, "container": container,
        "container_no": container_no, "container_weight": container_weight, "goods_weight": goods_weight, "total_weight": total,
        "goods_kind": goods_kind or "general",
    }, by=by)
    docs = []
    for d in documents:
        note, lst = _document(d["kind"], d["number"], zone)
        docs.append(GatePassDocument.objects.create(gate_pass=gp, kind=d["kind"], number=d["number"],
                                                    stock_note=note, inventory_list=lst))
    for i, ln in enumerate(lines, start=1):
        try:
            doc = docs[int(ln.get("document", 0))]
        except (IndexError, ValueError, TypeError):
            raise DomainError(_("Line %(n)d names no related document of the pass.") % {"n": i},
                              code="line_document", field="lines") from None
        GatePassLine.objects.create(gate_pass=gp, seq=i, document=doc, related_seq=int(ln["related_seq"]),
                                    qty=Decimal(str(ln["qty"])), name=ln.get("name", ""), unit=ln.get("unit", ""),
                                    gross_weight=Decimal(str(ln.get("gross_weight") or 0)))
    return gp


@transaction.atomic
def approve_pass(gp: GatePass, *, by) -> GatePass:
    _zone_check(by, gp.zone)
    gp = GatePass.objects.select_for_update().get(pk=gp.pk)
    if gp.status != PassStatus.APPLIED:
        raise DomainError(_("Only an applied pass can be approved."), code="bad_status")
    gp.status, gp.approved_at = PassStatus.APPROVED, timezone.now()
    gp.save(update_fields=["status", "approved_at"])
    audit.record(gp, code="operations.gatepass.approved", by=by, changes={"status": ["0", "1"]})
    return gp


@transaction.atomic
def cancel_pass(gp: GatePass, *, by, reason: str = "") -> GatePass:
    _zone_check(by, gp.zone)
    gp = GatePass.objects.select_for_update().get(pk=gp.pk)
    if gp.status not in (PassStatus.APPLIED, PassStatus.APPROVED):
        raise DomainError(_("A pass that has passed the gate cannot be cancelled."), code="bad_status")
    old = gp.status
    gp.status = PassStatus.CANCELLED
    gp.save(update_fields=["status"])
    audit.record(gp, code="operations.gatepass.cancelled", by=by, changes={"status": [old, gp.status]}, message=reason)
    return gp


# ------------------------------------------------------------------ checks


def _tolerance_sql(field: str) -> RawSQL:
    """The pass's tolerance ``field`` (pct / min_kg) as a subquery of the pass row: the zone's row for
    the pass's goods kind, else the zone's "general" row, else NULL (``DEFAULT_TOLERANCE_PCT``).

    Written as SQL (portable: SQLite and PostgreSQL) because the gate event runs it for every passage:
    two ORM subqueries cost ~1.4 ms of compiling per event, more than the whole round trip they save."""
    tol, gp = WeightTolerance._meta.db_table, GatePass._meta.db_table
    return RawSQL(
        f'SELECT t."{field}" FROM "{tol}" t WHERE t."zone_id" = "{gp}"."zone_id" '
        f'AND (t."goods_kind" = "{gp}"."goods_kind" OR t."goods_kind" = %s) '
        f'ORDER BY CASE WHEN t."goods_kind" = %s THEN 1 ELSE 0 END LIMIT 1',
        ("general", "general"),
        output_field=WeightTolerance._meta.get_field(field).clone(),
    )


def _gate_sql(gate_id: str) -> dict:
    """The event's gate as subqueries of the pass row (same query, no extra round trip): its stage and
    weighbridge (NULL for a gate id the zone has not configured), and whether the zone configured any
    gate (then an unknown gate id is refused; without configuration every gate is a single gate)."""
    g, gp = ZoneGate._meta.db_table, GatePass._meta.db_table
    where = f'FROM "{g}" z WHERE z."zone_id" = "{gp}"."zone_id"'
    return {
        "gate_stage": RawSQL(f'SELECT z."stage" {where} AND z."code" = %s', (gate_id,),
                             output_field=ZoneGate._meta.get_field("stage").clone()),
        "gate_weighbridge": RawSQL(f'SELECT z."weighbridge" {where} AND z."code" = %s', (gate_id,),
                                   output_field=ZoneGate._meta.get_field("weighbridge").clone()),
        "zone_gates": RawSQL(f'SELECT COUNT(*) {where}', (), output_field=ZoneGate._meta.get_field("id").clone()),
    }


@transaction.atomic
def save_gate(*, zone, code: str, stage: str, by, name: str = "", weighbridge: bool = True) -> ZoneGate:
    """Add or change a gate of the zone (the gate id the gate system sends); audited."""
    _zone_check(by, zone)
    code = (code or "").strip()
    if not code:
        raise DomainError(_("The gate id is required."), code="required", field="code")
    if stage not in GateStage.values:
        raise DomainError(_("Unknown gate stage."), code="invalid", field="stage")
    values = {"name": (name or "").strip(), "stage": stage, "weighbridge": bool(weighbridge)}
    gate = ZoneGate.objects.select_for_update().filter(zone=zone, code=code).first()
    if gate is None:
        return audit.create(ZoneGate, {"zone": zone, "code": code, **values}, by=by)
    audit.update(gate, values, by=by)
    return gate


def two_gate(zone) -> bool:
    """True when the zone runs two-gate passage (一卡 and 二卡 configured)."""
    stages = set(ZoneGate.objects.filter(zone=zone).values_list("stage", flat=True))
    return {GateStage.FIRST, GateStage.SECOND} <= stages


@dataclass
class Goods:
    """What the quantity checks of a pass need, read set-based (at most four queries for any number of
    related documents): the pass's documents, its own quantities per document line, the documents'
    line quantities (allowed), and what passes that have passed the gate already used of them."""

    docs: list
    mine: dict[int, dict[int, Decimal]]  # document id -> related line -> this pass's quantity
    allowed: dict[int, dict[int, Decimal]]  # document id -> related line -> the document line's quantity
    used: dict[int, dict[int, Decimal]]  # document id -> related line -> Σ over passes in USED


def _goods(gp: GatePass, statuses=USED) -> Goods:
    from zonebook.ledger.models import InventoryListLine

    docs, mine = {}, {}
    for ln in GatePassLine.objects.filter(gate_pass_id=gp.pk).select_related("document").order_by("seq"):
        doc = ln.document
        docs.setdefault(doc.pk, doc)
        per = mine.setdefault(doc.pk, {})
        per[ln.related_seq] = per.get(ln.related_seq, Decimal(0)) + ln.qty
    allowed = {pk: {} for pk in docs}
    by_note = {d.stock_note_id: pk for pk, d in docs.items() if d.stock_note_id}
    by_list = {d.inventory_list_id: pk for pk, d in docs.items() if not d.stock_note_id and d.inventory_list_id}
    if by_note:
        for note_id, seq, qty in StockNoteLine.objects.filter(note_id__in=by_note).values_list("note_id", "seq", "qty"):
            allowed[by_note[note_id]][seq] = qty
    if by_list:
        for list_id, seq, qty in (InventoryListLine.objects.filter(inventory_list_id__in=by_list)
                                  .values_list("inventory_list_id", "line_no", "qty")):
            allowed[by_list[list_id]][seq] = qty
    used = {pk: {} for pk in docs}
    checked: dict[tuple[str, str], list[int]] = {}
    for pk, d in docs.items():
        if allowed[pk]:
            checked.setdefault((d.kind, d.number), []).append(pk)
    if checked:
        match = Q()
        for kind, number in checked:
            match |= Q(document__kind=kind, document__number=number)
        rows = (GatePassLine.objects.filter(match, gate_pass__zone_id=gp.zone_id, gate_pass__status__in=statuses)
                .values("document__kind", "document__number", "related_seq").annotate(q=Sum("qty")).order_by())
        for r in rows:
            for pk in checked[(r["document__kind"], r["document__number"])]:
                used[pk][r["related_seq"]] = r["q"]
    return Goods(list(docs.values()), mine, allowed, used)


def quantity_problems(gp: GatePass, goods: Goods | None = None) -> list[tuple[str, Decimal, Decimal]]:
    """(message, allowed, declared) per related line whose passes' quantities exceed the document's."""
    goods = _goods(gp) if goods is None else goods
    out = []
    for doc in goods.docs:
        allowed = goods.allowed[doc.pk]
        if not allowed:
            continue
        used = dict(goods.used[doc.pk])  # what has passed already, plus this pass
        mine = goods.mine[doc.pk]
        if gp.status not in USED:
            for seq, q in mine.items():
                used[seq] = used.get(seq, Decimal(0)) + q
        for seq in mine:
            limit = allowed.get(seq)
            if limit is None:
                out.append((_("%(doc)s has no line %(seq)s.") % {"doc": doc.number, "seq": seq}, Decimal(0),
                            used.get(seq, Decimal(0))))
            elif used.get(seq, Decimal(0)) > limit:
                out.append((_("Passes for %(doc)s line %(seq)s total %(used)s, more than its %(limit)s.")
                            % {"doc": doc.number, "seq": seq, "used": quantity(used[seq]), "limit": quantity(limit)},
                            limit, used[seq]))
    return out


def _mark_complete(gp: GatePass, goods: Goods | None = None, *, counted: bool = False) -> None:
    """A stock note is complete when all its goods have passed.  ``goods`` read before this pass passed
    (``counted`` False) gets this pass's quantities added; without it they are read now."""
    if goods is None:
        goods, counted = _goods(gp), True
    done = []
    for doc in goods.docs:
        allowed = goods.allowed[doc.pk]
        if not doc.stock_note_id or not allowed:
            continue
        passed = dict(goods.used[doc.pk])
        if not counted:
            for seq, q in goods.mine[doc.pk].items():
                passed[seq] = passed.get(seq, Decimal(0)) + q
        if all(passed.get(s, Decimal(0)) >= q for s, q in allowed.items()):
            done.append(doc.stock_note_id)
    if done:
        StockNote.objects.filter(pk__in=done, passed=False).update(passed=True)


# ------------------------------------------------------------------ events


@dataclass
class EventOutcome:
    event: GateEvent
    created: bool
    exceptions: list

    @property
    def http_status(self) -> int:
        e = self.event
        if e.result == EventResult.RELEASED:
            return 201 if self.created else 200
        if e.result == EventResult.HELD:
            return 202
        return 404 if e.reason_code == "unknown_pass" else 409


REFUSALS = {
    "unknown_pass": lambda: _("No such gate pass in this zone."),
    "not_approved": lambda: _("The pass has not been approved."),
    "cancelled": lambda: _("The pass has been cancelled."),
    "already_used": lambda: _("The pass has already been used at the gate."),
    "wrong_direction": lambda: _("The pass is for the other direction."),
    "unknown_gate": lambda: _("This gate id is not one of the zone's gates."),
    "first_gate_passed": lambda: _("The pass has already passed the first gate; the second gate comes next."),
}


def _stage(gp: GatePass) -> str:
    """The stage of the event's gate ('' for a gate id a zone with configured gates does not know)."""
    if gp.gate_stage:
        return gp.gate_stage
    return "" if gp.zone_gates else GateStage.SINGLE


def _refusal(gp: GatePass | None, direction: str, stage: str = GateStage.SINGLE) -> str:
    if gp is None:
        return "unknown_pass"
    if not stage:
        return "unknown_gate"
    if gp.status == PassStatus.CANCELLED:
        return "cancelled"
    if gp.status == PassStatus.APPLIED:
        return "not_approved"
    if gp.status in USED:
        return "already_used"
    if gp.status == PassStatus.FIRST_GATE and stage != GateStage.SECOND:
        return "first_gate_passed"
    if gp.direction != direction:
        return "wrong_direction"
    return ""


def record_event(*, zone, event_id: str, pass_number: str, gate_id: str, direction: str, at: dt.datetime | None = None,
                 weight=None, photo_ref: str = "", by) -> EventOutcome:
    """Record a passage (see the module docstring); idempotent by (zone, event id)."""
    event_id = (event_id or "").strip()
    if not event_id:
        raise DomainError(_("The event id is required."), code="required", field="event_id")
    if direction not in Direction.values:
        raise DomainError(_("Unknown direction."), code="invalid", field="direction")
    # no look-up first: the unique (zone, event id) constraint answers a retry (one query less per event)
    try:
        with transaction.atomic():
            return _record(zone, event_id, (pass_number or "").strip(), gate_id, direction, at or timezone.now(),
                           weight, photo_ref, by)
    except IntegrityError:  # a retry (or the same event twice at once): answer with the stored one
        existing = GateEvent.objects.filter(zone=zone, event_id=event_id).select_related("gate_pass").first()
        if existing is None:
            raise
        held = existing.result == EventResult.HELD  # only a held event has exceptions
        return EventOutcome(existing, False, list(existing.exceptions.all()) if held else [])


def _record(zone, event_id, pass_number, gate_id, direction, at, weight, photo_ref, by) -> EventOutcome:
    # one query: the pass (locked against a concurrent event for it) with its weight tolerance and the
    # event's gate (stage, weighbridge)
    gp = (GatePass.objects.select_for_update()
          .annotate(tolerance_pct=_tolerance_sql("pct"), tolerance_min_kg=_tolerance_sql("min_kg"),
                    **_gate_sql(gate_id[:20]))
          .filter(zone=zone, number=pass_number).first())
    weight = Decimal(str(weight)) if weight not in (None, "") else None
    stage = _stage(gp) if gp is not None else ""
    refusal = _refusal(gp, direction, stage)
    event = GateEvent(zone=zone, event_id=event_id, pass_number=pass_number[:24], gate_pass=gp, gate_id=gate_id[:20],
                      stage=stage, direction=direction, at=at, weight=weight, photo_ref=(photo_ref or "")[:200],
                      by=by if getattr(by, "is_authenticated", False) else None)
    exceptions = []
    if refusal:
        event.result, event.reason_code, event.reason = EventResult.REFUSED, refusal, str(REFUSALS[refusal]())
        event.save()
        audit.record(event, code="operations.gateevent.refused", by=by, action=AuditEntry.Action.CREATE,
                     message=f"{refusal} {pass_number}")
        return EventOutcome(event, True, [])
    problems = []
    if stage == GateStage.SECOND and gp.status != PassStatus.FIRST_GATE:
        problems.append((ExceptionKind.SEQUENCE,
                         _("No passage of this pass at the first gate: it reached the second gate without it."),
                         None, None))
    # the weight is checked at a weighbridge gate (every gate of a zone without configured gates)
    if weight is not None and (gp.gate_weighbridge if gp.gate_stage else True):
        if gp.tolerance_pct is None:
            pct, min_kg = DEFAULT_TOLERANCE_PCT, Decimal(0)
        else:
            pct, min_kg = Decimal(gp.tolerance_pct), Decimal(gp.tolerance_min_kg)
        ok, dev, share = calc.weight_check(gp.total_weight, weight, pct, min_kg)
        if not ok:
            problems.append((ExceptionKind.WEIGHT,
                             _("Weighed %(w)s kg, declared %(e)s kg: %(d)s kg (%(s)s %%) over the tolerance of %(t)s %%.")
                             % {"w": quantity(weight), "e": quantity(gp.total_weight), "d": quantity(dev), "s": share,
                                "t": quantity(pct)},
                             gp.total_weight, weight))
    # the goods count (and are checked) where the passage completes: the single or the second gate
    final = stage != GateStage.FIRST
    goods = Goods([], {}, {}, {}) if gp.pass_type == PassType.EMPTY or not final else _goods(gp)
    for msg, limit, used in quantity_problems(gp, goods):
        problems.append((ExceptionKind.QUANTITY, msg, limit, used))
    if problems:
        event.result, event.reason_code = EventResult.HELD, problems[0][0]
        event.reason = "; ".join(str(p[1]) for p in problems)[:300]
        event.save()
        exceptions = GateException.objects.bulk_create(
            GateException(zone=zone, event=event, gate_pass=gp, kind=k, detail=str(m)[:300], expected=e, measured=w)
            for k, m, e, w in problems
        )
        if weight is not None:
            gp.weighed = weight
            gp.save(update_fields=["weighed"])
        audit.record(event, code="operations.gateevent.held", by=by, action=AuditEntry.Action.CREATE,
                     message=event.reason)
        _notify_exception(gp, event, by)
    else:
        event.result = EventResult.RELEASED
        event.save()
        _pass_through(gp, at, weight, goods, stage)
        audit.record(event, code="operations.gateevent.released", by=by, action=AuditEntry.Action.CREATE,
                     changes={"pass": gp.number, "status": gp.status})
    return EventOutcome(event, True, list(exceptions))


def _pass_through(gp: GatePass, at, weight, goods: Goods | None = None, stage: str = GateStage.SINGLE) -> None:
    """The pass passes the event's gate: 已过一卡 at a first gate, 已过二卡 at a second, 已过卡 at a
    single gate; ``goods`` (read before, at the event) saves reading the documents again."""
    if weight is not None:
        gp.weighed = weight
    if stage == GateStage.FIRST:
        gp.status, gp.first_gate_at = PassStatus.FIRST_GATE, at
        gp.save(update_fields=["status", "first_gate_at", "weighed"])
        return
    gp.status = PassStatus.SECOND_GATE if stage == GateStage.SECOND else PassStatus.PASSED
    gp.passed_at = at
    gp.save(update_fields=["status", "passed_at", "weighed"])
    _mark_complete(gp, goods)


def _notify_exception(gp, event, by) -> None:
    from django.urls import reverse

    from zonebook.accounts.choices import Role
    from zonebook.notify import services as notify

    users = notify.responsible_users({"zone": gp.zone_id}).filter(role__in=(Role.ZONE_STAFF, Role.ZONE_LEADER))
    notify.notify(users, "operations.gate_exception", {"no": gp.number, "reason": event.reason}, event,
                  url=reverse("operations:gate_officer"), by=by)


@transaction.atomic
def decide(exc: GateException, *, release: bool, reason: str, by) -> GateException:
    """The officer's decision on a held vehicle: release (the pass passes) or hold; a reason is required."""
    _zone_check(by, exc.zone)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason."), code="reason_required", field="reason")
    exc = GateException.objects.select_for_update().select_related("gate_pass", "event").get(pk=exc.pk)
    if exc.state != ExceptionState.OPEN:
        raise DomainError(_("The exception has already been decided."), code="decided")
    now = timezone.now()
    exc.state = ExceptionState.RELEASED if release else ExceptionState.HELD
    exc.decided_by, exc.decided_at, exc.decision = by, now, reason[:300]
    exc.save(update_fields=["state", "decided_by", "decided_at", "decision"])
    others = GateException.objects.filter(event=exc.event, state=ExceptionState.OPEN).exclude(pk=exc.pk)
    if release:
        others.update(state=ExceptionState.RELEASED, decided_by=by, decided_at=now, decision=reason[:300])
        gp = GatePass.objects.select_for_update().get(pk=exc.gate_pass_id)
        stage = exc.event.stage or GateStage.SINGLE
        if gp.status not in USED and not (stage == GateStage.FIRST and gp.status == PassStatus.FIRST_GATE):
            _pass_through(gp, now, exc.event.weight, stage=stage)
    audit.record(exc, code="operations.gateexception." + ("released" if release else "held"), by=by,
                 changes={"state": ["open", exc.state]}, message=reason)
    return exc
