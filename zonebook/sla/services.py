"""SLA service functions: every write of the SLA engine, audited in the same transaction.

Clocks: ``start_clock``, ``pause``, ``resume``, ``stop``, ``recompute``; reading: ``status`` and
``light``; the escalation run ``run_escalations(now)`` (a plain callable the scheduler registers);
calendar administration: ``add_override``, ``remove_override``, ``confirm_year``.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import CharField, DateTimeField, F, JSONField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core import context
from zonebook.notify import lights

from . import calc, hooks, workcal
from .models import (
    CalendarOverride,
    CalendarYear,
    Deadline,
    Escalation,
    EscalationStep,
    PauseInterval,
    SlaPolicy,
    Unit,
)

log = logging.getLogger("zonebook.sla")

END_OF_DAY = dt.time(23, 59, 59)


class SlaError(ValidationError):
    """A clock operation that does not fit the clock's state (pausing a paused clock…)."""


# ------------------------------------------------------------------ time arithmetic


def _base(unit: str, amount: int) -> int:
    """An amount of policy units in base units: days, or minutes for working hours."""
    return amount * 60 if unit == Unit.WORKING_HOURS else amount


def _shift(cal: calc.WorkCalendar, unit: str, moment: dt.datetime, amount: int) -> dt.datetime:
    """``moment`` (local, aware) shifted by ``amount`` base units.  Day units land at the end of the
    resulting day (the whole due day counts)."""
    if unit == Unit.WORKING_HOURS:
        return cal.add_working_minutes(moment, amount)
    if unit == Unit.WORKING_DAYS:
        day = cal.add_working_days(moment.date(), amount)
    else:
        day = moment.date() + dt.timedelta(days=amount)
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=moment.tzinfo)


def _extent(cal: calc.WorkCalendar, unit: str, a: dt.datetime, b: dt.datetime) -> int:
    """Base units from ``a`` to ``b`` (a pause's length, or the time left)."""
    if unit == Unit.WORKING_HOURS:
        return cal.working_minutes_between(a, b)
    if unit == Unit.WORKING_DAYS:
        return cal.working_days_between(a.date(), b.date())
    return (b.date() - a.date()).days


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else timezone.make_aware(moment)


def _compute(cal, policy: SlaPolicy, started_at: dt.datetime, pauses) -> tuple[dt.datetime, dt.datetime, bool]:
    """(due_at, legal_due_at, provisional) from the start, the policy and the closed pauses."""
    start = _local(started_at)
    paused = sum(_extent(cal, policy.unit, _local(p.paused_at), _local(p.resumed_at)) for p in pauses if p.resumed_at)
    due = _shift(cal, policy.unit, start, _base(policy.unit, policy.limit) + paused)
    legal = _shift(cal, policy.unit, start, _base(policy.unit, policy.legal_limit) + paused)
    provisional = policy.unit != Unit.CALENDAR_DAYS and cal.provisional_between(start.date(), max(due, legal).date())
    return due, legal, provisional


def _schedule_escalations(cal, deadline: Deadline) -> None:
    """(Re)schedule the pending escalation steps of ``deadline`` from its current due time."""
    policy = deadline.policy
    done = set(deadline.escalations.exclude(state=Escalation.State.PENDING).values_list("step_id", flat=True))
    deadline.escalations.filter(state=Escalation.State.PENDING).delete()
    due = _local(deadline.due_at)
    Escalation.objects.bulk_create(
        Escalation(
            deadline=deadline,
            step=step,
            target=step.target,
            fire_at=_shift(cal, policy.unit, due, _base(policy.unit, step.delay)),
        )
        for step in policy.steps.all()
        if step.pk not in done
    )


# ------------------------------------------------------------------ clocks


def _item_scope(obj) -> dict:
    fn = getattr(obj, "audit_scope", None)
    scope = fn() if callable(fn) else {}
    return {
        "province_code": scope.get("province") or "",
        "city_code": scope.get("city") or "",
        "zone_id": scope.get("zone"),
        "enterprise_id": scope.get("enterprise"),
    }


@transaction.atomic
def start_clock(obj, policy: SlaPolicy | str, *, started_at: dt.datetime | None = None, handler=None, by=None) -> Deadline:
    """Start the clock of ``obj`` (any model instance) under ``policy`` (or its key)."""
    if isinstance(policy, str):
        policy = SlaPolicy.objects.get(key=policy, active=True)
    started_at = started_at or timezone.now()
    cal = workcal.get_calendar()
    due, legal, provisional = _compute(cal, policy, started_at, [])
    deadline = Deadline.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        policy=policy,
        handler=handler,
        started_at=started_at,
        due_at=due,
        legal_due_at=legal,
        provisional=provisional,
        **_item_scope(obj),
    )
    _schedule_escalations(cal, deadline)
    audit.record(
        deadline, code="sla.deadline.started", by=by, action=AuditEntry.Action.CREATE,
        changes=audit.diff({}, audit.snapshot(deadline, ["policy", "started_at", "due_at", "legal_due_at", "provisional"])),
    )
    return deadline


def _locked(deadline: Deadline) -> Deadline:
    return Deadline.objects.select_for_update().select_related("policy").get(pk=deadline.pk)


@transaction.atomic
def pause(deadline: Deadline, *, at: dt.datetime | None = None, reason: str = "", by=None) -> Deadline:
    """补正/中止: stop the clock until ``resume``.  Pausing a paused or stopped clock is refused."""
    d = _locked(deadline)
    if d.state == Deadline.State.PAUSED:
        raise SlaError(_("The clock is already paused."), code="already_paused")
    if d.state == Deadline.State.STOPPED:
        raise SlaError(_("The clock has been stopped."), code="stopped")
    at = at or timezone.now()
    PauseInterval.objects.create(deadline=d, paused_at=at, reason=reason)
    d.state = Deadline.State.PAUSED
    d.save(update_fields=["state"])
    audit.record(d, code="sla.deadline.paused", by=by, changes={"state": ["running", "paused"]}, message=reason)
    return d


@transaction.atomic
def resume(deadline: Deadline, *, at: dt.datetime | None = None, by=None) -> Deadline:
    """Restart a paused clock; the deadline moves out by the paused time (in the policy's unit)."""
    d = _locked(deadline)
    if d.state != Deadline.State.PAUSED:
        raise SlaError(_("The clock is not paused."), code="not_paused")
    at = at or timezone.now()
    d.pauses.filter(resumed_at__isnull=True).update(resumed_at=at)
    d.state = Deadline.State.RUNNING
    d.save(update_fields=["state"])
    before = d.due_at
    _recompute(d)
    audit.record(d, code="sla.deadline.resumed", by=by,
                 changes={"state": ["paused", "running"], "due_at": [before.isoformat(), d.due_at.isoformat()]})
    return d


@transaction.atomic
def stop(deadline: Deadline, *, at: dt.datetime | None = None, reason: str = "", by=None) -> Deadline:
    """Stop the clock for good (item decided, withdrawn…); pending escalations are cancelled."""
    d = _locked(deadline)
    if d.state == Deadline.State.STOPPED:
        raise SlaError(_("The clock has been stopped."), code="stopped")
    at = at or timezone.now()
    d.pauses.filter(resumed_at__isnull=True).update(resumed_at=at)
    old = d.state
    d.state, d.stopped_at, d.stop_reason = Deadline.State.STOPPED, at, reason[:200]
    d.save(update_fields=["state", "stopped_at", "stop_reason"])
    d.escalations.filter(state=Escalation.State.PENDING).update(state=Escalation.State.CANCELLED, done_at=at)
    audit.record(d, code="sla.deadline.stopped", by=by, changes={"state": [old, "stopped"]}, message=reason)
    return d


@transaction.atomic
def extend(deadline: Deadline, amount: int, *, reason: str = "", by=None) -> Deadline:
    """延期: move an open clock's deadline out by ``amount`` policy units (an approved extension).

    Kept as a closed interval from the current due time over ``amount`` units (reason ``extension: …``),
    so the due time is recomputed from the start, the limit and every interval like a pause, stays
    right after a calendar change, and the history shows each extension."""
    d = _locked(deadline)
    if d.state == Deadline.State.STOPPED:
        raise SlaError(_("The clock has been stopped."), code="stopped")
    if amount < 1:
        raise SlaError(_("An extension needs at least one unit of time."), code="invalid_extension")
    cal = workcal.get_calendar()
    due = _local(d.due_at)
    until = _shift(cal, d.policy.unit, due, _base(d.policy.unit, amount))
    PauseInterval.objects.create(deadline=d, paused_at=due, resumed_at=until, reason=f"extension: {reason}"[:200])
    before = d.due_at
    _recompute(d)
    audit.record(d, code="sla.deadline.extended", by=by, message=reason,
                 changes={"due_at": [before.isoformat(), d.due_at.isoformat()], "amount": amount})
    return d


@transaction.atomic
def supervise(deadline: Deadline, *, on: bool = True, reason: str = "", by=None) -> Deadline:
    """督办: mark (or unmark) a deadline as supervised — an overlay, the clock is unchanged."""
    d = _locked(deadline)
    if d.supervised != on:
        d.supervised = on
        d.save(update_fields=["supervised"])
        audit.record(d, code="sla.deadline.supervised", by=by, changes={"supervised": [not on, on]}, message=reason)
    return d


def _recompute(d: Deadline) -> dict:
    cal = workcal.get_calendar()
    due, legal, provisional = _compute(cal, d.policy, d.started_at, list(d.pauses.all()))
    changes = audit.diff(
        {"due_at": d.due_at, "legal_due_at": d.legal_due_at, "provisional": d.provisional},
        {"due_at": due, "legal_due_at": legal, "provisional": provisional},
    )
    if changes:
        d.due_at, d.legal_due_at, d.provisional = due, legal, provisional
        d.save(update_fields=["due_at", "legal_due_at", "provisional"])
    if d.state != Deadline.State.STOPPED:
        _schedule_escalations(cal, d)
    return changes


@transaction.atomic
def recompute(deadline: Deadline, *, by=None) -> dict:
    """Recompute the due times (after a calendar change); audited when they move."""
    d = _locked(deadline)
    changes = _recompute(d)
    if changes:
        audit.record(d, code="sla.deadline.recomputed", by=by, action=AuditEntry.Action.UPDATE,
                     changes={k: [audit._plain(a), audit._plain(b)] for k, (a, b) in changes.items()})
    return changes


def recompute_open(*, by=None, only_provisional: bool = False) -> int:
    """Recompute every open deadline (after the calendar changed); returns how many moved."""
    qs = Deadline.objects.exclude(state=Deadline.State.STOPPED)
    if only_provisional:
        qs = qs.filter(provisional=True)
    moved = 0
    for d in qs.iterator():
        moved += bool(recompute(d, by=by))
    return moved


# ------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Status:
    state: str
    due_at: dt.datetime
    remaining: int  # base units: days, or minutes for working hours
    total: int
    unit: str
    light: str
    overdue: bool
    provisional: bool
    escalated: bool
    supervised: bool


def remaining_at(policy: SlaPolicy, due_at: dt.datetime, at: dt.datetime, cal=None) -> int:
    """Base units (days; minutes for working hours) left from ``at`` to ``due_at`` by the policy's unit;
    at most -1 once ``at`` is past the due moment (overdue even on a day off or in the lunch break)."""
    remaining = _extent(cal or workcal.get_calendar(), policy.unit, _local(at), _local(due_at))
    return min(remaining, -1) if at > due_at else remaining


def light_at(policy: SlaPolicy, due_at: dt.datetime, at: dt.datetime, cal=None) -> tuple[int, str]:
    """``(remaining, light)`` of a clock of ``policy`` due at ``due_at``, read at ``at`` — the rule of
    ``status``, for lists that carry the due moment on their own rows (no Deadline query per row)."""
    remaining = remaining_at(policy, due_at, at, cal)
    return remaining, light_of(remaining, _base(policy.unit, policy.limit), policy.warn_pct, policy.red_pct)


def status(deadline: Deadline, now: dt.datetime | None = None) -> Status:
    """Remaining time, light and overlays of a deadline at ``now`` (a paused clock is read at the
    moment it was paused; a stopped one at the moment it stopped)."""
    now = now or timezone.now()
    policy = deadline.policy
    if deadline.state == Deadline.State.PAUSED:
        open_pause = deadline.pauses.filter(resumed_at__isnull=True).first()
        now = open_pause.paused_at if open_pause else now
    elif deadline.state == Deadline.State.STOPPED and deadline.stopped_at:
        now = deadline.stopped_at
    remaining, light_ = light_at(policy, deadline.due_at, now)
    total = _base(policy.unit, policy.limit)
    escalated = deadline.escalations.filter(state=Escalation.State.FIRED).exists()
    return Status(deadline.state, deadline.due_at, remaining, total, policy.unit, light_,
                  light_ == lights.OVERDUE, deadline.provisional, escalated, deadline.supervised)


def lights_many(deadlines, now: dt.datetime | None = None) -> dict[int, tuple[int, str]]:
    """``{deadline id: (remaining, light)}`` of many deadlines by the rule of ``status`` (a paused clock
    read when it was paused, a stopped one when it stopped) with one query for the open pauses, where
    ``status`` per deadline costs queries (lists and dashboards).  ``policy`` should be selected."""
    now = now or timezone.now()
    deadlines = list(deadlines)
    paused_ids = [d.pk for d in deadlines if d.state == Deadline.State.PAUSED]
    paused_at = dict(
        PauseInterval.objects.filter(deadline_id__in=paused_ids, resumed_at__isnull=True)
        .order_by("deadline_id", "paused_at")
        .values_list("deadline_id", "paused_at")
    ) if paused_ids else {}
    cal = workcal.get_calendar()
    out = {}
    for d in deadlines:
        at = now
        if d.state == Deadline.State.PAUSED:
            at = paused_at.get(d.pk, now)
        elif d.state == Deadline.State.STOPPED and d.stopped_at:
            at = d.stopped_at
        out[d.pk] = light_at(d.policy, d.due_at, at, cal)
    return out


def light_of(remaining, total, warn_pct, red_pct) -> str:
    """The light of a clock by ``notify.lights.share_light`` (the one light rule).  A policy states its
    thresholds as the share of the time USED (amber once ``warn_pct`` % is used, red once ``red_pct`` %,
    so red also on the due day itself); the light rule takes the share LEFT."""
    if total is None:
        return ""
    return lights.share_light(remaining, total, warn_pct=100 - warn_pct, red_pct=100 - red_pct)


def light(deadline: Deadline, now: dt.datetime | None = None) -> str:
    """green / amber / red / overdue (``notify.lights``, the one light rule)."""
    return status(deadline, now).light


# ------------------------------------------------------------------ escalation run


def _audit_claimed(rows, now: dt.datetime, code: str, joiner: str) -> int:
    """One audit entry per escalation row of ``rows``, written by one ``INSERT … SELECT`` (the same
    columns ``audit.entry`` fills: system actor, request context, the tracked item's scope)."""
    ctx = context.current()
    text = CharField()
    cols = {
        "at": Value(now, output_field=DateTimeField()),
        "actor_name": Value(ctx.source or "system", output_field=text),
        "action": Value(AuditEntry.Action.ACTION, output_field=text),
        "code": Value(code, output_field=text),
        "object_type": Value(Escalation._meta.label_lower, output_field=text),
        "object_id": Cast("id", text),
        "object_repr": Concat(Cast("deadline_id", text), Value(" → "), "target", output_field=text),
        "changes": Cast(Concat(Value('{"state": ["pending", "'), "state", Value('"], "target": "'), "target",
                               Value('", "fire_at": "'), Cast("fire_at", text), Value('"}'), output_field=text),
                        JSONField()),
        "message": Concat("deadline__policy__key", Value(joiner), "target", output_field=text),
        "request_id": Value(ctx.request_id or "", output_field=text),
        "source": Value(ctx.source or "", output_field=text),
        "province_code": F("deadline__province_code"),
        "city_code": F("deadline__city_code"),
        "zone_id": F("deadline__zone_id"),
        "enterprise_id": F("deadline__enterprise_id"),
        "other_province_code": Value("", output_field=text),
        "other_city_code": Value("", output_field=text),
    }
    qs = rows.order_by().annotate(**{f"a_{k}": v for k, v in cols.items()}).values(*[f"a_{k}" for k in cols])
    names = [n[2:] for n in qs.query.annotation_select]
    sql, params = qs.query.sql_with_params()
    meta = AuditEntry._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(n).column) for n in names)
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {quote(meta.db_table)} ({columns}) {sql}", params)
        return cur.rowcount


def run_escalations(now: dt.datetime | None = None) -> dict:
    """Fire every escalation step due at ``now`` — set-based: one UPDATE claims the due rows, one
    INSERT writes their audit entries, and the notifier gets them in the same transaction.  Steps of
    items closed meanwhile (``hooks.register_item_type``) are skipped, their clocks stopped, logged and
    audited.  Returns {"fired": n, "skipped": m}."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    with transaction.atomic():
        if connection.vendor == "postgresql":  # one run at a time; SQLite serialises writers anyway
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [0x51A0])
        due = Escalation.objects.filter(
            state=Escalation.State.PENDING, fire_at__lte=now, deadline__state=Deadline.State.RUNNING
        )
        skipped = 0
        for label, closed in hooks.closed_filters.items():
            model = apps.get_model(label)
            ct = ContentType.objects.get_for_model(model)
            still_open = model._base_manager.exclude(closed).values("pk")
            skipped += (
                due.filter(deadline__content_type=ct)
                .exclude(deadline__object_id__in=still_open)
                .update(state=Escalation.State.SKIPPED, done_at=now, run=token)
            )
        if skipped:
            closed_deadlines = Escalation.objects.filter(run=token, state=Escalation.State.SKIPPED).values("deadline_id")
            Deadline.objects.filter(pk__in=closed_deadlines).update(
                state=Deadline.State.STOPPED, stopped_at=now, stop_reason="item closed"
            )
            Escalation.objects.filter(deadline_id__in=closed_deadlines, state=Escalation.State.PENDING).update(
                state=Escalation.State.CANCELLED, done_at=now
            )
        fired = due.update(state=Escalation.State.FIRED, done_at=now, run=token)
        claimed = Escalation.objects.filter(run=token)
        if skipped:
            for row in claimed.filter(state=Escalation.State.SKIPPED).values(
                "deadline_id", "deadline__content_type_id", "deadline__object_id", "step__order"
            ):
                log.info("sla: escalation skipped, item %s:%s closed (deadline %s, step %s)",
                         row["deadline__content_type_id"], row["deadline__object_id"], row["deadline_id"],
                         row["step__order"])
        _audit_claimed(claimed.filter(state=Escalation.State.FIRED), now, "sla.escalation.fired", " → ")
        _audit_claimed(claimed.filter(state=Escalation.State.SKIPPED), now, "sla.escalation.skipped",
                       ": item closed, escalation skipped → ")
        hooks.notify(claimed.filter(state=Escalation.State.FIRED).select_related("deadline__policy", "step"))
    if fired or skipped:
        log.info("sla: escalation run %s fired %d, skipped %d", token, fired, skipped)
    return {"fired": fired, "skipped": skipped}


# ------------------------------------------------------------------ calendar administration


def _calendar_changed() -> None:
    transaction.on_commit(workcal.clear)
    workcal.clear()


def _recompute_spanning(date: dt.date, *, by=None) -> int:
    """Recompute the open deadlines whose running window contains ``date`` (audited when they move).
    One query per affected deadline: fine for the few hundred a day change touches; a province-wide
    change should run as a background job once the scheduler exists."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(date, dt.time(0), tzinfo=tz)
    end = start + dt.timedelta(days=1)
    qs = Deadline.objects.exclude(state=Deadline.State.STOPPED).filter(started_at__lt=end).filter(
        Q(due_at__gte=start) | Q(legal_due_at__gte=start)
    )
    return sum(bool(recompute(d, by=by)) for d in qs.iterator())


@transaction.atomic
def add_override(*, date: dt.date, is_working_day: bool, reason: str, by=None) -> CalendarOverride:
    """A local day off / working day; it wins over the package.  Replaces an override of that date."""
    existing = CalendarOverride.objects.filter(date=date).first()
    if existing:
        audit.update(existing, {"is_working_day": is_working_day, "reason": reason}, by=by,
                     code="sla.calendaroverride.updated")
        obj = existing
    else:
        obj = audit.create(CalendarOverride, {"date": date, "is_working_day": is_working_day, "reason": reason},
                           by=by, code="sla.calendaroverride.created")
    _calendar_changed()
    _recompute_spanning(date, by=by)
    return obj


@transaction.atomic
def remove_override(override: CalendarOverride, *, by=None) -> None:
    date = override.date
    audit.delete(override, by=by, code="sla.calendaroverride.deleted")
    _calendar_changed()
    _recompute_spanning(date, by=by)


@transaction.atomic
def confirm_year(year: int, *, by=None) -> CalendarYear:
    """Declare that ``year``'s State Council arrangement has been entered as overrides: its results
    are no longer provisional, and the provisional deadlines are recomputed."""
    obj = CalendarYear.objects.filter(year=year).first() or audit.create(
        CalendarYear, {"year": year}, by=by, code="sla.calendaryear.confirmed"
    )
    _calendar_changed()
    recompute_open(by=by, only_provisional=True)
    return obj


# ------------------------------------------------------------------ policies


@transaction.atomic
def define_policy(key: str, *, name: str, unit: str = Unit.WORKING_DAYS, legal_limit: int,
                  promised_limit: int | None = None, warn_pct: int = 50, red_pct: int = 90,
                  steps: list[tuple[int, str]] = (), by=None) -> SlaPolicy:
    """Create or update the policy of an item type (modules call this from a data migration or their
    set-up).  ``steps``: [(delay after the deadline in policy units, target role), …] in order."""
    data = {"name": name, "unit": unit, "legal_limit": legal_limit, "promised_limit": promised_limit,
            "warn_pct": warn_pct, "red_pct": red_pct, "active": True}
    policy = SlaPolicy.objects.filter(key=key).first()
    if policy is None:
        policy = audit.create(SlaPolicy, {"key": key, **data}, by=by, code="sla.slapolicy.created")
    else:
        audit.update(policy, data, by=by, code="sla.slapolicy.updated")
    wanted = [(i + 1, delay, target) for i, (delay, target) in enumerate(steps)]
    current = list(policy.steps.values_list("order", "delay", "target"))
    if current != wanted:
        policy.steps.all().delete()
        EscalationStep.objects.bulk_create(
            EscalationStep(policy=policy, order=o, delay=d, target=t) for o, d, t in wanted
        )
        audit.record(policy, code="sla.slapolicy.steps", by=by,
                     changes={"steps": [[list(s) for s in current], [list(s) for s in wanted]]})
    return policy
