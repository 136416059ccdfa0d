"""Statistics service functions: every write of the stats app, audited in the same transaction.

* ``record_observation`` / ``record_many``: store official values (submitted or imported).  A
  re-sent month replaces the earlier value with an audit entry (old -> new), never a duplicate; an
  official value replaces a derived one, a derived value never replaces an official one.
* ``recompute``: rebuild the derived figures set-based (``sql.recompute``).
* ``figures``: the figures of one entity, indicator and month computed with ``calc`` (value, unit,
  YoY, share of the parent and its change, ranks, target completion, time progress, definition breaks).
* reporting: ``open_period``, ``get_or_create_submission``, ``save_values``, ``validate``, ``submit``,
  ``review`` (city, then province; return for correction), ``not_reported``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.permissions import has_role, may_write, require_write
from zonebook.core.scoping import apply_scope

from . import calc, sql
from .models import (
    OFFICIAL,
    Basis,
    Entity,
    Indicator,
    IndicatorDefinition,
    Observation,
    Provenance,
    ReportForm,
    ReportPeriod,
    Submission,
    SubmissionStatus,
    SubmissionValue,
    Target,
    period_of,
    ym_of,
)

AREA = "stats"
REPORTER_ROLES = ("zone_staff", "zone_leader", "enterprise")
CITY_ROLES = ("city_commerce",)
PROVINCE_ROLES = ("province_commerce", "system_admin")


class StatsError(ValidationError):
    pass


def check_write(by) -> None:
    require_write(by, AREA, _("Your role may not change statistics."))


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def parse_period(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise StatsError(_("A period is written YYYY-MM, e.g. 2008-12.")) from None


# --- observations ------------------------------------------------------------------------------------------


def _check_basis(indicator: Indicator, basis: str) -> None:
    if basis not in Basis.values:
        raise StatsError(_("Unknown basis %(basis)s.") % {"basis": basis})
    if indicator.cumulative_only and basis == Basis.MONTH:
        raise StatsError(
            _("%(indicator)s is published year-to-date only: report the cumulative value, not the month's.")
            % {"indicator": indicator.name}
        )
    if indicator.is_computed:
        raise StatsError(_("%(indicator)s is computed from other indicators and cannot be entered.") % {"indicator": indicator.name})


def record_observation(
    entity: Entity, indicator: Indicator, period: dt.date, basis: str, value: Decimal, *,
    provenance: str, source_ref: str = "", by=None,
) -> tuple[Observation, str]:
    """Store an official value; returns ``(observation, "created" | "replaced" | "unchanged")``."""
    if provenance not in OFFICIAL:
        raise StatsError(_("Only submitted or imported values are recorded here; derived values are recomputed."))
    _check_basis(indicator, basis)
    period = month_start(period)
    with transaction.atomic():
        obs = (
            Observation.objects.select_for_update()
            .filter(entity=entity, indicator=indicator, ym=ym_of(period), basis=basis)
            .first()
        )
        if obs is None:
            obs = Observation(entity=entity, indicator=indicator, period=period, basis=basis, value=value,
                              provenance=provenance, source_ref=source_ref[:200])
            obs.save()
            audit.record(obs, code="stats.observation.created", by=by, action="create",
                         changes={"value": [None, str(value)], "provenance": [None, provenance]}, message=source_ref)
            return obs, "created"
        before = {"value": str(obs.value), "provenance": obs.provenance, "source_ref": obs.source_ref}
        if obs.value == value and obs.provenance == provenance:
            return obs, "unchanged"
        obs.value, obs.provenance, obs.source_ref = value, provenance, source_ref[:200]
        obs.fx_rate, obs.fx_note = None, ""
        obs.save()
        audit.record(
            obs, code="stats.observation.replaced", by=by, action="update",
            changes=audit.diff(before, {"value": str(value), "provenance": provenance, "source_ref": obs.source_ref}),
            message=_("A re-sent value replaced the earlier one."),
        )
        return obs, "replaced"


def recompute(by=None, years=None) -> dict[str, int]:
    """Rebuild the derived observations and figures (set-based); ``years``: only what the values of
    these years feed (see ``sql.recompute``)."""
    return sql.recompute(years=years)


# --- figures of one entity ---------------------------------------------------------------------------------


@dataclass
class Figures:
    entity: Entity
    indicator: Indicator
    period: dt.date
    basis: str
    value: Decimal | None
    provenance: str
    prior: Decimal | None
    yoy: calc.Pct
    two_year: calc.Pct
    parent: Entity | None
    share: calc.Pct
    share_pp: calc.Pct
    ranks: dict[str, tuple[int, int] | None]
    targets: list[dict] = field(default_factory=list)
    breaks: list[dt.date] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def pct(p: calc.Pct):
            return {"value": None if p.value is None else str(p.value), "reason": p.reason,
                    "reason_text": reason_text(p.reason)}

        return {
            "entity": {"code": self.entity.code, "name": self.entity.name},
            "indicator": {"code": self.indicator.code, "name": self.indicator.name, "unit": self.indicator.unit,
                          "currency": self.indicator.currency},
            "period": self.period.strftime("%Y-%m"),
            "basis": self.basis,
            "value": None if self.value is None else str(self.value),
            "provenance": self.provenance,
            "prior_year": None if self.prior is None else str(self.prior),
            "yoy_pct": pct(self.yoy),
            "two_year_avg_pct": pct(self.two_year),
            "parent": None if self.parent is None else {"code": self.parent.code, "name": self.parent.name},
            "share_of_parent_pct": pct(self.share),
            "share_change_pp": pct(self.share_pp),
            "ranks": {k: (None if v is None else {"rank": v[0], "of": v[1]}) for k, v in self.ranks.items()},
            "targets": self.targets,
            "definition_breaks": [d.isoformat() for d in self.breaks],
        }


def reason_text(reason: str) -> str:
    return {
        "": "",
        calc.ZERO_BASE: _("the base is zero"),
        calc.NEGATIVE_BASE: _("the base is negative"),
        calc.MISSING_BASE: _("no value for the base period"),
        calc.MISSING_VALUE: _("no value for this period"),
        calc.NO_TARGET: _("no target set"),
        calc.CURRENCY_MISMATCH: _("different currencies"),
    }.get(reason, reason)


def _values(entity_ids, indicator, yms, basis) -> dict[tuple[int, int], tuple[Decimal, str]]:
    rows = Observation.objects.filter(entity_id__in=entity_ids, indicator=indicator, ym__in=yms, basis=basis)
    return {(r[0], r[1]): (r[2], r[3]) for r in rows.values_list("entity_id", "ym", "value", "provenance")}


PEER_GROUPS = (("nation", None), ("region", "region"), ("province", "province_code"), ("type", "zone_type"))


def figures(entity: Entity, indicator: Indicator, period: dt.date, basis: str | None = None) -> Figures:
    """All figures of one entity and indicator for a month, computed with ``calc`` from the stored
    observations (the same figures the pages and the API show)."""
    period = month_start(period)
    basis = basis or (Basis.CUM if indicator.additive else Basis.MONTH)
    ym = ym_of(period)
    ids = [entity.pk] + ([entity.parent_id] if entity.parent_id else [])
    vals = _values(ids, indicator, [ym, ym - 12, ym - 24], basis)
    value, prov = vals.get((entity.pk, ym), (None, ""))
    prior = vals.get((entity.pk, ym - 12), (None, ""))[0]
    base2 = vals.get((entity.pk, ym - 24), (None, ""))[0]
    parent = entity.parent
    share = share_before = calc.Pct(None, calc.MISSING_BASE)
    if parent is not None:
        share = calc.share(value, vals.get((parent.pk, ym), (None,))[0])
        share_before = calc.share(prior, vals.get((parent.pk, ym - 12), (None,))[0])
    # ranks: all entities of the same level with a value for this month
    peers = list(
        Observation.objects.filter(indicator=indicator, ym=ym, basis=basis, entity__level=entity.level)
        .values_list("entity_id", "value", "entity__region", "entity__province_code", "entity__zone_type")
    )
    ranks: dict[str, tuple[int, int] | None] = {}
    for name, attr_index in (("nation", None), ("region", 2), ("province", 3), ("type", 4)):
        if value is None:
            ranks[name] = None
            continue
        if attr_index is None:
            rows = [(p[0], 0, p[1]) for p in peers]
        else:
            mine = next((p[attr_index] for p in peers if p[0] == entity.pk), "")
            if not mine:
                ranks[name] = None
                continue
            rows = [(p[0], 0, p[1]) for p in peers if p[attr_index] == mine]
        ranks[name] = calc.rank_in_groups(rows, descending=indicator.higher_is_better).get(entity.pk)
    breaks = calc.crosses_break(
        dt.date(period.year - 1, period.month, 1), period,
        IndicatorDefinition.objects.filter(indicator=indicator, is_break=True).values_list("valid_from", flat=True),
    )
    return Figures(
        entity=entity, indicator=indicator, period=period, basis=basis, value=value, provenance=prov, prior=prior,
        yoy=calc.yoy(value, prior), two_year=calc.two_year_avg_from_values(value, base2), parent=parent,
        share=share, share_pp=calc.pp_change(share, share_before) if share else calc.Pct(None, share.reason),
        ranks=ranks, targets=target_progress(entity, indicator, period), breaks=breaks,
    )


def target_progress(entity: Entity, indicator: Indicator, period: dt.date) -> list[dict]:
    """Progress of the targets of ``entity``/``indicator`` in force at ``period``: completion (year-to-
    date value of the period, for a level target the value reached), time progress, ahead/behind in
    pp and the traffic light (``notify.lights``)."""
    from zonebook.notify.lights import traffic_light

    out = []
    ym = ym_of(period)
    basis = Basis.CUM if indicator.additive else Basis.MONTH
    for t in Target.objects.filter(entity=entity, indicator=indicator, start_year__lte=period.year, end_year__gte=period.year):
        cur = Observation.objects.filter(entity=entity, indicator=indicator, ym=ym, basis=basis).values_list("value", flat=True).first()
        done = calc.completion(cur, t.value)
        total = (t.end_year - t.start_year + 1) * 12
        progress = calc.schedule_progress(calc.months_elapsed((t.start_year, 1), (period.year, period.month)), total)
        # annual: year-to-date against the year's target; multi-year (a level to reach, e.g. 2020 goals):
        # the level reached against the goal, with time progress over the whole span
        ahead = calc.ahead_pp(done, progress)
        light = traffic_light(ahead.value, amber=t.amber_pp, red=t.red_pp) if ahead else ""
        out.append({
            "target_id": t.pk, "years": f"{t.start_year}–{t.end_year}" if t.is_multi_year else str(t.end_year),
            "target": str(t.value), "doc": t.doc,
            "completion_pct": None if done.value is None else str(done.value), "reason": done.reason,
            "time_progress_pct": str(progress),
            "ahead_pp": None if ahead.value is None else str(ahead.value), "light": light,
        })
    return out


def set_target(entity: Entity, indicator: Indicator, start_year: int, end_year: int, value: Decimal, *, doc: str = "",
               note: str = "", by=None) -> Target:
    check_write(by)
    if not Entity.objects.for_user(by).filter(pk=entity.pk).exists():
        raise Http404(_("Not found."))
    with transaction.atomic():
        t = Target.objects.filter(entity=entity, indicator=indicator, start_year=start_year, end_year=end_year).first()
        if t is None:
            return audit.create(Target, dict(entity=entity, indicator=indicator, start_year=start_year, end_year=end_year,
                                             value=value, doc=doc, note=note), by=by, code="stats.target.created")
        audit.update(t, {"value": value, "doc": doc, "note": note}, by=by, code="stats.target.updated")
        return t


# --- reporting ---------------------------------------------------------------------------------------------


def due_date_for(form: ReportForm, period: dt.date) -> tuple[dt.date, bool]:
    """Due date of a period's return: N working days after the period's last day (SLA calendar)."""
    from zonebook.sla import workcal

    nxt = (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return workcal.add_working_days(nxt - dt.timedelta(days=1), form.due_working_days)


def open_period(form: ReportForm, period: dt.date, *, by=None) -> ReportPeriod:
    period = month_start(period)
    with transaction.atomic():
        rp = ReportPeriod.objects.filter(form=form, period=period).first()
        if rp:
            return rp
        due, provisional = due_date_for(form, period)
        rp = ReportPeriod(form=form, period=period, due_date=due, due_provisional=provisional)
        rp.save()
        return rp


def may_report(user) -> bool:
    return has_role(user, *REPORTER_ROLES) or may_write(user, AREA)


def scoped_entity(user, pk) -> Entity:
    """The entity ``pk`` if the user may see it, else 404 (another zone's entity is not found)."""
    e = apply_scope(Entity.objects.all(), user).filter(pk=pk).first()
    if e is None:
        raise Http404(_("Not found."))
    return e


def get_or_create_submission(report_period: ReportPeriod, entity: Entity, *, by) -> Submission:
    entity = scoped_entity(by, entity.pk)
    if not may_report(by):
        raise PermissionDenied(_("Your role may not report statistics."))
    with transaction.atomic():
        sub = Submission.objects.filter(report_period=report_period, entity=entity).first()
        if sub:
            return sub
        return audit.create(Submission, dict(report_period=report_period, entity=entity), by=by,
                            code="stats.submission.created")


def _dec(v: Any) -> Decimal | None:
    if v in (None, ""):
        return None
    try:
        return Decimal(str(v).replace(",", "").strip())
    except InvalidOperation:
        raise StatsError(_("%(value)s is not a number.") % {"value": v}) from None


@dataclass
class Issue:
    indicator: str
    basis: str
    code: str
    message: str
    blocking: bool  # True: must be fixed; False: needs an explanation / confirmation
    resolved: bool = False


def validate(sub: Submission) -> list[Issue]:
    """The validation rules of a return: required, ranges, consistency (imports + exports = total),
    month ≤ cumulative, a jump > N % against last year needs an explanation, an order-of-magnitude
    jump asks whether the unit is 元/万元/亿元."""
    form = sub.report_period.form
    return check_values(sub.entity, form, sub.report_period.period,
                        {(v.indicator_id, v.basis): v for v in sub.values.all()})


def check_values(entity: Entity, form: ReportForm, period: dt.date, values: Mapping[tuple[int, str], Any], *,
                 lines=None, last_year=None, current_other=None, indicators=None) -> list[Issue]:
    """The rules of ``validate`` over values given as ``{(indicator id, basis): v}`` (``v`` with
    ``value``, ``explanation`` and ``unit_confirmed``): the direct-reporting page and the bulk import
    of returns check the same way.  ``lines`` (the form's lines), ``last_year`` / ``current_other``
    (the entity's observations of the month a year before and of the month, ``{(indicator id, basis):
    value}``) and ``indicators`` (``{id: Indicator}`` with ``parts`` prefetched) may be given preloaded
    (an import loads them once per batch)."""
    if lines is None:
        lines = list(form.lines.select_related("indicator"))
    issues: list[Issue] = []
    ym = ym_of(period)
    if last_year is None:
        last_year = {
            (o.indicator_id, o.basis): o.value
            for o in Observation.objects.filter(entity=entity, ym=ym - 12)
        }
    if current_other is None:
        current_other = {(o.indicator_id, o.basis): o.value for o in Observation.objects.filter(entity=entity, ym=ym)}
    for line in lines:
        ind = line.indicator
        sv = values.get((ind.pk, line.basis))
        v = sv.value if sv else None
        if v is None:
            if line.required:
                issues.append(Issue(ind.code, line.basis, "required", _("%(name)s is required.") % {"name": ind.name}, True))
            continue
        if ind.min_value is not None and v < ind.min_value or ind.max_value is not None and v > ind.max_value:
            issues.append(Issue(ind.code, line.basis, "range", _("%(name)s must lie between %(lo)s and %(hi)s.") % {
                "name": ind.name, "lo": ind.min_value if ind.min_value is not None else "—",
                "hi": ind.max_value if ind.max_value is not None else "—"}, True))
        prior = last_year.get((ind.pk, line.basis))
        power = calc.magnitude_jump(v, prior)
        if power:
            issues.append(Issue(ind.code, line.basis, "magnitude", _(
                "%(name)s is about 10^%(power)s times last year's %(prior)s %(unit)s: is the unit right (元/万元/亿元)?"
            ) % {"name": ind.name, "power": power, "prior": prior, "unit": ind.unit}, False, bool(sv.unit_confirmed)))
        else:
            growth = calc.yoy(v, prior)
            if growth and abs(growth.value) > ind.jump_pct:
                issues.append(Issue(ind.code, line.basis, "jump", _(
                    "%(name)s changed by %(pct)s %% against last year (more than %(limit)s %%): please explain."
                ) % {"name": ind.name, "pct": growth.rounded(1), "limit": ind.jump_pct.normalize()}, False,
                    bool((sv.explanation or "").strip())))
    # month ≤ cumulative
    by_ind = {}
    for (ind_id, basis), sv in values.items():
        by_ind.setdefault(ind_id, {})[basis] = sv.value
    if indicators is None:
        indicators = {i.pk: i for i in Indicator.objects.filter(pk__in=by_ind).prefetch_related("parts")}
    inds = indicators
    for ind_id, b in by_ind.items():
        m, c = b.get(Basis.MONTH), b.get(Basis.CUM)
        if m is not None and c is not None and inds[ind_id].additive and m > c and m >= 0:
            issues.append(Issue(inds[ind_id].code, Basis.MONTH, "month_gt_cum", _(
                "The month's %(name)s exceeds its year-to-date value.") % {"name": inds[ind_id].name}, True))
    # imports + exports = total
    for whole in [inds[i] for i in by_ind if i in inds]:
        parts = list(whole.parts.all())
        if not parts:
            continue
        for basis, total in by_ind[whole.pk].items():
            part_values = [by_ind.get(p.pk, {}).get(basis, current_other.get((p.pk, basis))) for p in parts]
            if total is None or any(pv is None for pv in part_values):
                continue
            gap = total - sum(part_values)
            if abs(gap) > Decimal("0.01"):
                issues.append(Issue(whole.code, basis, "parts", _(
                    "%(name)s (%(total)s) is not the sum of its parts (%(sum)s): %(parts)s.") % {
                    "name": whole.name, "total": total, "sum": sum(part_values),
                    "parts": " + ".join(p.name for p in parts)}, True))
    return issues


def save_values(sub: Submission, data: Mapping[tuple[str, str], Mapping[str, Any]], *, by) -> Submission:
    """Save a draft: ``{(indicator code, basis): {"value", "explanation", "unit_confirmed"}}``."""
    sub = Submission.objects.for_user(by).filter(pk=sub.pk).first() if by else None
    if sub is None:
        raise Http404(_("Not found."))
    if not may_report(by):
        raise PermissionDenied(_("Your role may not report statistics."))
    if sub.status not in (SubmissionStatus.DRAFT, SubmissionStatus.RETURNED):
        raise StatsError(_("This return has been submitted and can no longer be changed."))
    inds = {i.code: i for i in Indicator.objects.filter(code__in=[k[0] for k in data])}
    allowed = {(ln.indicator.code, ln.basis) for ln in sub.report_period.form.lines.select_related("indicator")}
    with transaction.atomic():
        for (code, basis), row in data.items():
            ind = inds.get(code)
            if ind is None:
                raise StatsError(_("Unknown indicator %(code)s.") % {"code": code})
            _check_basis(ind, basis)
            if (code, basis) not in allowed:
                raise StatsError(_("%(name)s is not on this form.") % {"name": ind.name})
            value = _dec(row.get("value"))
            sv = SubmissionValue.objects.filter(submission=sub, indicator=ind, basis=basis).first()
            new = {"value": value, "explanation": (row.get("explanation") or "").strip(),
                   "unit_confirmed": bool(row.get("unit_confirmed"))}
            if sv is None:
                SubmissionValue.objects.create(submission=sub, indicator=ind, basis=basis, **new)
                changes = {f"{code}.{basis}": [None, None if value is None else str(value)]}
            else:
                changes = {f"{code}.{basis}": [None if sv.value is None else str(sv.value), None if value is None else str(value)]}
                for k, v in new.items():
                    setattr(sv, k, v)
                sv.save()
            if changes[f"{code}.{basis}"][0] != changes[f"{code}.{basis}"][1]:
                audit.record(sub, code="stats.submission.value_saved", by=by, action="update", changes=changes)
    return sub


def submit(sub: Submission, *, by, now: dt.datetime | None = None) -> Submission:
    """Submit for city review: blocked by unresolved errors; a late return is accepted and flagged."""
    sub = Submission.objects.for_user(by).select_for_update().filter(pk=sub.pk).first() if by else None
    if sub is None:
        raise Http404(_("Not found."))
    if not may_report(by):
        raise PermissionDenied(_("Your role may not report statistics."))
    with transaction.atomic():
        if sub.status not in (SubmissionStatus.DRAFT, SubmissionStatus.RETURNED):
            raise StatsError(_("This return has already been submitted."))
        open_issues = [i for i in validate(sub) if i.blocking or not i.resolved]
        if open_issues:
            raise StatsError([i.message for i in open_issues])
        now = now or timezone.now()
        late = timezone.localdate(now) > sub.report_period.due_date
        before = {"status": sub.status}
        sub.status, sub.submitted_at, sub.submitted_by, sub.late = SubmissionStatus.SUBMITTED, now, by, late
        sub.return_reason = ""
        sub.save()
        audit.record(sub, code="stats.submission.submitted", by=by, action="update",
                     changes={"status": [before["status"], sub.status], "late": [None, late]})
    return sub


def review(sub: Submission, *, approve: bool, reason: str = "", by) -> Submission:
    """City review of a submitted return, then province review; either may return it for correction
    (with a reason).  Province acceptance records the values as official observations."""
    sub = Submission.objects.for_user(by).filter(pk=sub.pk).first() if by else None
    if sub is None:
        raise Http404(_("Not found."))
    check_write(by)
    if sub.status == SubmissionStatus.SUBMITTED:
        if not has_role(by, *CITY_ROLES, *PROVINCE_ROLES):
            raise PermissionDenied(_("The city reviews this return first."))
        nxt = SubmissionStatus.CITY_APPROVED
    elif sub.status == SubmissionStatus.CITY_APPROVED:
        if not has_role(by, *PROVINCE_ROLES):
            raise PermissionDenied(_("Only the province accepts a return approved by the city."))
        nxt = SubmissionStatus.ACCEPTED
    else:
        raise StatsError(_("This return is not waiting for review."))
    if not approve:
        if not reason.strip():
            raise StatsError(_("Give the reason for returning it."))
        nxt = SubmissionStatus.RETURNED
    with transaction.atomic():
        before = sub.status
        sub.status, sub.reviewed_at, sub.reviewed_by = nxt, timezone.now(), by
        sub.return_reason = reason.strip() if not approve else ""
        sub.save()
        audit.record(sub, code="stats.submission.reviewed", by=by, action="update",
                     changes={"status": [before, nxt]}, message=sub.return_reason)
        if nxt == SubmissionStatus.RETURNED:
            from zonebook.notify.services import notify, responsible_users

            notify(responsible_users(sub.entity), "stats.returned",
                   {"entity": sub.entity.name, "period": sub.report_period.period.strftime("%Y-%m"),
                    "reason": sub.return_reason}, obj=sub, url=sub.get_absolute_url(), by=by)
        if nxt == SubmissionStatus.ACCEPTED:
            for sv in sub.values.select_related("indicator").exclude(value=None):
                record_observation(sub.entity, sv.indicator, sub.report_period.period, sv.basis, sv.value,
                                   provenance=Provenance.SUBMITTED, source_ref=f"submission {sub.pk}", by=by)
            # one return touches one entity's month: its year is recomputed here, in the same
            # transaction, so the reviewer (and everyone after) sees current figures (freshness.py)
            sql.recompute(years=[sub.report_period.period.year])
    return sub


def not_reported(report_period: ReportPeriod, user) -> Iterable[Entity]:
    """Entities of the form's level in the user's scope without a submitted return for the period."""
    done = Submission.objects.filter(report_period=report_period).exclude(
        status__in=(SubmissionStatus.DRAFT, SubmissionStatus.RETURNED)
    ).values("entity_id")
    qs = Entity.objects.for_user(user).filter(level=report_period.form.level, zone__isnull=False)
    return qs.exclude(pk__in=done).order_by("name")


def ensure_entity_for_zone(zone, *, parent: Entity | None = None, code: str | None = None) -> Entity:
    """The statistical entity of a registry zone (created on first use)."""
    from .regions import region_of

    e = Entity.objects.filter(zone=zone).first()
    if e:
        return e
    e = Entity(code=code or f"Z{zone.pk}", name=zone.name, level="zone", zone=zone, parent=parent,
               province_code=zone.province_code, city_code=zone.city_code, region=region_of(zone.province_code),
               zone_type=zone.kind.code if zone.kind_id else "")
    e.save()
    return e


def period_label(ym: int) -> str:
    return period_of(ym).strftime("%Y-%m")
