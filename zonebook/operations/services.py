"""Business applications (业务申报): every write, audited in the same transaction, with the clock on
the SLA engine (``zonebook.sla``) and notices through ``zonebook.notify``.

Route: 草稿 → 提交(待受理) → 受理 → 初审 → 复核/批准 → 办结; 退回补正 from any step before the
approval pauses the clock and keeps everything entered, the enterprise corrects and resubmits (the
clock resumes); 不予受理 ends it with a reason.  Types are versioned: ``revise_type`` adds a version,
open applications keep theirs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.accounts.choices import Role
from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.core.permissions import require_write
from zonebook.notify import services as notify
from zonebook.sla import services as sla
from zonebook.sla import workcal
from zonebook.sla.models import Deadline

from . import rules
from .choices import STAFF_ACTIONS, TRANSITIONS, Action, Channel, FieldKind, LedgerLink, Status
from .models import Application, ApplicationLine, ApplicationStep, ApplicationType, ApplicationTypeVersion

ZONE_OFFICE = (Role.ZONE_STAFF, Role.ZONE_LEADER)
MAX_TEXT = 500


# ------------------------------------------------------------------ type catalogue


@transaction.atomic
def revise_type(app_type: ApplicationType, *, fields: list, attachments: list, sla_policy, needs_review: bool = True,
                note: str = "", by=None) -> ApplicationTypeVersion:
    """A new version of ``app_type`` (the catalogue is admin-editable data); applications already filed
    keep the version they were filed under."""
    check_schema(fields)
    last = app_type.versions.aggregate(n=Max("version"))["n"] or 0
    return audit.create(
        ApplicationTypeVersion,
        {"type": app_type, "version": last + 1, "fields": fields, "attachments": [str(a).strip() for a in attachments
                                                                               if str(a).strip()],
         "sla_policy": sla_policy, "needs_review": needs_review, "note": note[:300], "created_by": by},
        by=by, code="operations.applicationtype.revised",
    )


def check_schema(fields: list) -> None:
    """A field schema: a list of {name, label, kind[, required, choices]} with unique names."""
    if not isinstance(fields, list):
        raise DomainError(_("The field schema must be a list."), code="schema", field="fields")
    seen = set()
    for f in fields:
        if not isinstance(f, dict) or not f.get("name") or f.get("kind") not in FieldKind.values:
            raise DomainError(_("Every field needs a name and a known kind: %(f)s") % {"f": f}, code="schema",
                              field="fields")
        if f["name"] in seen:
            raise DomainError(_("The field name %(n)s is used twice.") % {"n": f["name"]}, code="schema",
                              field="fields")
        if f["kind"] == FieldKind.CHOICE and not f.get("choices"):
            raise DomainError(_("The choice field %(n)s has no choices.") % {"n": f["name"]}, code="schema",
                              field="fields")
        seen.add(f["name"])


def current_version(app_type: ApplicationType) -> ApplicationTypeVersion:
    v = app_type.current
    if v is None:
        raise DomainError(_("The type %(t)s has no version yet.") % {"t": app_type.name}, code="no_version")
    return v


# ------------------------------------------------------------------ values


def clean_data(version: ApplicationTypeVersion, data: dict, *, enterprise, required: bool) -> dict:
    """The form data checked against the version's schema (values as JSON-safe strings/numbers).
    ``required``: also refuse missing required fields (at submission).  Raises ``ValidationError``
    with one message per field."""
    from zonebook.ledger.models import Book
    from zonebook.registry.models import Enterprise

    data = data or {}
    out, errors = {}, {}
    for f in version.fields:
        name, kind = f["name"], f["kind"]
        if kind in (FieldKind.LINES, FieldKind.ATTACHMENT):  # lines and files are kept apart from ``data``
            continue
        raw = data.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if required and f.get("required"):
                errors[name] = _("%(label)s is required.") % {"label": f.get("label") or name}
            continue
        try:
            if kind == FieldKind.TEXT:
                value = str(raw).strip()[:MAX_TEXT]
            elif kind == FieldKind.NUMBER:
                d = Decimal(str(raw).replace(",", "").strip())
                if not d.is_finite():
                    raise InvalidOperation
                value = str(d)
            elif kind == FieldKind.DATE:
                value = raw.isoformat() if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw).strip()).isoformat()
            elif kind == FieldKind.CHOICE:
                value = str(raw)
                if value not in [str(c) for c in f.get("choices", [])]:
                    raise ValueError
            elif kind == FieldKind.ENTERPRISE:
                value = int(raw)
                if not Enterprise.objects.filter(pk=value, zone_id=enterprise.zone_id).exists():
                    raise ValueError
            elif kind == FieldKind.BOOK:
                value = int(raw)
                if not Book.objects.filter(pk=value, enterprise=enterprise).exists():
                    raise ValueError
            else:  # pragma: no cover - schema checked
                value = raw
        except (ValueError, TypeError, InvalidOperation, OverflowError):
            errors[name] = _("%(label)s: “%(value)s” is not valid.") % {"label": f.get("label") or name,
                                                                          "value": str(raw)[:60]}
            continue
        out[name] = value
    if errors:
        raise ValidationError(errors)
    return out


def clean_lines(lines) -> list[dict]:
    out, errors = [], []
    for i, line in enumerate(lines or [], start=1):
        if not any(str(line.get(k) or "").strip() for k in ("hs_code", "name", "qty")):
            continue
        hs = str(line.get("hs_code") or "").strip()
        try:
            qty = Decimal(str(line.get("qty")).replace(",", ""))
            value = Decimal(str(line["value"]).replace(",", "")) if str(line.get("value") or "").strip() else None
            if not qty.is_finite() or qty <= 0 or (value is not None and (not value.is_finite() or value < 0)):
                raise InvalidOperation
        except (InvalidOperation, TypeError, ValueError):
            errors.append(_("Line %(n)d: the quantity must be a positive number and the value a number.") % {"n": i})
            continue
        if not (hs.isdigit() and 4 <= len(hs) <= 10):
            errors.append(_("Line %(n)d: the HS code has 4 to 10 digits.") % {"n": i})
            continue
        if not str(line.get("name") or "").strip() or not str(line.get("unit") or "").strip():
            errors.append(_("Line %(n)d: name and unit are required.") % {"n": i})
            continue
        out.append({"hs_code": hs, "name": str(line["name"]).strip()[:200], "qty": qty,
                    "unit": str(line["unit"]).strip()[:10], "value": value,
                    "currency": (str(line.get("currency") or "CNY").strip() or "CNY")[:3].upper()})
    if errors:
        raise ValidationError({"lines": errors})
    return out


def _write_lines(app: Application, lines: list[dict]) -> None:
    app.lines.all().delete()
    ApplicationLine.objects.bulk_create(ApplicationLine(application=app, seq=i, **line)
                                        for i, line in enumerate(lines, start=1))


def _line_snapshot(app) -> list:
    return [[ln.hs_code, ln.name, str(ln.qty), ln.unit, str(ln.value) if ln.value is not None else ""]
            for ln in app.lines.all()]


def _links(version, app: Application, data: dict, *, carry_over=None) -> None:
    """Ledger links: the book field names ``app.book``; a carry-over type links the ledger's
    application (either side must be the enterprise's book)."""
    from zonebook.ledger.models import Book, CarryOver

    book_field = next((f["name"] for f in version.fields if f["kind"] == FieldKind.BOOK), None)
    app.book = Book.objects.filter(pk=data.get(book_field)).first() if book_field and data.get(book_field) else None
    if version.type.ledger_link == LedgerLink.CARRY_OVER:
        if carry_over is not None and not isinstance(carry_over, CarryOver):
            carry_over = CarryOver.objects.filter(pk=carry_over).first()
        if carry_over is not None and app.enterprise_id not in (
            carry_over.transferor_book.enterprise_id, carry_over.transferee_book.enterprise_id
        ):
            raise ValidationError({"carry_over": _("The carry-over application is not one of the enterprise's.")})
        app.carry_over = carry_over


def _step(app, action, old, by, note="", at=None) -> None:
    ApplicationStep.objects.create(application=app, action=action, from_status=old or "", to_status=app.status,
                                   by=by if getattr(by, "is_authenticated", False) else None,
                                   at=at or timezone.now(), note=note[:500])


def _check_can_file(user, enterprise) -> None:
    """Enterprise users file for their own enterprise; zone staff at the counter for an enterprise
    of their zone; both need the ``ops`` write area."""
    require_write(user, "ops")
    if user.role == Role.ENTERPRISE and user.enterprise_id != enterprise.pk:
        raise PermissionDenied(_("You may file applications only for your own enterprise."))
    if user.role in ZONE_OFFICE and user.zone_id != enterprise.zone_id:
        raise PermissionDenied(_("The enterprise lies outside your zone."))


@transaction.atomic
def create_application(*, app_type: ApplicationType, enterprise, data: dict, lines=(), by, carry_over=None,
                       subject: str = "") -> Application:
    """A draft application under the type's current version (what is entered is kept even when a
    required field or attachment is still missing: those are checked at submission)."""
    _check_can_file(by, enterprise)
    if not app_type.active:
        raise DomainError(_("The type %(t)s is no longer offered.") % {"t": app_type.name}, code="inactive_type")
    version = current_version(app_type)
    clean = clean_data(version, data, enterprise=enterprise, required=False)
    clean_ls = clean_lines(lines) if version.has_lines else []
    channel = Channel.COUNTER if by.role in ZONE_OFFICE else Channel.ONLINE
    app = Application(type=app_type, type_version=version, enterprise=enterprise, zone_id=enterprise.zone_id,
                      data=clean, channel=channel, created_by=by, subject=(subject or "").strip()[:200])
    _links(version, app, clean, carry_over=carry_over)
    app.save()
    app.number = f"YW{timezone.localdate():%Y}{app.pk:07d}"
    app.save(update_fields=["number"])
    _write_lines(app, clean_ls)
    audit.record(app, code="operations.application.created", by=by, action=AuditEntry.Action.CREATE,
                 changes=audit.diff({}, {**audit.snapshot(app), "lines": _line_snapshot(app)}))
    _step(app, Action.CREATE, "", by)
    return app


@transaction.atomic
def update_application(app: Application, *, data: dict, lines=None, by, carry_over=None,
                       subject: str | None = None) -> dict:
    """Edit a draft or returned application (it keeps its type version)."""
    app = Application.objects.select_for_update().get(pk=app.pk)
    _check_can_file(by, app.enterprise)
    if not app.is_editable:
        raise DomainError(_("Only a draft or returned application can be edited."), code="not_editable")
    version = app.type_version
    before = {**audit.snapshot(app), "lines": _line_snapshot(app)}
    app.data = clean_data(version, data, enterprise=app.enterprise, required=False)
    if subject is not None:
        app.subject = subject.strip()[:200]
    _links(version, app, app.data, carry_over=carry_over if carry_over is not None else app.carry_over)
    app.save()
    if version.has_lines and lines is not None:
        _write_lines(app, clean_lines(lines))
    changes = audit.diff(before, {**audit.snapshot(app), "lines": _line_snapshot(app)})
    if changes:
        audit.record(app, code="operations.application.updated", by=by, action=AuditEntry.Action.UPDATE,
                     changes=changes)
        _step(app, Action.EDIT, app.status, by)
    return changes


def missing_attachments(app: Application) -> list[str]:
    """Names of the version's required attachments not yet attached (an attachment counts for a name
    when its description or file name starts with / contains the name)."""
    from zonebook.attachments.models import Attachment

    version = app.type_version
    wanted = list(version.attachments)
    # a required field of kind "attachment" names a file the same way (its label, else its name)
    for f in version.fields:
        label = str(f.get("label") or f["name"]).strip()
        if f["kind"] == FieldKind.ATTACHMENT and f.get("required") and label not in wanted:
            wanted.append(label)
    if not wanted:
        return []
    have = list(Attachment.objects.of(app).values_list("description", "original_name"))
    return [name for name in wanted if not any(name in (d or "") or name in (n or "") for d, n in have)]


def _domestic_sale(app: Application) -> dict:
    """内销: the ledger's calculation the approval is based on, computed now and persisted."""
    from zonebook.ledger.services.duty import simulate_domestic_sale

    d = app.data
    if not app.book_id:
        raise ValidationError({"book": _("Name the book of the domestic sale.")})
    try:
        result = simulate_domestic_sale(
            app.book, item_kind=d.get("item_kind") or "product", seq_no=int(d.get("seq_no") or 0),
            qty=Decimal(str(d.get("qty") or 0)), on=dt.date.fromisoformat(d.get("date") or timezone.localdate().isoformat()),
        )
    except (ValueError, InvalidOperation) as exc:
        raise ValidationError({"qty": str(exc)}) from exc
    return {"computed_at": timezone.now().isoformat(), "inputs": {k: d.get(k) for k in ("item_kind", "seq_no", "qty", "date")},
            "book": app.book.number, "result": audit._plain(result)}


def _notify_staff(app, kind, by) -> None:
    users = notify.responsible_users(app).filter(role__in=ZONE_OFFICE)
    notify.notify(users, kind, {"no": app.number, "type": app.type.name, "enterprise": app.enterprise.name}, app,
                  url=app_url(app), by=by)


def _notify_enterprise(app, kind, by, **params) -> None:
    users = notify.responsible_users(app).filter(role=Role.ENTERPRISE)
    notify.notify(users, kind, {"no": app.number, "type": app.type.name, **params}, app, url=app_url(app), by=by)


def app_url(app) -> str:
    from django.urls import reverse

    return reverse("operations:application_detail", args=[app.pk])


def _sync_due(app: Application, deadline: Deadline) -> None:
    app.due_at = deadline.due_at
    app.save(update_fields=["due_at"])


def deadline_of(app: Application) -> Deadline | None:
    return app.deadlines.select_related("policy").first()


@transaction.atomic
def submit(app: Application, *, by, at: dt.datetime | None = None) -> Application:
    """Submit (or resubmit after 退回补正): required fields, goods lines and attachments are checked,
    admission types against the zone's negative list; the clock starts (or resumes)."""
    app = Application.objects.select_for_update().select_related("type", "type_version", "enterprise", "zone").get(pk=app.pk)
    _check_can_file(by, app.enterprise)
    if not app.is_editable:
        raise DomainError(_("The application has already been submitted."), code="not_editable")
    version = app.type_version
    errors = {}
    try:
        clean_data(version, app.data, enterprise=app.enterprise, required=True)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if version.has_lines and not app.lines.exists():
        errors["lines"] = _("Enter at least one goods line.")
    if app.type.ledger_link == LedgerLink.CARRY_OVER and not app.carry_over_id:
        errors["carry_over"] = _("Link the carry-over application of the ledger.")
    missing = missing_attachments(app)
    if missing:
        errors["attachments"] = _("Attach: %(names)s.") % {"names": "、".join(missing)}
    if errors:
        raise ValidationError(errors)
    if app.type.check_negative_list:
        rule = rules.matching_rule(app)
        app.matched_rule = rule
        if rule is not None and not app.rule_exception:
            app.save(update_fields=["matched_rule"])
            raise DomainError(
                _("Refused by the zone's negative list: %(rule)s (source: %(source)s).")
                % {"rule": rule.description, "source": rule.source},
                code="negative_list", field="industry",
            )
    if app.type.ledger_link == LedgerLink.DOMESTIC_SALE:
        app.domestic_sale_calc = _domestic_sale(app)
    at = at or timezone.now()
    old = app.status
    app.status = Status.SUBMITTED
    if old == Status.DRAFT:
        app.submitted_at = at
    app.save()
    deadline = deadline_of(app)
    if deadline is None:
        deadline = sla.start_clock(app, version.sla_policy, started_at=at, by=by)
    elif deadline.state == Deadline.State.PAUSED:
        deadline = sla.resume(deadline, at=at, by=by)
    _sync_due(app, deadline)
    audit.record(app, code="operations.application.submitted", by=by, changes={"status": [old, app.status]})
    _step(app, Action.SUBMIT, old, by, at=at)
    _notify_staff(app, "operations.submitted", by)
    return app


def _finish_clock(app: Application, deadline: Deadline | None, at: dt.datetime, reason: str, by) -> None:
    """Stop the clock and store the handling figures (working days by the SLA calendar, pauses
    excluded; on time = stopped by the due moment)."""
    if deadline is None:
        return
    deadline = sla.stop(deadline, at=at, reason=reason, by=by)
    cal = workcal.get_calendar()
    start = timezone.localtime(deadline.started_at).date()
    days = cal.working_days_between(start, timezone.localtime(at).date())
    for p in deadline.pauses.all():
        if p.resumed_at:
            days -= cal.working_days_between(timezone.localtime(p.paused_at).date(),
                                             timezone.localtime(p.resumed_at).date())
    app.handling_days = max(days, 0)
    app.on_time = at <= deadline.due_at
    app.due_at = deadline.due_at


def allowed_actions(app: Application, user) -> list[str]:
    """The staff actions ``user`` may take on ``app`` now."""
    if user.role not in ZONE_OFFICE and not user.is_superuser:
        return []
    if not user.can_write("ops"):
        return []
    out = [a for a, (sources, _target) in TRANSITIONS.items() if app.status in sources]
    if app.status == Status.ACCEPTED and not app.type_version.needs_review:
        out = [Action.APPROVE if a == Action.REVIEW else a for a in out]
    return out


@transaction.atomic
def act(app: Application, action: str, *, by, note: str = "", at: dt.datetime | None = None) -> Application:
    """A zone-office step: 受理, 初审, 复核/批准, 办结, 退回补正 (pauses the clock), 不予受理 (reason)."""
    app = Application.objects.select_for_update().select_related("type", "type_version", "enterprise", "zone").get(pk=app.pk)
    require_write(by, "ops")
    if by.role not in ZONE_OFFICE and not by.is_superuser:
        raise PermissionDenied(_("Only the zone office handles applications."))
    if action not in STAFF_ACTIONS:
        raise DomainError(_("Unknown action %(a)s.") % {"a": action}, code="unknown_action", field="action")
    if action not in allowed_actions(app, by):
        raise DomainError(
            _("“%(action)s” is not possible while the application is “%(status)s”.")
            % {"action": Action(action).label, "status": app.get_status_display()},
            code="bad_transition", field="action",
        )
    note = (note or "").strip()
    if action in (Action.RETURN, Action.REFUSE) and not note:
        raise DomainError(_("Give the reason."), code="reason_required", field="note")
    at = at or timezone.now()
    old = app.status
    target = TRANSITIONS[action][1]
    if action == Action.APPROVE and old == Status.ACCEPTED:
        target = Status.APPROVED
    app.status = target
    if app.handler_id is None or action == Action.ACCEPT:
        app.handler = by
    deadline = deadline_of(app)
    if action == Action.RETURN:
        app.reason = note[:500]
        if deadline is not None and deadline.state == Deadline.State.RUNNING:
            deadline = sla.pause(deadline, at=at, reason=note[:200], by=by)
    elif action == Action.REFUSE:
        app.reason = note[:500]
        app.decided_at = at
        _finish_clock(app, deadline, at, "refused", by)
    elif action == Action.APPROVE:
        app.decided_at = at
    elif action == Action.COMPLETE:
        _finish_clock(app, deadline, at, "completed", by)
    if deadline is not None and deadline.handler_id is None and app.handler_id:
        Deadline.objects.filter(pk=deadline.pk).update(handler=app.handler)
    app.save()
    audit.record(app, code=f"operations.application.{action}", by=by, changes={"status": [old, app.status]},
                 message=note)
    _step(app, action, old, by, note, at=at)
    if action == Action.RETURN:
        _notify_enterprise(app, "operations.returned", by, reason=note)
    elif action in (Action.REFUSE, Action.APPROVE, Action.COMPLETE):
        _notify_enterprise(app, "operations.decided", by, status=app.get_status_display())
    return app


@transaction.atomic
def withdraw(app: Application, *, by) -> Application:
    app = Application.objects.select_for_update().get(pk=app.pk)
    _check_can_file(by, app.enterprise)
    if app.status in (Status.COMPLETED, Status.REFUSED, Status.WITHDRAWN, Status.APPROVED):
        raise DomainError(_("The application can no longer be withdrawn."), code="not_withdrawable")
    old = app.status
    app.status = Status.WITHDRAWN
    deadline = deadline_of(app)
    if deadline is not None and deadline.state != Deadline.State.STOPPED:
        sla.stop(deadline, reason="withdrawn", by=by)
    app.save(update_fields=["status"])
    audit.record(app, code="operations.application.withdrawn", by=by, changes={"status": [old, app.status]})
    _step(app, Action.WITHDRAW, old, by)
    return app


@transaction.atomic
def grant_rule_exception(app: Application, *, reason: str, by) -> Application:
    """An audited exception to the negative list for this application (zone office leaders only)."""
    from zonebook.core.permissions import require_role

    require_role(by, Role.ZONE_LEADER, message=_("Only a zone office leader may grant an exception."))
    require_write(by, "ops")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason."), code="reason_required", field="reason")
    app = Application.objects.select_for_update().get(pk=app.pk)
    rule = rules.matching_rule(app)
    old = app.rule_exception
    app.rule_exception, app.matched_rule = reason[:300], rule
    app.save(update_fields=["rule_exception", "matched_rule"])
    audit.record(app, code="operations.application.rule_exception", by=by,
                 changes={"rule_exception": [old, app.rule_exception], "rule": str(rule) if rule else ""},
                 message=reason)
    _step(app, Action.EXCEPTION, app.status, by, reason)
    return app
