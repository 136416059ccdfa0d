"""Every write of the enterprise-service app, audited in the same transaction.

Requests (诉求), domain doc §4.2: ``receive`` → ``dispatch`` → ``sign`` → ``stage_reply`` /
``request_extension`` + ``decide_extension`` → ``submit_result`` → ``review_result`` (unit head) →
``revisit`` (满意 / 基本满意 close; 不满意 and attributable reopens, not attributable closes with a
reason) → closed.  ``return_request`` (退单, reason required, a unit returns a request once),
``answer_directly`` (knowledge-base answer at intake), ``close`` (without revisit, result required),
``add_note`` (internal), ``remind`` (催办) and ``supervise`` (督办) complete it.

Clocks come from ``zonebook.sla``: the close clock (``service.request.close`` or ``.complex``) starts at
intake on the request; sign-off (``service.request.sign``, 1 wd) and first reply
(``service.request.reply``, 3 wd) start at each dispatch on the ``Assignment``; a reopened request
gets a ``service.request.redo`` clock on its new dispatch.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.accounts import units as org
from zonebook.accounts.choices import Role, ScopeLevel
from zonebook.accounts.models import Unit
from zonebook.audit import services as audit
from zonebook.core.errors import DomainError
from zonebook.sla import services as sla
from zonebook.sla.models import Deadline

from .models import (
    Assignment,
    Category,
    Channel,
    EventKind,
    Extension,
    Liaison,
    RequestEvent,
    Responsibility,
    Satisfaction,
    ServiceRequest,
    Status,
    Visit,
)

# Roles of the office side (受理派单 / 督办): they take in, dispatch, revisit and close within their scope.
OFFICE_ROLES = (Role.ZONE_STAFF, Role.ZONE_LEADER, Role.CITY, Role.PROVINCE, Role.SYSTEM_ADMIN)
POLICY_CLOSE = "service.request.close"
POLICY_COMPLEX = "service.request.complex"
POLICY_SIGN = "service.request.sign"
POLICY_REPLY = "service.request.reply"
POLICY_REDO = "service.request.redo"
DEFAULT_EXTENSION_CAP = 10  # working days in total per request (Shandong 2020, domain doc §4.3)


def extension_cap() -> int:
    return int(settings.ZONEBOOK.get("SERVICE_EXTENSION_CAP_DAYS", DEFAULT_EXTENSION_CAP))


def is_office(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in OFFICE_ROLES))


def is_enterprise_user(user) -> bool:
    return bool(user and user.is_authenticated and user.scope_level == ScopeLevel.ENTERPRISE)


def _require_office(user) -> None:
    if not is_office(user):
        raise DomainError(_("Only the service office may do this."), code="not_office")


def _now(at=None) -> dt.datetime:
    return at or timezone.now()


# ------------------------------------------------------------------ units


def units_for_zone(zone):
    """The units a request of ``zone`` may be dispatched to: the zone's own units and the city and
    provincial units whose region holds the zone (current, active)."""
    return Unit.objects.current().filter(
        Q(scope_level=ScopeLevel.ZONE, zone=zone)
        | Q(scope_level=ScopeLevel.CITY, city_code=zone.city_code)
        | Q(scope_level=ScopeLevel.PROVINCE, province_code=zone.province_code)
    )


def propose_unit(category: Category, zone) -> Unit | None:
    """The handling unit the responsibility table proposes: the subcategory's rows first, then the
    category's, by priority — the first unit that lies within the zone."""
    allowed = units_for_zone(zone).values("pk")
    for cat in (category, category.parent) if category.parent_id else (category,):
        row = (
            Responsibility.objects.filter(category=cat, unit__in=allowed)
            .select_related("unit")
            .order_by("priority", "unit__name")
            .first()
        )
        if row is not None:
            return row.unit
    return None


def _member_of(user, unit: Unit) -> bool:
    if user.is_superuser:
        return True
    if unit.head_id == user.pk:
        return True
    return org.units_for(user).filter(pk=unit.pk).exists()


def _may_review(user, unit: Unit) -> bool:
    """The unit head (or a leader in charge) signs off results (审核); a unit without either on record
    (an outside body) has its results reviewed by the service office."""
    if user.is_superuser:
        return True
    head = org.unit_head(unit)
    if head is not None and head.pk == user.pk:
        return True
    leaders = org.unit_leaders(unit)
    if head is None and not leaders:
        return is_office(user)
    return any(u.pk == user.pk for u in leaders)


# ------------------------------------------------------------------ helpers


def _event(req: ServiceRequest, kind: str, by, *, text: str = "", unit=None, internal: bool = False,
           next_date=None, at=None) -> RequestEvent:
    return RequestEvent.objects.create(
        request=req, kind=kind, actor=by if getattr(by, "is_authenticated", False) else None,
        text=text, unit=unit, internal=internal, next_date=next_date, at=_now(at),
    )


def _locked(req: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.select_for_update(of=("self",)).select_related("zone", "category", "lead_unit").get(pk=req.pk)


def _expect(req: ServiceRequest, *statuses) -> None:
    if req.status not in statuses:
        raise DomainError(
            _("This step is not possible while the request is “%(status)s”.") % {"status": req.get_status_display()},
            code="wrong_status",
        )


def _set_status(req: ServiceRequest, status: str, by, code: str, *, message: str = "", **fields) -> None:
    old = req.status
    changes = {"status": [old, status]}
    for name, value in fields.items():
        changes[name] = [audit._plain(getattr(req, name)), audit._plain(value)]
        setattr(req, name, value)
    req.status = status
    req.save(update_fields=["status", *fields])
    audit.record(req, code=code, by=by, changes=changes, message=message)


def deadlines_of(obj) -> dict[str, Deadline]:
    ct = ContentType.objects.get_for_model(obj)
    return {d.policy.key: d for d in Deadline.objects.filter(content_type=ct, object_id=obj.pk).select_related("policy")}


def _stop(obj, key: str, *, at, reason: str, by) -> Deadline | None:
    d = deadlines_of(obj).get(key)
    if d is not None and d.state != Deadline.State.STOPPED:
        return sla.stop(d, at=at, reason=reason, by=by)
    return d


def current_assignment(req: ServiceRequest) -> Assignment | None:
    return req.assignments.exclude(state=Assignment.State.RETURNED).order_by("-dispatched_at", "-id").first()


def _close_clock(req: ServiceRequest) -> Deadline | None:
    """The running clock the request's "due" shows: the redo clock of a reopened request, else the close clock."""
    if req.clock_policy == POLICY_REDO:
        a = current_assignment(req)
        return deadlines_of(a).get(POLICY_REDO) if a else None
    return deadlines_of(req).get(req.clock_policy) if req.clock_policy else None


def _next_number(at: dt.datetime) -> str:
    year = timezone.localtime(at).year
    prefix = f"SQ{year}"
    last = ServiceRequest.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    seq = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{seq:06d}"


# ------------------------------------------------------------------ intake


@transaction.atomic
def receive(*, enterprise, category: Category, title: str, description: str, by, channel: str = "",
            contact_name: str = "", contact_phone: str = "", visit: Visit | None = None, at=None) -> ServiceRequest:
    """受理: record a request.  An enterprise user files for its own enterprise (channel "enterprise");
    the office records requests from liaisons, the counter, the phone or visits and becomes the first
    receiver (首问负责) until the request is dispatched.  The close clock starts now."""
    at = _now(at)
    if is_enterprise_user(by):
        if by.enterprise_id != enterprise.pk:
            raise DomainError(_("You may file requests for your own enterprise only."), code="not_own_enterprise")
        channel = Channel.ENTERPRISE
    else:
        _require_office(by)
        if channel == Channel.ENTERPRISE or channel not in Channel.values:
            raise DomainError(_("Choose how the request came in."), code="channel", field="channel")
    if not category.active:
        raise DomainError(_("This category is no longer in use."), code="category_inactive", field="category")
    if not (title or "").strip():
        raise DomainError(_("Give the request a subject."), code="required", field="title")
    if not (description or "").strip():
        raise DomainError(_("Describe the request."), code="required", field="description")
    first = by if is_office(by) else _first_liaison(enterprise, at.date())
    policy = POLICY_COMPLEX if category.top.complex or category.complex else POLICY_CLOSE
    for _attempt in range(3):
        try:
            with transaction.atomic():
                req = ServiceRequest.objects.create(
                    number=_next_number(at), enterprise=enterprise, zone=enterprise.zone, category=category,
                    province_code=enterprise.zone.province_code, city_code=enterprise.zone.city_code,
                    title=title.strip()[:200], description=description.strip(), channel=channel,
                    contact_name=contact_name, contact_phone=contact_phone, received_at=at, received_by=by,
                    first_receiver=first, visit=visit, clock_policy=policy,
                )
            break
        except IntegrityError:  # two intakes took the same number: take the next one
            continue
    else:  # pragma: no cover - three collisions in a row
        raise DomainError(_("The request could not be numbered; please try again."), code="number")
    d = sla.start_clock(req, policy, started_at=at, handler=first, by=by)
    req.due_at = d.due_at
    req.save(update_fields=["due_at"])
    audit.record(req, code="service.request.received", by=by, action="create",
                 changes=audit.diff({}, audit.snapshot(req, ["number", "enterprise", "category", "channel", "title"])))
    _event(req, EventKind.RECEIVED, by, text=req.get_channel_display(), at=at)
    return req


def _first_liaison(enterprise, day):
    row = (
        Liaison.objects.filter(enterprise=enterprise, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("role", "valid_from")  # "leader" sorts before "staff"
        .select_related("officer")
        .first()
    )
    return row.officer if row else None


@transaction.atomic
def answer_directly(req: ServiceRequest, *, result: str, by, at=None) -> ServiceRequest:
    """Answer at intake (policy question, knowledge base): straight to revisit."""
    _require_office(by)
    req = _locked(req)
    _expect(req, Status.RECEIVED)
    if not (result or "").strip():
        raise DomainError(_("Write the answer given to the enterprise."), code="result_required", field="result")
    at = _now(at)
    _stop(req, req.clock_policy, at=at, reason="answered", by=by)
    _set_status(req, Status.REVISIT, by, "service.request.answered", result=result.strip(), result_at=at, solved=True)
    _event(req, EventKind.DIRECT_ANSWER, by, text=result.strip(), at=at)
    return req


# ------------------------------------------------------------------ dispatch and handling


@transaction.atomic
def dispatch(req: ServiceRequest, *, lead_unit: Unit, co_units=(), by, note: str = "", at=None) -> Assignment:
    """派单: to one lead unit plus co-handlers, all within the request's zone (``units_for_zone``).
    Sign-off (1 wd) and first-reply (3 wd) clocks start on the dispatch."""
    _require_office(by)
    req = _locked(req)
    _expect(req, Status.RECEIVED)
    at = _now(at)
    allowed = set(units_for_zone(req.zone).values_list("pk", flat=True))
    co_units = [u for u in co_units if u.pk != lead_unit.pk]
    for unit in [lead_unit, *co_units]:
        if unit.pk not in allowed:
            raise DomainError(
                _("%(unit)s is not a unit of this zone; dispatch only to the zone's units or the city and province above it.")
                % {"unit": unit}, code="unit_outside_zone", field="lead_unit",
            )
    a = Assignment.objects.create(request=req, lead_unit=lead_unit, dispatched_at=at, dispatched_by=by)
    a.co_units.set(co_units)
    handler = org.unit_head(lead_unit)
    sla.start_clock(a, POLICY_SIGN, started_at=at, handler=handler, by=by)
    sla.start_clock(a, POLICY_REPLY, started_at=at, handler=handler, by=by)
    audit.record(a, code="service.assignment.created", by=by, action="create",
                 changes={"lead_unit": [None, lead_unit.pk], "co_units": [[], [u.pk for u in co_units]]})
    _set_status(req, Status.DISPATCHED, by, "service.request.dispatched", lead_unit=lead_unit)
    text = str(lead_unit) + ("；" + _("co-handlers: %(units)s") % {"units": "、".join(str(u) for u in co_units)} if co_units else "")
    _event(req, EventKind.DISPATCHED, by, text=(text + ("\n" + note if note else "")), unit=lead_unit, at=at)
    _notify_unit(lead_unit, "service.dispatched", req, by)
    return a


def _assignment(req: ServiceRequest) -> Assignment:
    a = current_assignment(req)
    if a is None:
        raise DomainError(_("The request has not been dispatched."), code="not_dispatched")
    return a


def _require_lead(req: ServiceRequest, by) -> Assignment:
    a = _assignment(req)
    if not _member_of(by, a.lead_unit):
        raise DomainError(_("Only the lead unit may do this."), code="not_lead_unit")
    return a


@transaction.atomic
def sign(req: ServiceRequest, *, by, at=None) -> ServiceRequest:
    """签收 by the lead unit: the sign-off clock stops."""
    req = _locked(req)
    _expect(req, Status.DISPATCHED)
    a = _require_lead(req, by)
    at = _now(at)
    a.state, a.signed_at, a.signed_by = Assignment.State.SIGNED, at, by
    a.save(update_fields=["state", "signed_at", "signed_by"])
    _stop(a, POLICY_SIGN, at=at, reason="signed", by=by)
    _set_status(req, Status.IN_PROGRESS, by, "service.request.signed")
    _event(req, EventKind.SIGNED, by, unit=a.lead_unit, at=at)
    return req


@transaction.atomic
def return_request(req: ServiceRequest, *, reason: str, by, at=None) -> ServiceRequest:
    """退单: the lead unit returns the request with a reason (not its duty); it goes back to the office.
    Dispute rule: a unit returns a request once; a second dispatch to the same unit is final."""
    req = _locked(req)
    _expect(req, Status.DISPATCHED)
    a = _require_lead(req, by)
    if not (reason or "").strip():
        raise DomainError(_("Give the reason for returning the request."), code="reason_required", field="reason")
    if req.assignments.filter(lead_unit=a.lead_unit, state=Assignment.State.RETURNED).exists():
        raise DomainError(
            _("This unit returned the request once already; the office's second dispatch is final."),
            code="return_disputed",
        )
    at = _now(at)
    a.state, a.returned_at, a.return_reason = Assignment.State.RETURNED, at, reason.strip()
    a.save(update_fields=["state", "returned_at", "return_reason"])
    for key in (POLICY_SIGN, POLICY_REPLY, POLICY_REDO):
        _stop(a, key, at=at, reason="returned", by=by)
    _set_status(req, Status.RECEIVED, by, "service.request.returned", message=reason, lead_unit=None)
    _event(req, EventKind.RETURNED, by, text=reason.strip(), unit=a.lead_unit, at=at)
    return req


@transaction.atomic
def stage_reply(req: ServiceRequest, *, text: str, by, next_date=None, at=None) -> RequestEvent:
    """阶段答复 of the lead unit (with the next checkpoint), or a co-handler's reply to the lead."""
    req = _locked(req)
    _expect(req, Status.IN_PROGRESS, Status.EXTENSION_PENDING)
    a = _assignment(req)
    if not (text or "").strip():
        raise DomainError(_("Write the reply."), code="required", field="text")
    at = _now(at)
    if _member_of(by, a.lead_unit):
        _stop(a, POLICY_REPLY, at=at, reason="replied", by=by)
        ev = _event(req, EventKind.STAGE_REPLY, by, text=text.strip(), unit=a.lead_unit, next_date=next_date, at=at)
    else:
        co = next((u for u in a.co_units.all() if _member_of(by, u)), None)
        if co is None:
            raise DomainError(_("Only the lead unit or a co-handling unit may reply."), code="not_handler")
        ev = _event(req, EventKind.CO_REPLY, by, text=text.strip(), unit=co, at=at)
    audit.record(req, code="service.request.replied", by=by, message=text.strip()[:200])
    return ev


@transaction.atomic
def add_note(req: ServiceRequest, *, text: str, by, at=None) -> RequestEvent:
    """An internal note (office and units only; never shown to the enterprise)."""
    if is_enterprise_user(by):
        raise DomainError(_("Only the office and the handling units may write internal notes."), code="not_office")
    if not (text or "").strip():
        raise DomainError(_("Write the note."), code="required", field="text")
    ev = _event(req, EventKind.NOTE, by, text=text.strip(), internal=True, at=at)
    audit.record(req, code="service.request.noted", by=by)
    return ev


@transaction.atomic
def request_extension(req: ServiceRequest, *, days: int, reason: str, by, at=None) -> Extension:
    """延期申请 by the lead unit, before the deadline; the total stays within the cap."""
    req = _locked(req)
    _expect(req, Status.IN_PROGRESS)
    _require_lead(req, by)
    at = _now(at)
    if not (reason or "").strip():
        raise DomainError(_("Give the reason for the extension."), code="reason_required", field="reason")
    if days is None or days < 1:
        raise DomainError(_("Ask for at least one working day."), code="invalid", field="days")
    cap = extension_cap()
    if req.extension_days + days > cap:
        raise DomainError(
            _("Extensions are capped at %(cap)s working days per request; %(used)s are already approved.")
            % {"cap": cap, "used": req.extension_days}, code="extension_cap", field="days",
        )
    if req.due_at and at > req.due_at:
        raise DomainError(_("An extension must be asked for before the deadline."), code="extension_late")
    ext = Extension.objects.create(request=req, days=days, reason=reason.strip(), requested_at=at, requested_by=by)
    audit.record(ext, code="service.extension.requested", by=by, action="create", changes={"days": [None, days]})
    _set_status(req, Status.EXTENSION_PENDING, by, "service.request.extension_requested")
    _event(req, EventKind.EXTENSION_REQUESTED, by, text=f"+{days}: {reason.strip()}", unit=req.lead_unit, at=at)
    return ext


@transaction.atomic
def decide_extension(ext: Extension, *, approve: bool, by, note: str = "", at=None) -> Extension:
    """The office approves (the deadline moves out in the SLA engine; the enterprise sees it) or denies."""
    _require_office(by)
    req = _locked(ext.request)
    ext = Extension.objects.select_for_update().get(pk=ext.pk)
    if ext.state != Extension.State.PENDING:
        raise DomainError(_("This extension has been decided already."), code="decided")
    at = _now(at)
    if approve and req.extension_days + ext.days > extension_cap():
        raise DomainError(_("Extensions are capped at %(cap)s working days per request; %(used)s are already approved.")
                          % {"cap": extension_cap(), "used": req.extension_days}, code="extension_cap")
    ext.state = Extension.State.APPROVED if approve else Extension.State.DENIED
    ext.decided_at, ext.decided_by, ext.decision_note = at, by, note[:300]
    ext.save(update_fields=["state", "decided_at", "decided_by", "decision_note"])
    audit.record(ext, code="service.extension.decided", by=by, changes={"state": ["pending", ext.state]}, message=note)
    fields = {}
    if approve:
        clock = _close_clock(req)
        if clock is not None and clock.state != Deadline.State.STOPPED:
            clock = sla.extend(clock, ext.days, reason=ext.reason[:150], by=by)
            fields["due_at"] = clock.due_at
        fields["extension_days"] = req.extension_days + ext.days
    _set_status(req, Status.IN_PROGRESS, by, "service.request.extension_decided", **fields)
    kind = EventKind.EXTENSION_APPROVED if approve else EventKind.EXTENSION_DENIED
    text = note or ""
    if approve and req.due_at:
        text = (_("New deadline %(date)s.") % {"date": timezone.localtime(req.due_at).strftime("%Y-%m-%d")} + " " + text).strip()
    _event(req, kind, by, text=text, at=at)
    return ext


@transaction.atomic
def submit_result(req: ServiceRequest, *, result: str, solved: bool, by, at=None) -> ServiceRequest:
    """办理结果 of the lead unit, to its head for sign-off (审核)."""
    req = _locked(req)
    _expect(req, Status.IN_PROGRESS)
    a = _require_lead(req, by)
    if not (result or "").strip():
        raise DomainError(_("Write the result."), code="result_required", field="result")
    at = _now(at)
    _stop(a, POLICY_REPLY, at=at, reason="result", by=by)
    _set_status(req, Status.RESULT_REVIEW, by, "service.request.result", result=result.strip(), solved=bool(solved), result_at=at)
    _event(req, EventKind.RESULT, by, text=result.strip(), unit=a.lead_unit, at=at)
    return req


@transaction.atomic
def review_result(req: ServiceRequest, *, accept: bool, by, note: str = "", at=None) -> ServiceRequest:
    """The unit head accepts the result (the handling clock stops; to revisit) or sends it back."""
    req = _locked(req)
    _expect(req, Status.RESULT_REVIEW)
    a = _assignment(req)
    if not _may_review(by, a.lead_unit):
        raise DomainError(_("Only the head or the leader in charge of the lead unit reviews results."), code="not_unit_head")
    at = _now(at)
    if accept:
        a.state = Assignment.State.DONE
        a.save(update_fields=["state"])
        clock = _close_clock(req)
        if clock is not None and clock.state != Deadline.State.STOPPED:
            sla.stop(clock, at=at, reason="result accepted", by=by)
        _set_status(req, Status.REVISIT, by, "service.request.result_accepted")
        _event(req, EventKind.RESULT_ACCEPTED, by, text=note, unit=a.lead_unit, at=at)
    else:
        if not note.strip():
            raise DomainError(_("Say what is missing in the result."), code="reason_required", field="note")
        _set_status(req, Status.IN_PROGRESS, by, "service.request.result_rejected", message=note)
        _event(req, EventKind.RESULT_REJECTED, by, text=note, unit=a.lead_unit, at=at)
    return req


def _finish(req: ServiceRequest, by, at, code: str, **fields) -> None:
    clock = _close_clock(req)
    on_time = None
    if clock is not None:
        end = clock.stopped_at or at
        on_time = end <= clock.due_at
        if clock.state != Deadline.State.STOPPED:
            sla.stop(clock, at=at, reason="closed", by=by)
    _set_status(req, Status.CLOSED, by, code, closed_at=at, closed_on_time=on_time, **fields)


@transaction.atomic
def revisit(req: ServiceRequest, *, satisfaction: str, by, attributable: bool | None = None, reason: str = "",
            at=None) -> ServiceRequest:
    """回访: 满意 / 基本满意 close the request; 不满意 needs a reason, and reopens it (重办, to the same
    lead unit with a redo clock) when the cause lies with the unit, else closes it flagged."""
    _require_office(by)
    req = _locked(req)
    _expect(req, Status.REVISIT)
    if satisfaction not in Satisfaction.values:
        raise DomainError(_("Choose the enterprise's satisfaction."), code="required", field="satisfaction")
    at = _now(at)
    if satisfaction != Satisfaction.UNSATISFIED:
        _finish(req, by, at, "service.request.closed", satisfaction=satisfaction, revisited_at=at)
        _event(req, EventKind.REVISITED, by, text=Satisfaction(satisfaction).label + (f"：{reason}" if reason else ""), at=at)
        _event(req, EventKind.CLOSED, by, at=at)
        return req
    if not (reason or "").strip():
        raise DomainError(_("Give the reason the enterprise is unsatisfied."), code="reason_required", field="reason")
    if attributable is None:
        raise DomainError(_("Say whether the cause lies with the handling unit."), code="required", field="attributable")
    _event(req, EventKind.REVISITED, by, text=f"{Satisfaction.UNSATISFIED.label}：{reason.strip()}", at=at)
    if not attributable:
        _finish(req, by, at, "service.request.closed", satisfaction=satisfaction, revisited_at=at, not_attributable=True)
        _event(req, EventKind.CLOSED, by, text=_("Closed: not attributable to the handling unit."), at=at)
        return req
    last = req.assignments.exclude(state=Assignment.State.RETURNED).order_by("-dispatched_at", "-id").first()
    if last is None:  # answered directly at intake: back to the office for dispatch
        _set_status(req, Status.RECEIVED, by, "service.request.reopened", satisfaction=satisfaction,
                    revisited_at=at, reopen_count=req.reopen_count + 1, result="", solved=None)
        _event(req, EventKind.REOPENED, by, text=reason.strip(), at=at)
        return req
    a = Assignment.objects.create(request=req, lead_unit=last.lead_unit, redo=True, dispatched_at=at, dispatched_by=by)
    a.co_units.set(last.co_units.all())
    handler = org.unit_head(last.lead_unit)
    sla.start_clock(a, POLICY_SIGN, started_at=at, handler=handler, by=by)
    d = sla.start_clock(a, POLICY_REDO, started_at=at, handler=handler, by=by)
    audit.record(a, code="service.assignment.created", by=by, action="create", changes={"redo": [None, True]})
    _set_status(req, Status.DISPATCHED, by, "service.request.reopened", satisfaction=satisfaction, revisited_at=at,
                reopen_count=req.reopen_count + 1, clock_policy=POLICY_REDO, due_at=d.due_at, lead_unit=last.lead_unit)
    _event(req, EventKind.REOPENED, by, text=reason.strip(), unit=last.lead_unit, at=at)
    _notify_unit(last.lead_unit, "service.dispatched", req, by)
    return req


@transaction.atomic
def close(req: ServiceRequest, *, by, note: str = "", at=None) -> ServiceRequest:
    """销号 without a revisit (the enterprise could not be reached): a result is required."""
    _require_office(by)
    req = _locked(req)
    if not req.result.strip():
        raise DomainError(_("A request cannot be closed without a result."), code="result_required")
    _expect(req, Status.REVISIT)
    at = _now(at)
    _finish(req, by, at, "service.request.closed")
    _event(req, EventKind.CLOSED, by, text=note, at=at)
    return req


# ------------------------------------------------------------------ supervision


@transaction.atomic
def remind(req: ServiceRequest, *, by, text: str = "", at=None) -> RequestEvent:
    """催办: a reminder to the lead unit (its head and members are notified)."""
    _require_office(by)
    _expect(req, *[s for s in Status.values if s not in (Status.CLOSED, Status.RECEIVED, Status.REVISIT)])
    ev = _event(req, EventKind.REMINDED, by, text=text, unit=req.lead_unit, internal=True, at=at)
    audit.record(req, code="service.request.reminded", by=by, message=text)
    if req.lead_unit_id:
        _notify_unit(req.lead_unit, "service.reminder", req, by)
    return ev


@transaction.atomic
def supervise(req: ServiceRequest, *, by, on: bool = True, reason: str = "") -> ServiceRequest:
    """督办: the request's clock is marked supervised in the SLA engine (an overlay)."""
    _require_office(by)
    clock = _close_clock(req)
    if clock is None:
        raise DomainError(_("The request has no running deadline."), code="no_clock")
    sla.supervise(clock, on=on, reason=reason, by=by)
    _event(req, EventKind.SUPERVISED, by, text=reason, internal=True)
    return req


def _notify_unit(unit: Unit, kind: str, req: ServiceRequest, by) -> None:
    from zonebook.notify.services import notify

    ids: set[int] = set()
    head = org.unit_head(unit)
    if head is not None:
        ids.add(head.pk)
    from zonebook.accounts.models import UnitMembership

    ids.update(UnitMembership.objects.filter(unit=unit, user__is_active=True).values_list("user_id", flat=True))
    if ids:
        notify(sorted(ids), kind, {"number": req.number, "title": req.title}, obj=req, by=by,
               dedupe_key=f"{kind}:{req.pk}:{timezone.now().isoformat()}")


# ------------------------------------------------------------------ liaisons (定点联系)


@transaction.atomic
def assign_liaison(*, enterprise, officer, role: str, valid_from: dt.date, by, note: str = "") -> Liaison:
    """定点联系: assign an office officer to an enterprise from ``valid_from`` (history is kept)."""
    _require_office(by)
    if not is_office(officer):
        raise DomainError(_("A liaison must be an officer of the service office."), code="not_office", field="officer")
    if Liaison.objects.filter(enterprise=enterprise, officer=officer, valid_to__isnull=True).exists():
        raise DomainError(_("This officer is already a liaison of the enterprise."), code="duplicate", field="officer")
    return audit.create(Liaison, {"enterprise": enterprise, "officer": officer, "role": role,
                                  "valid_from": valid_from, "note": note}, by=by, code="service.liaison.assigned")


@transaction.atomic
def end_liaison(liaison: Liaison, *, valid_to: dt.date, by) -> Liaison:
    _require_office(by)
    if liaison.valid_to is not None:
        raise DomainError(_("This assignment has ended already."), code="ended")
    if valid_to < liaison.valid_from:
        raise DomainError(_("The end lies before the start."), code="invalid", field="valid_to")
    return audit.update(liaison, {"valid_to": valid_to}, by=by, code="service.liaison.ended")


# ------------------------------------------------------------------ visits (走访 / 园区巡查)


def parse_problems(text: str) -> list[tuple[Category, str]]:
    """Lines "CODE problem" → (category, problem); an unknown code is an error naming the line."""
    out = []
    cats = {c.code.upper(): c for c in Category.objects.filter(active=True)}
    for n, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        code, _sep, rest = line.partition(" ")
        cat = cats.get(code.upper())
        if cat is None or not rest.strip():
            raise DomainError(
                _("Line %(n)s: start with a category code (%(codes)s), then the problem.")
                % {"n": n, "codes": ", ".join(sorted(cats))}, code="problem_line", field="problems",
            )
        out.append((cat, rest.strip()))
    return out


@transaction.atomic
def record_visit(*, date: dt.date, kind: str, officers, enterprises, by, topics: str = "", findings: str = "",
                 problems: list[tuple[Category, str]] = (), zone=None) -> Visit:
    """Record a visit or patrol; each problem raised becomes a request of the visited enterprise
    (channel "visit"; with several enterprises, the problem goes to the first)."""
    _require_office(by)
    enterprises = list(enterprises)
    officers = list(officers)
    if not officers:
        raise DomainError(_("Name at least one officer."), code="required", field="officers")
    zones = {e.zone_id for e in enterprises}
    if len(zones) > 1:
        raise DomainError(_("Record one visit per zone."), code="zones", field="enterprises")
    if enterprises:
        zone = enterprises[0].zone
    zone = zone or getattr(by, "zone", None)
    if zone is None:
        raise DomainError(_("Choose the enterprises visited."), code="required", field="enterprises")
    if problems and not enterprises:
        raise DomainError(_("Problems need the enterprise that raised them."), code="required", field="enterprises")
    if date > timezone.localdate():
        raise DomainError(_("A visit cannot lie in the future."), code="future", field="date")
    visit = Visit.objects.create(zone=zone, date=date, kind=kind, topics=topics, findings=findings, created_by=by)
    visit.officers.set(officers)
    visit.enterprises.set(enterprises)
    audit.record(visit, code="service.visit.created", by=by, action="create",
                 changes={"date": [None, date.isoformat()], "kind": [None, kind],
                          "enterprises": [[], [e.pk for e in enterprises]], "officers": [[], [u.pk for u in officers]]})
    at = timezone.make_aware(dt.datetime.combine(date, dt.time(17, 0))) if date < timezone.localdate() else None
    for category, text in problems:
        receive(enterprise=enterprises[0], category=category, title=text[:200], description=text, by=by,
                channel=Channel.VISIT, visit=visit, at=at)
    return visit


# ------------------------------------------------------------------ joint meetings (联席会议)


@transaction.atomic
def record_meeting(*, zone, date: dt.date, title: str, units, minutes: str, decisions, by):
    """Record a joint meeting; each decision (text, lead unit, deadline) becomes a tracked task.  The
    lead units must be among the zone's units (``units_for_zone``)."""
    from .models import JointMeeting, MeetingDecision

    _require_office(by)
    if not (title or "").strip():
        raise DomainError(_("Give the meeting a title."), code="required", field="title")
    allowed = set(units_for_zone(zone).values_list("pk", flat=True))
    units = list(units)
    for _text, unit, due in decisions:
        if unit.pk not in allowed:
            raise DomainError(
                _("%(unit)s is not a unit of this zone; dispatch only to the zone's units or the city and province above it.")
                % {"unit": unit}, code="unit_outside_zone", field="decisions",
            )
        if due < date:
            raise DomainError(_("A decision's deadline lies before the meeting."), code="invalid", field="decisions")
    meeting = JointMeeting.objects.create(zone=zone, date=date, title=title.strip(), minutes=minutes, created_by=by)
    meeting.units.set(units)
    audit.record(meeting, code="service.meeting.created", by=by, action="create",
                 changes={"title": [None, meeting.title], "units": [[], [u.pk for u in units]]})
    for text, unit, due in decisions:
        d = MeetingDecision.objects.create(meeting=meeting, text=text.strip(), lead_unit=unit, due_date=due)
        audit.record(d, code="service.decision.created", by=by, action="create",
                     changes={"lead_unit": [None, unit.pk], "due_date": [None, due.isoformat()]})
    return meeting


@transaction.atomic
def complete_decision(decision, *, result: str, by, at=None):
    """A decision is done: the lead unit (or the office) reports the result."""
    if not (is_office(by) or _member_of(by, decision.lead_unit)):
        raise DomainError(_("Only the lead unit may do this."), code="not_lead_unit")
    if decision.done_at is not None:
        raise DomainError(_("This decision is done already."), code="done")
    if not (result or "").strip():
        raise DomainError(_("Write the result."), code="result_required", field="result")
    return audit.update(decision, {"done_at": _now(at), "result": result.strip()}, by=by, code="service.decision.done")
