"""Service functions of investment attraction: every write, validated and audited in one transaction.

Projects: ``create_project`` / ``update_project`` (with the duplicate check), ``record_milestone``
(monotonic dates unless an audited correction, stage-gated required fields, the stage derived, first
signing counted by the counting rules, post-signing clocks through ``zonebook.sla``),
``request_terminal`` / ``decide_terminal`` (stalled, withdrawn, lost: reason and approval), ``screen``
(city / province recognition).  Investors: ``create_investor``, ``update_investor``, ``add_contact``.
Events: ``create_event``.  Targets: ``set_target``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.core.permissions import may_write
from zonebook.sla import services as sla
from zonebook.sla.models import Deadline

from . import calc
from .models import (
    MILESTONE_ORDER,
    TERMINAL_STAGES,
    CountingRule,
    InvestmentEvent,
    InvestmentTarget,
    Investor,
    InvestorContact,
    Milestone,
    MilestoneKind,
    Project,
    ProjectKind,
    ProjectScreening,
    RuleKind,
    ScreeningStatus,
    Stage,
)

AREA = "investment"
# post-signing clocks (SlaPolicy rows of migration 0002): works start after signing, 入统 after start
START_POLICY = "investment.project.start"
STATISTICS_POLICY = "investment.project.statistics"
APPROVER_ROLES = ("zone_leader", "city_commerce", "province_commerce", "system_admin")

PROJECT_FIELDS = [
    "number",
    "name",
    "kind",
    "parent",
    "investor",
    "industry",
    "build_kind",
    "description",
    "currency",
    "fx_rate",
    "planned_investment",
    "contracted_investment",
    "funds_in_place",
    "source_region",
    "source_place",
    "fortune500",
    "china500",
    "zone",
    "park",
    "enterprise",
    "land_area_mu",
    "jobs",
    "lead_unit",
    "officer",
    "event",
    "transfer_mode",
    "transfer_from",
    "enclave",
    "processing_trade",
    "exclusion_category",
    "in_monthly_ledger",
]


def require(user) -> None:
    if not may_write(user, AREA):
        raise DomainError(_("Your role may not change investment data."), code="forbidden")


# --------------------------------------------------------------------------- counting rules


def rules_on(day: dt.date | None) -> list[CountingRule]:
    day = day or timezone.localdate()
    return list(
        CountingRule.objects.filter(active=True)
        .filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )
        .order_by("kind", "code")
    )


@dataclass
class CountResult:
    counted: bool
    amount: Decimal
    notes: list[str] = field(default_factory=list)


def evaluate_count(project: Project, rules: list[CountingRule]) -> CountResult:
    """How a signed project counts under ``rules`` (first signing only: the caller applies it once).

    A new project (or a change of investor) counts once with its contracted amount; a capital increase
    counts only its own amount (the increase) and is not a new project; an upgrade is not recounted;
    excluded categories, projects missing from the monthly ledger and projects below the minimum size
    do not count.  Each note names the rule that decided."""
    by_kind: dict[str, list[CountingRule]] = {}
    for r in rules:
        by_kind.setdefault(r.kind, []).append(r)
    amount = project.contracted_cny or Decimal(0)
    if project.kind == ProjectKind.UPGRADE:
        for r in by_kind.get(RuleKind.UPGRADE, []):
            return CountResult(
                False, Decimal(0), [_("Not recounted: an upgrade (rule %(r)s).") % {"r": r.code}]
            )
    if project.kind == ProjectKind.CAPITAL_INCREASE:
        for r in by_kind.get(RuleKind.INCREASE_ONLY, []):
            return CountResult(
                False,
                amount,
                [
                    _("Capital increase: only the increase counts, not a new project (rule %(r)s).")
                    % {"r": r.code}
                ],
            )
    for r in by_kind.get(RuleKind.EXCLUSION, []):
        if project.exclusion_category and project.exclusion_category in (r.categories or []):
            return CountResult(False, Decimal(0), [_("Excluded category (rule %(r)s).") % {"r": r.code}])
    for r in by_kind.get(RuleKind.LEDGER, []):
        if not project.in_monthly_ledger:
            return CountResult(
                False, Decimal(0), [_("Not in the monthly ledger (rule %(r)s).") % {"r": r.code}]
            )
    for r in by_kind.get(RuleKind.MINIMUM_SIZE, []):
        if r.threshold is not None and amount < r.threshold:
            return CountResult(
                False,
                Decimal(0),
                [
                    _("Below the minimum size of %(t)s (10k RMB) (rule %(r)s).")
                    % {"t": r.threshold, "r": r.code}
                ],
            )
    return CountResult(True, amount, [])


def dedup_candidates(investor_ids) -> list[Project]:
    """The signed, open projects of these investors in one query (``duplicate_warning``'s ``others``
    for a whole batch: the project import checks its changed projects set-based)."""
    return list(
        Project.objects.filter(investor_id__in=set(investor_ids), signed_on__isnull=False)
        .exclude(stage__in=TERMINAL_STAGES)
        .only("number", "name", "contracted_cny", "investor_id", "zone_id")
    )


def duplicate_warning(
    project: Project, rules: list[CountingRule] | None = None, others: list[Project] | None = None
) -> str:
    """A warning naming the duplicate rule when another signed project has the same investor and site
    and an overlapping amount ("" when none).  ``others``: the candidates fetched already
    (``dedup_candidates``), else they are queried."""
    if project.investor_id is None or project.kind != ProjectKind.NEW:
        return ""
    rules = rules if rules is not None else rules_on(project.signed_on)
    for r in rules:
        if r.kind != RuleKind.DEDUP:
            continue
        if others is None:
            others = dedup_candidates([project.investor_id])
        candidates = [
            o
            for o in others
            if o.investor_id == project.investor_id and o.zone_id == project.zone_id and o.pk != project.pk
        ]
        for other in candidates:
            if calc.amounts_overlap(other.contracted_cny, project.contracted_cny, r.tolerance_pct):
                return _(
                    "Possible duplicate of signed project %(n)s %(name)s: same investor, site and amount "
                    "(rule %(r)s %(rn)s)."
                ) % {"n": other.number, "name": other.name, "r": r.code, "rn": r.name}
    return ""


def increase_original(project: Project, rules: list[CountingRule]) -> tuple[Project, CountingRule] | None:
    """A capital increase entered as a new project: the original project and the rule, or ``None``.

    Under an active *increase only* rule (e.g. ZS-SM-1 增资只计增量), a new project whose investor
    already has a signed, open project at the same site (zone) is further investment in that project:
    only the increase counts, never a second project.  (An overlapping amount is the duplicate rule's
    case — a warning — not this one.)  The original is the first project of that investor there, the
    one a capital increase is recorded against."""
    if project.kind != ProjectKind.NEW or project.investor_id is None:
        return None
    rule = next((r for r in rules if r.kind == RuleKind.INCREASE_ONLY), None)
    if rule is None:
        return None
    original = (
        Project.objects.filter(investor_id=project.investor_id, zone_id=project.zone_id, signed_on__isnull=False,
                               kind__in=(ProjectKind.NEW, ProjectKind.INVESTOR_CHANGE))
        .exclude(pk=project.pk)
        .exclude(stage__in=TERMINAL_STAGES)
        .order_by("signed_on", "pk")
        .first()
    )
    return (original, rule) if original is not None else None


def _increase_as_new_error(project: Project, original: Project, rule: CountingRule) -> DomainError:
    """The refusal; ``original_id`` carries the original project for the page's offer."""
    err = DomainError(
        _(
            "Not counted as a new project: the investor already has the signed project %(n)s %(name)s at "
            "this site, and under rule %(r)s (%(rn)s) further investment of the same investor at the same "
            "site is a capital increase, of which only the increase counts. Record it as a capital increase "
            "of %(n)s, or give the reason why it is a separate new project."
        )
        % {"n": original.number, "name": original.name, "r": rule.code, "rn": rule.name},
        field="kind",
        code="increase_as_new",
    )
    err.original_id = original.pk
    return err


# --------------------------------------------------------------------------- projects


def _validate_project(p: Project) -> None:
    if p.park_id and p.park.zone_id != p.zone_id:
        raise DomainError(_("The park belongs to another zone."), field="park")
    if p.enterprise_id and p.enterprise.zone_id != p.zone_id:
        raise DomainError(_("The enterprise is registered in another zone."), field="enterprise")
    if p.kind in (ProjectKind.CAPITAL_INCREASE, ProjectKind.UPGRADE, ProjectKind.INVESTOR_CHANGE):
        if p.parent_id is None:
            raise DomainError(
                _("A capital increase, an upgrade or a change of investor names the original project."),
                field="parent",
            )
        if p.parent.signed_on is None:
            raise DomainError(_("The original project has not been signed."), field="parent")
    elif p.parent_id:
        raise DomainError(
            _("Only a capital increase, an upgrade or a change of investor has an original project."),
            field="parent",
        )
    for name in ("planned_investment", "contracted_investment", "funds_in_place"):
        v = getattr(p, name)
        if v is not None and v < 0:
            raise DomainError(_("Amounts cannot be negative."), field=name)
    if p.fx_rate is None or p.fx_rate <= 0:
        raise DomainError(_("The rate to RMB must be positive."), field="fx_rate")
    if p.currency == "CNY" and p.fx_rate != 1:
        raise DomainError(_("An RMB amount has the rate 1."), field="fx_rate")
    if p.pk and p.stage != Stage.LEAD and p.stage not in TERMINAL_STAGES:
        _check_stage_fields(p)


def _normal(name: str, value):
    """Decimals at the column's scale, so an unchanged amount (1 vs 1.000000) is no change."""
    from django.db import models

    field = Project._meta.get_field(name)
    if isinstance(field, models.DecimalField) and value not in (None, ""):
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-field.decimal_places))
    return value


def _derive_money(p: Project) -> None:
    p.contracted_cny = calc.to_cny(p.contracted_investment, p.fx_rate)
    p.funds_in_place_cny = calc.to_cny(p.funds_in_place, p.fx_rate)


def _refresh_count(p: Project) -> None:
    """After an amount correction of a counted project: the counted amount follows (counted once)."""
    if p.signed_on is None:
        return
    result = evaluate_count(p, rules_on(p.signed_on))
    p.counted, p.counted_amount, p.count_note = result.counted, result.amount, "; ".join(result.notes)[:300]


@transaction.atomic
def create_project(data: dict, *, by) -> Project:
    require(by)
    p = Project(**{k: _normal(k, v) for k, v in data.items() if k in PROJECT_FIELDS})
    if not p.number:
        p.number = next_number(p.zone)
    _derive_money(p)
    _validate_project(p)
    p.full_clean()
    p.save()
    audit.record(
        p,
        code="investment.project.created",
        by=by,
        action=AuditEntry.Action.CREATE,
        changes=audit.diff({}, audit.snapshot(p)),
    )
    return p


def next_number(zone) -> str:
    year = timezone.localdate().year
    prefix = f"ZS{year}{zone.pk:03d}"
    n = Project.objects.filter(number__startswith=prefix).count() + 1
    while Project.objects.filter(number=f"{prefix}{n:04d}").exists():
        n += 1
    return f"{prefix}{n:04d}"


@transaction.atomic
def update_project(p: Project, data: dict, *, by, code: str = "investment.project.updated") -> dict:
    """Apply ``data``; amounts follow into the RMB columns and the counted amount; audited."""
    require(by)
    p = Project.objects.select_for_update().get(pk=p.pk)
    before = audit.snapshot(p)
    for k, v in data.items():
        if k in PROJECT_FIELDS and k != "number":
            setattr(p, k, _normal(k, v))
    _derive_money(p)
    _validate_project(p)
    _refresh_count(p)
    p.dedup_warning = duplicate_warning(p) if p.signed_on else ""
    p.full_clean()
    changes = audit.diff(before, audit.snapshot(p))
    if changes:
        p.save()
        audit.record(p, code=code, by=by, action=AuditEntry.Action.UPDATE, changes=changes)
    return changes


def _check_stage_fields(p: Project, kinds=None) -> None:
    """Stage-gated required fields: from signing an investor, an investment amount and an industry;
    from works start the registered enterprise (the site is the zone, always set)."""
    kinds = set(kinds if kinds is not None else p.milestones.values_list("kind", flat=True))
    if kinds & set(MILESTONE_ORDER[MILESTONE_ORDER.index(MilestoneKind.SIGNED) :]):
        missing = []
        if p.investor_id is None:
            missing.append(str(Project._meta.get_field("investor").verbose_name))
        if p.contracted_investment is None and p.planned_investment is None:
            missing.append(str(Project._meta.get_field("contracted_investment").verbose_name))
        if p.industry_id is None:
            missing.append(str(Project._meta.get_field("industry").verbose_name))
        if missing:
            raise DomainError(
                _("A signed project needs: %(f)s.") % {"f": ", ".join(missing)}, code="stage_fields"
            )
    if (
        kinds & set(MILESTONE_ORDER[MILESTONE_ORDER.index(MilestoneKind.STARTED) :])
        and p.enterprise_id is None
    ):
        raise DomainError(
            _("A started project needs its registered enterprise."), field="enterprise", code="stage_fields"
        )


@transaction.atomic
def record_milestone(
    project: Project,
    kind: str,
    date: dt.date,
    *,
    by,
    evidence: str = "",
    correction_reason: str = "",
    verified_by=None,
    as_increase_of: int | None = None,
    separate_reason: str = "",
) -> Milestone:
    """Record (or, with ``correction_reason``, correct) a milestone.

    Dates are monotonic: a milestone may not be dated before an earlier milestone nor after a later
    one, unless ``correction_reason`` is given — then the correction is recorded in the audit log with
    the reason.  Changing an existing milestone is always a correction.

    The first signing of a *new* project that is a capital increase of the investor's signed project
    at the same site (``increase_original``) is refused (``increase_as_new``, naming the rule and the
    original) unless ``as_increase_of`` is that original's pk — the project is then recorded as its
    capital increase (only the increase counts; audited) — or ``separate_reason`` says why it is a
    separate new project (kept in the audit entry of the signing)."""
    require(by)
    p = Project.objects.select_for_update().select_related("zone").get(pk=project.pk)
    if p.stage in TERMINAL_STAGES:
        raise DomainError(_("The project is closed (%(s)s).") % {"s": p.get_stage_display()}, code="terminal")
    if kind not in MILESTONE_ORDER:
        raise DomainError(_("Unknown milestone."), field="kind")
    if date > timezone.localdate():
        raise DomainError(_("A milestone cannot be dated in the future."), field="date")
    seq = MILESTONE_ORDER.index(kind)
    existing = {m.kind: m for m in p.milestones.all()}
    correction_reason = (correction_reason or "").strip()
    current = existing.get(kind)
    if current is not None and not correction_reason:
        raise DomainError(
            _("This milestone is already recorded; changing it is a correction and needs a reason."),
            field="correction_reason",
            code="correction_needed",
        )
    if not correction_reason:
        for other in existing.values():
            o_seq = MILESTONE_ORDER.index(other.kind)
            if o_seq < seq and other.date > date:
                raise DomainError(
                    _(
                        "The date is before the earlier milestone %(m)s of %(d)s; give a correction reason to record it."
                    )
                    % {"m": other.get_kind_display(), "d": other.date.isoformat()},
                    field="date",
                    code="not_monotonic",
                )
            if o_seq > seq and other.date < date:
                raise DomainError(
                    _(
                        "The date is after the later milestone %(m)s of %(d)s; give a correction reason to record it."
                    )
                    % {"m": other.get_kind_display(), "d": other.date.isoformat()},
                    field="date",
                    code="not_monotonic",
                )
    _check_stage_fields(p, set(existing) | {kind})
    separate_reason = (separate_reason or "").strip()
    if kind == MilestoneKind.SIGNED and current is None and p.signed_on is None:
        rules = rules_on(date)
        if p.kind == ProjectKind.NEW and not duplicate_warning(p, rules):
            found = increase_original(p, rules)
            if found is not None and as_increase_of == found[0].pk:
                _record_as_increase(p, found[0], by=by)
            elif found is not None and not separate_reason:
                raise _increase_as_new_error(p, *found)
            elif found is None:
                separate_reason = ""
    else:
        separate_reason = ""
    if current is None:
        m = Milestone.objects.create(
            project=p,
            kind=kind,
            seq=seq,
            date=date,
            evidence=evidence,
            recorded_by=by,
            verified_by=verified_by,
            correction_reason=correction_reason,
        )
        audit.record(
            m,
            code="investment.milestone.recorded"
            if not correction_reason
            else "investment.milestone.corrected",
            by=by,
            action=AuditEntry.Action.CREATE,
            changes=audit.diff({}, audit.snapshot(m)),
            message=correction_reason
            or (_("A separate new project of the same investor: %(reason)s") % {"reason": separate_reason}
                if separate_reason else ""),
        )
    else:
        m = current
        before = audit.snapshot(m)
        m.date, m.correction_reason = date, correction_reason
        if evidence:
            m.evidence = evidence
        m.save()
        audit.record(
            m,
            code="investment.milestone.corrected",
            by=by,
            action=AuditEntry.Action.UPDATE,
            changes=audit.diff(before, audit.snapshot(m)),
            message=correction_reason,
        )
    existing[kind] = m
    _after_milestones(p, existing, by=by)
    return m


def _record_as_increase(p: Project, original: Project, *, by) -> None:
    """The project becomes a capital increase of ``original`` (before its first signing; audited)."""
    before = audit.snapshot(p, ["kind", "parent"])
    p.kind, p.parent = ProjectKind.CAPITAL_INCREASE, original
    _validate_project(p)
    p.save(update_fields=["kind", "parent"])
    audit.record(p, code="investment.project.recorded_as_increase", by=by, action=AuditEntry.Action.UPDATE,
                 changes=audit.diff(before, audit.snapshot(p, ["kind", "parent"])),
                 message=_("Capital increase of %(n)s") % {"n": original.number})


def _after_milestones(p: Project, milestones: dict, *, by) -> None:
    before = audit.snapshot(
        p, ["stage", "signed_on", "registered_on", "started_on", "counted", "counted_amount"]
    )
    p.stage = calc.stage_from(list(milestones))
    first_signing = p.signed_on is None and MilestoneKind.SIGNED in milestones
    for k, attr in (
        (MilestoneKind.SIGNED, "signed_on"),
        (MilestoneKind.REGISTERED, "registered_on"),
        (MilestoneKind.STARTED, "started_on"),
    ):
        setattr(p, attr, milestones[k].date if k in milestones else None)
    if first_signing:
        rules = rules_on(p.signed_on)
        result = evaluate_count(p, rules)
        p.counted, p.counted_amount, p.count_note = (
            result.counted,
            result.amount,
            "; ".join(result.notes)[:300],
        )
        p.dedup_warning = duplicate_warning(p, rules)
        if p.dedup_warning:
            from zonebook.notify.services import notify, responsible_users

            notify(
                responsible_users(p).exclude(pk=getattr(by, "pk", None)),
                "investment.duplicate",
                {"number": p.number, "warning": p.dedup_warning},
                obj=p,
                url=p.get_absolute_url(),
                dedupe_key=f"investment.duplicate:{p.pk}",
                by=by,
            )
    p.save()
    after = audit.snapshot(p, list(before))
    changes = audit.diff(before, after)
    if changes:
        audit.record(p, code="investment.project.stage", by=by, changes=changes)
    _clocks(p, milestones, by=by)


def _open_clock(p: Project, key: str):
    return Deadline.objects.filter(
        content_type__app_label="investment", content_type__model="project", object_id=p.pk, policy__key=key
    ).first()


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


def _clocks(p: Project, milestones: dict, *, by) -> None:
    """Post-signing deadlines through the SLA engine: works start after signing; 入统 after start."""
    for start_kind, stop_kind, key in (
        (MilestoneKind.SIGNED, MilestoneKind.STARTED, START_POLICY),
        (MilestoneKind.STARTED, MilestoneKind.STATISTICS, STATISTICS_POLICY),
    ):
        clock = _open_clock(p, key)
        if start_kind in milestones and clock is None and stop_kind not in milestones:
            clock = sla.start_clock(
                p, key, started_at=_at(milestones[start_kind].date), handler=p.officer, by=by
            )
        if clock is not None and clock.state != Deadline.State.STOPPED and stop_kind in milestones:
            sla.stop(
                clock,
                at=max(_at(milestones[stop_kind].date), clock.started_at),
                reason=str(MilestoneKind(stop_kind).label),
                by=by,
            )


def project_light(p: Project, now=None) -> str:
    """The worst light of the project's open clocks (``zonebook.sla``), '' when none is running."""
    worst = ""
    from zonebook.notify.lights import SEVERITY

    for d in (
        Deadline.objects.filter(
            content_type__app_label="investment", content_type__model="project", object_id=p.pk
        )
        .exclude(state=Deadline.State.STOPPED)
        .select_related("policy")
    ):
        light = sla.light(d, now)
        if SEVERITY.get(light, 0) > SEVERITY.get(worst, 0):
            worst = light
    return worst


@transaction.atomic
def request_terminal(project: Project, state: str, reason: str, *, by) -> Project:
    require(by)
    if state not in TERMINAL_STAGES:
        raise DomainError(_("Choose stalled, withdrawn or lost."), field="state")
    if not (reason or "").strip():
        raise DomainError(_("Give the reason."), field="reason")
    if project.stage in TERMINAL_STAGES:
        raise DomainError(_("The project is closed already."), code="terminal")
    audit.update(
        project,
        {"terminal_state": state, "terminal_reason": reason.strip(), "terminal_requested_by": by},
        by=by,
        code="investment.project.terminal_requested",
    )
    from zonebook.notify.services import notify, responsible_users

    approvers = responsible_users(project).filter(role="zone_leader").exclude(pk=by.pk)
    notify(
        approvers,
        "investment.terminal_requested",
        {
            "number": project.number,
            "state": str(project.get_terminal_state_display()),
            "reason": reason.strip(),
        },
        obj=project,
        url=project.get_absolute_url(),
        by=by,
    )
    return project


@transaction.atomic
def decide_terminal(project: Project, *, approve: bool, by, note: str = "") -> Project:
    """Approve or refuse a requested terminal state: a leader or a higher office, not the requester."""
    require(by)
    if not project.terminal_state:
        raise DomainError(_("No terminal state was requested."), code="no_request")
    if not (by.is_superuser or by.role in APPROVER_ROLES):
        raise DomainError(_("Only a leader or a higher office approves a terminal state."), code="forbidden")
    if project.terminal_requested_by_id == by.pk:
        raise DomainError(_("The requester cannot approve the own request."), code="four_eyes")
    if approve:
        audit.update(
            project,
            {
                "stage": project.terminal_state,
                "terminal_approved_by": by,
                "terminal_approved_at": timezone.now(),
            },
            by=by,
            code="investment.project.terminal_approved",
        )
        for d in Deadline.objects.filter(
            content_type__app_label="investment", content_type__model="project", object_id=project.pk
        ).exclude(state=Deadline.State.STOPPED):
            sla.stop(d, reason=project.get_stage_display(), by=by)
    else:
        audit.update(
            project,
            {"terminal_state": "", "terminal_requested_by": None},
            by=by,
            code="investment.project.terminal_refused",
        )
    return project


@transaction.atomic
def screen(
    project: Project,
    level: str,
    status: str,
    *,
    by,
    date: dt.date | None = None,
    reference: str = "",
    note: str = "",
) -> ProjectScreening:
    """甄别: submit to, or recognise / reject at, the city or the province.  The zone submits; the city
    screens its zones' projects, the province the projects the city recognised."""
    require(by)
    if project.signed_on is None:
        raise DomainError(_("Only signed projects are screened."), code="not_signed")
    if level not in ProjectScreening.Level.values or status not in (
        ScreeningStatus.SUBMITTED,
        ScreeningStatus.RECOGNISED,
        ScreeningStatus.REJECTED,
    ):
        raise DomainError(_("Unknown screening level or status."))
    scope = getattr(by, "scope_level", "")
    if status != ScreeningStatus.SUBMITTED:
        allowed = {"city": ("city", "province", "all"), "province": ("province", "all")}[level]
        if not (by.is_superuser or scope in allowed):
            raise DomainError(_("Your office does not screen at this level."), code="forbidden")
        current = project.city_screening if level == "city" else project.province_screening
        if current != ScreeningStatus.SUBMITTED:
            raise DomainError(_("The project has not been submitted at this level."), code="not_submitted")
    elif level == "province" and project.city_screening != ScreeningStatus.RECOGNISED:
        raise DomainError(
            _("The city recognises a project before the province screens it."), code="city_first"
        )
    row = ProjectScreening.objects.create(
        project=project,
        level=level,
        status=status,
        date=date or timezone.localdate(),
        reference=reference,
        note=note,
        by=by,
    )
    audit.record(
        row,
        code="investment.project.screened",
        by=by,
        action=AuditEntry.Action.CREATE,
        changes=audit.diff({}, audit.snapshot(row)),
    )
    Project.objects.filter(pk=project.pk).update(**{f"{level}_screening": status})
    setattr(project, f"{level}_screening", status)
    return row


# --------------------------------------------------------------------------- investors, events, targets

INVESTOR_FIELDS = [
    "name",
    "kind",
    "country",
    "home_region",
    "uscc",
    "industry",
    "parent_group",
    "fortune500",
    "china500",
    "contact_name",
    "contact_phone",
    "products",
    "transfer_target",
    "relocation_intent",
    "processing_trade_share",
    "workforce",
    "priority",
    "consent",
    "owner",
    "province_code",
    "city_code",
    "zone",
]


def scope_of_user(user) -> dict:
    """The office fields of a record a user creates (province, city, zone of the user's scope)."""
    zone = getattr(user, "zone", None)
    if zone is not None:
        return {"province_code": zone.province_code, "city_code": zone.city_code, "zone": zone}
    return {"province_code": user.province_code or "", "city_code": user.city_code or "", "zone": None}


@transaction.atomic
def create_investor(data: dict, *, by) -> Investor:
    require(by)
    values = {**scope_of_user(by), **{k: v for k, v in data.items() if k in INVESTOR_FIELDS}}
    return audit.create(Investor, values, by=by, code="investment.investor.created")


@transaction.atomic
def update_investor(inv: Investor, data: dict, *, by) -> dict:
    require(by)
    return audit.update(
        inv,
        {
            k: v
            for k, v in data.items()
            if k in INVESTOR_FIELDS and k not in ("province_code", "city_code", "zone")
        },
        by=by,
        code="investment.investor.updated",
    )


@transaction.atomic
def add_contact(inv: Investor, *, date: dt.date, channel: str, summary: str, by) -> InvestorContact:
    require(by)
    return audit.create(
        InvestorContact,
        {"investor": inv, "date": date, "channel": channel, "summary": summary, "recorded_by": by},
        by=by,
        code="investment.investor.contact",
    )


EVENT_FIELDS = ["kind", "title", "date", "end_date", "place", "participants", "leads", "note"]


@transaction.atomic
def create_event(data: dict, *, by, investors=()) -> InvestmentEvent:
    require(by)
    values = {**scope_of_user(by), **{k: v for k, v in data.items() if k in EVENT_FIELDS}}
    if data.get("zone") is not None:
        values.update(
            province_code=data["zone"].province_code, city_code=data["zone"].city_code, zone=data["zone"]
        )
    if values.get("end_date") and values["end_date"] < values["date"]:
        raise DomainError(_("The end date is before the start."), field="end_date")
    return audit.create(
        InvestmentEvent,
        values,
        by=by,
        code="investment.event.created",
        m2m={"investors": list(investors)} if investors else None,
    )


@transaction.atomic
def set_target(
    *,
    year: int,
    by,
    zone=None,
    city_code: str = "",
    province_code: str = "",
    signed_count: int = 0,
    signed_amount=Decimal(0),
    funds_in_place=Decimal(0),
) -> InvestmentTarget:
    require(by)
    if zone is not None:
        city_code, province_code = zone.city_code, zone.province_code
    row = InvestmentTarget.objects.filter(
        year=year, zone=zone, city_code=city_code, province_code=province_code
    ).first()
    data = {"signed_count": signed_count, "signed_amount": signed_amount, "funds_in_place": funds_in_place}
    if row is None:
        return audit.create(
            InvestmentTarget,
            {"year": year, "zone": zone, "city_code": city_code, "province_code": province_code, **data},
            by=by,
            code="investment.target.created",
        )
    audit.update(row, data, by=by, code="investment.target.updated")
    return row
