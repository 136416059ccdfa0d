"""Policy tasks (政策任务分解) and the 目标责任考评 scorecards: service functions and the 调度 document.

* ``create_document``, ``add_task`` (lead units first, then responsible units: "列首位的为牵头单位"),
  ``parse_units`` (the "（责任单位：A，B、C）" notation of the Sichuan opinions);
* ``submit_report``: a progress report by one of the task's units; the reporter must belong to it
  (another unit's task is not found: views answer 404);
* ``task_light``: the task's light through ``notify.lights`` (the one light rule) from its next due
  date — the deadline, or the report day of the current period while a unit has not reported;
* ``compute_scorecards`` / ``add_adjustment`` / ``review`` / ``publish``: the yearly scorecard per unit
  from the configured ``ScoringRule`` rows (a rule whose indicator a unit does not have gives the
  rule's ``default_score``, never an error), ranked;
* ``dispatch_document``: the task list with its latest progress as a ``documents.content.Document``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.core.formatting import number
from zonebook.notify import lights

from . import calc
from .models import (
    PolicyDocument,
    PolicyTask,
    ProgressReport,
    Recurrence,
    ReportFigure,
    ReportStatus,
    Scorecard,
    ScorecardStatus,
    ScoreLine,
    ScoringRule,
    ScoringRuleKind,
    TaskIndicator,
    TaskUnit,
)
from .services import require, scope_of_user

REPORT_DAY = 28  # progress to the supervision office by the 28th (Panjin 2021)
AMBER_DAYS, RED_DAYS = 14, 3


@transaction.atomic
def create_document(data: dict, *, by) -> PolicyDocument:
    require(by)
    fields = ("title", "number", "issuer", "issued_on", "full_text", "valid")
    scope = scope_of_user(by)
    if (
        getattr(by, "scope_level", "") == "all" or by.is_superuser
    ):  # an installation administrator names the office
        scope.update({k: data[k] for k in ("province_code", "city_code", "zone") if data.get(k)})
    return audit.create(
        PolicyDocument,
        {**scope, **{k: v for k, v in data.items() if k in fields}},
        by=by,
        code="investment.policydocument.created",
    )


@transaction.atomic
def add_task(
    document: PolicyDocument, data: dict, *, lead_units, responsible_units=(), indicators=(), by
) -> PolicyTask:
    """A task with its units in order (leads first) and its indicators ``[(code, name, target, unit)]``."""
    require(by)
    lead_units = list(lead_units)
    if not lead_units:
        raise DomainError(_("A task needs a lead unit."), field="lead_units")
    fields = ("number", "section", "text", "goal", "deadline", "recurrence")
    task = audit.create(
        PolicyTask,
        {"document": document, **{k: v for k, v in data.items() if k in fields}},
        by=by,
        code="investment.policytask.created",
    )
    seen, rows = set(), []
    for role, units in ((TaskUnit.Role.LEAD, lead_units), (TaskUnit.Role.RESPONSIBLE, responsible_units)):
        for unit in units:
            if unit.pk in seen:
                continue
            seen.add(unit.pk)
            rows.append(TaskUnit(task=task, unit=unit, role=role, order=len(rows)))
    TaskUnit.objects.bulk_create(rows)
    TaskIndicator.objects.bulk_create(
        TaskIndicator(task=task, code=c, name=n, target=Decimal(t), unit=u) for c, n, t, u in indicators
    )
    audit.record(
        task,
        code="investment.policytask.units",
        by=by,
        changes={"units": [None, [f"{r.role}: {r.unit.name}" for r in rows]]},
    )
    return task


UNITS_RE = re.compile(r"（责任单位：([^）]*)）")


def parse_units(text: str) -> tuple[list[str], list[str]]:
    """``"（责任单位：商务厅，省投资促进局、省发展改革委）"`` → (["商务厅"], ["省投资促进局", "省发展改革委"]).

    The units before the first "，" lead (列首位的为牵头单位; "省投资促进局、商务厅，…" names two leads);
    trailing notes such as "。列首位的为牵头单位，下同。" are dropped."""
    m = UNITS_RE.search(text)
    if not m:
        return [], []
    body = m.group(1).split("。")[0]
    head, _sep, rest = body.partition("，")
    split = lambda s: [u.strip() for u in re.split("[、，]", s) if u.strip()]  # noqa: E731
    return split(head), split(rest)


def user_units(user):
    from zonebook.accounts.units import units_for

    return units_for(user)


def visible_tasks(user):
    """Tasks in the user's scope plus the tasks of the units the user belongs to (a city bureau sees
    the provincial tasks it is a responsible unit of)."""
    mine = TaskUnit.objects.filter(unit__in=user_units(user)).values("task_id")
    return PolicyTask.objects.filter(
        Q(pk__in=PolicyTask.objects.for_user(user).values("pk")) | Q(pk__in=mine)
    )


def visible_documents(user):
    """Documents in the user's scope plus those with tasks of the user's units."""
    mine = TaskUnit.objects.filter(unit__in=user_units(user)).values("task__document_id")
    return PolicyDocument.objects.filter(
        Q(pk__in=PolicyDocument.objects.for_user(user).values("pk")) | Q(pk__in=mine)
    )


def reportable_units(task: PolicyTask, user):
    """The task's units the user may report for (member or head of)."""
    return user_units(user).filter(pk__in=task.task_units.values("unit_id"))


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def due_for_period(period: dt.date) -> dt.date:
    last = calendar.monthrange(period.year, period.month)[1]
    return period.replace(day=min(REPORT_DAY, last))


@transaction.atomic
def submit_report(
    task: PolicyTask,
    unit,
    *,
    period: dt.date,
    text: str,
    figures: dict | None = None,
    by,
    now: dt.datetime | None = None,
) -> ProgressReport:
    if not reportable_units(task, by).filter(pk=unit.pk).exists():
        raise DomainError(
            _("You do not report for this unit on this task."), code="not_your_unit", field="unit"
        )
    if not (text or "").strip():
        raise DomainError(_("Describe the progress."), field="text")
    now = now or timezone.now()
    period = _month(period)
    if period > _month(timezone.localtime(now).date()):
        raise DomainError(_("A report cannot be for a future month."), field="period")
    on_time = timezone.localtime(now).date() <= due_for_period(period)
    existing = ProgressReport.objects.filter(task=task, unit=unit, period=period).first()
    if existing is not None and existing.status != ReportStatus.RETURNED:
        raise DomainError(
            _("This unit has reported on this month already."), code="duplicate", field="period"
        )
    if existing is not None:
        audit.update(
            existing,
            {
                "text": text,
                "status": ReportStatus.SUBMITTED,
                "submitted_at": now,
                "on_time": on_time,
                "submitted_by": by,
            },
            by=by,
            code="investment.progressreport.resubmitted",
        )
        report = existing
        report.figures.all().delete()
    else:
        report = audit.create(
            ProgressReport,
            {
                "task": task,
                "unit": unit,
                "period": period,
                "text": text,
                "submitted_at": now,
                "on_time": on_time,
                "submitted_by": by,
            },
            by=by,
            code="investment.progressreport.submitted",
        )
    indicator_ids = set(task.indicators.values_list("pk", flat=True))
    rows = [
        ReportFigure(report=report, indicator=ind, value=Decimal(v))
        for ind, v in (figures or {}).items()
        if ind.pk in indicator_ids
    ]
    ReportFigure.objects.bulk_create(rows)
    if rows:
        audit.record(
            report,
            code="investment.progressreport.figures",
            by=by,
            changes={"figures": [None, {r.indicator.code: str(r.value) for r in rows}]},
        )
    return report


@transaction.atomic
def return_report(report: ProgressReport, reason: str, *, by) -> None:
    require(by)
    if not (reason or "").strip():
        raise DomainError(_("Give the reason."), field="reason")
    audit.update(report, {"status": ReportStatus.RETURNED}, by=by, code="investment.progressreport.returned")
    audit.record(report, code="investment.progressreport.return_reason", by=by, message=reason)


def next_due(
    task: PolicyTask, today: dt.date, reported_units: set | None = None, unit_ids: set | None = None
):
    """The date the task is next due: the deadline for a one-off task; for a recurring one the report
    day of the current month / quarter end / year end while a unit has not reported for it."""
    if task.done:
        return None
    if not task.recurrence:
        return task.deadline
    if task.recurrence == Recurrence.MONTHLY:
        period = _month(today)
    elif task.recurrence == Recurrence.QUARTERLY:
        period = dt.date(today.year, ((today.month - 1) // 3) * 3 + 3, 1)
    else:
        period = dt.date(today.year, 12, 1)
    if unit_ids is not None and reported_units is not None and unit_ids <= reported_units:
        return None  # everyone reported on the current period
    return due_for_period(period)


def task_light(task: PolicyTask, today: dt.date | None = None, reported_units=None, unit_ids=None) -> str:
    today = today or timezone.localdate()
    due = next_due(task, today, reported_units, unit_ids)
    if due is None:
        return lights.GREEN if task.done or task.recurrence else ""
    return lights.traffic_light((due - today).days, amber=AMBER_DAYS, red=RED_DAYS, overdue_below=0)


def tasks_with_lights(qs, today: dt.date | None = None):
    """``qs`` with units prefetched, report counts and ``light`` set on each row (fixed queries)."""
    today = today or timezone.localdate()
    month = _month(today)
    qs = qs.prefetch_related(
        Prefetch("task_units", queryset=TaskUnit.objects.select_related("unit").order_by("order")),
        Prefetch(
            "reports",
            queryset=ProgressReport.objects.filter(period__gte=month.replace(month=1))
            .exclude(status=ReportStatus.RETURNED)
            .only("task_id", "unit_id", "period"),
            to_attr="year_reports",
        ),
    ).annotate(report_count=Count("reports", distinct=True))
    return LightedTasks(qs, today)


class LightedTasks:
    """A queryset wrapper setting ``light`` on the rows it yields (slicing and counting pass through)."""

    def __init__(self, qs, today):
        self.qs, self.today = qs, today

    def _mark(self, task):
        period = _month(self.today)
        if task.recurrence == Recurrence.QUARTERLY:
            period = dt.date(self.today.year, ((self.today.month - 1) // 3) * 3 + 1, 1)
        elif task.recurrence == Recurrence.YEARLY:
            period = dt.date(self.today.year, 1, 1)
        reported = {r.unit_id for r in getattr(task, "year_reports", []) if r.period >= period}
        units = {tu.unit_id for tu in task.task_units.all()}
        task.light = task_light(task, self.today, reported, units)
        return task

    def __iter__(self):
        return (self._mark(t) for t in self.qs)

    def __getitem__(self, item):
        result = self.qs[item]
        return [self._mark(t) for t in result] if isinstance(item, slice) else self._mark(result)

    def __len__(self):
        return self.qs.count()

    def count(self):
        return self.qs.count()

    def __getattr__(self, name):
        return getattr(self.qs, name)


# --------------------------------------------------------------------------- 目标责任考评


def _periods_due(task: PolicyTask, year: int, today: dt.date) -> int:
    """How many reports the task expected from each unit in ``year`` up to ``today``."""
    end = min(today, dt.date(year, 12, 31))
    if end < dt.date(year, 1, 1):
        return 0
    if task.recurrence == Recurrence.MONTHLY:
        return sum(1 for m in range(1, end.month + 1) if due_for_period(dt.date(year, m, 1)) <= end)
    if task.recurrence == Recurrence.QUARTERLY:
        return sum(1 for q in (3, 6, 9, 12) if q <= end.month and due_for_period(dt.date(year, q, 1)) <= end)
    if task.recurrence == Recurrence.YEARLY:
        return 1 if due_for_period(dt.date(year, 12, 1)) <= end else 0
    return 1 if task.deadline and task.deadline.year == year and task.deadline <= end else 0


def score_unit(
    unit, tasks: list[PolicyTask], rules: list[ScoringRule], year: int, today: dt.date
) -> list[dict]:
    """The lines of one unit's scorecard (pure over the loaded rows; ``tasks`` carry their reports)."""
    lines = []
    reports = [r for t in tasks for r in t.unit_reports]
    for rule in rules:
        if rule.kind == ScoringRuleKind.ON_TIME:
            expected = sum(_periods_due(t, year, today) for t in tasks)
            on_time = sum(1 for r in reports if r.on_time and r.period.year == year)
            if expected == 0:
                lines.append(
                    {
                        "rule": rule,
                        "score": rule.default_score,
                        "reason": _("No report was due; the rule's default applies."),
                    }
                )
            else:
                lines.append(
                    {
                        "rule": rule,
                        "score": calc.rule_score(rule.max_score, min(on_time, expected), expected),
                        "reason": _("%(a)d of %(e)d reports on time")
                        % {"a": min(on_time, expected), "e": expected},
                    }
                )
        elif rule.kind == ScoringRuleKind.COMPLETED_TASKS:
            due = [t for t in tasks if t.deadline and t.deadline.year == year]
            if not due:
                lines.append(
                    {
                        "rule": rule,
                        "score": rule.default_score,
                        "reason": _("No task was due this year; the rule's default applies."),
                    }
                )
            else:
                done = sum(1 for t in due if t.done)
                lines.append(
                    {
                        "rule": rule,
                        "score": calc.rule_score(rule.max_score, done, len(due)),
                        "reason": _("%(a)d of %(e)d tasks completed") % {"a": done, "e": len(due)},
                    }
                )
        elif rule.kind == ScoringRuleKind.INDICATOR:
            inds = [i for t in tasks for i in t.indicators.all() if i.code == rule.indicator_code]
            if not inds:
                lines.append(
                    {
                        "rule": rule,
                        "score": rule.default_score,
                        "reason": _(
                            "Indicator %(c)s is not among the unit's tasks; the rule's default applies."
                        )
                        % {"c": rule.indicator_code},
                    }
                )
                continue
            target = sum(i.target for i in inds)
            ind_ids = {i.pk for i in inds}
            latest: dict = {}
            # the task's figures as reported by any of its units (the lead consolidates), latest first wins
            all_reports = [r for t in tasks for r in getattr(t, "all_reports", t.unit_reports)]
            for r in sorted(all_reports, key=lambda r: (r.period, r.submitted_at)):
                if r.period.year != year:
                    continue
                for f in r.figures.all():
                    if f.indicator_id in ind_ids:
                        latest[f.indicator_id] = f.value
            achieved = sum(latest.values(), Decimal(0))
            lines.append(
                {
                    "rule": rule,
                    "score": calc.rule_score(rule.max_score, achieved, target),
                    "reason": _("%(a)s of %(t)s") % {"a": number(achieved), "t": number(target)},
                }
            )
    return lines


@transaction.atomic
def compute_scorecards(
    year: int, *, by, province_code: str | None = None, today: dt.date | None = None
) -> list[Scorecard]:
    """(Re)compute the year's scorecards of every unit with tasks; manual deductions and bonuses are
    kept; published scorecards are not changed.  Ranks all the year's scorecards of the province."""
    require(by)
    today = today or timezone.localdate()
    province_code = province_code if province_code is not None else (by.province_code or "")
    rules = list(
        ScoringRule.objects.filter(year=year, province_code=province_code)
        .exclude(kind=ScoringRuleKind.ADJUSTMENT)
        .order_by("code")
    )
    tasks = list(
        visible_tasks(by)
        .filter(document__valid=True)
        .filter(Q(deadline__year=year) | Q(deadline__isnull=True) | ~Q(recurrence=""))
        .prefetch_related(
            "task_units",
            "indicators",
            Prefetch(
                "reports",
                queryset=ProgressReport.objects.exclude(status=ReportStatus.RETURNED).prefetch_related(
                    "figures"
                ),
            ),
        )
    )
    by_unit: dict[int, list] = {}
    for t in tasks:
        for tu in t.task_units.all():
            by_unit.setdefault(tu.unit_id, []).append(t)
    from zonebook.accounts.models import Unit

    units = Unit.objects.in_bulk(list(by_unit))
    cards = []
    for unit_id, unit_tasks in by_unit.items():
        card, created = Scorecard.objects.get_or_create(
            unit_id=unit_id, year=year, defaults={"province_code": province_code}
        )
        if card.status == ScorecardStatus.PUBLISHED:
            cards.append(card)
            continue
        for t in unit_tasks:
            t.all_reports = list(t.reports.all())
            t.unit_reports = [r for r in t.all_reports if r.unit_id == unit_id]
        lines = score_unit(units[unit_id], unit_tasks, rules, year, today)
        card.lines.filter(manual=False).delete()
        ScoreLine.objects.bulk_create(
            ScoreLine(
                scorecard=card,
                rule=ln["rule"],
                label=ln["rule"].name,
                score=ln["score"],
                reason=ln["reason"][:300],
            )
            for ln in lines
        )
        _total(card, by=by, created=created)
        cards.append(card)
    _rank(year, province_code)
    return cards


def _total(card: Scorecard, *, by, created=False) -> None:
    total = sum((ln.score for ln in card.lines.all()), Decimal(0))
    before = card.total
    card.total = total
    card.status = ScorecardStatus.DRAFT
    card.save(update_fields=["total", "status"])
    audit.record(
        card,
        code="investment.scorecard.computed",
        by=by,
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        changes={"total": [None if created else str(before), str(total)]},
    )


def _rank(year: int, province_code: str) -> None:
    cards = list(Scorecard.objects.filter(year=year, province_code=province_code))
    ranks = calc.rank({c.pk: c.total for c in cards})
    for c in cards:
        c.rank = ranks[c.pk]
    Scorecard.objects.bulk_update(cards, ["rank"])


@transaction.atomic
def add_adjustment(card: Scorecard, *, score: Decimal, reason: str, by) -> ScoreLine:
    """A deduction (negative) or bonus (positive) with its reason."""
    require(by)
    card = Scorecard.objects.select_for_update().get(pk=card.pk)
    if card.status == ScorecardStatus.PUBLISHED:
        raise DomainError(_("A published scorecard is not changed."), code="published")
    if not (reason or "").strip():
        raise DomainError(_("Give the reason."), field="reason")
    line = ScoreLine.objects.create(
        scorecard=card,
        label=_("Deduction") if score < 0 else _("Bonus"),
        score=score,
        reason=reason,
        manual=True,
    )
    _total(card, by=by)
    _rank(card.year, card.province_code)
    return line


@transaction.atomic
def review(card: Scorecard, *, by) -> None:
    require(by)
    if card.status != ScorecardStatus.DRAFT:
        raise DomainError(_("Only a draft is reviewed."), code="state")
    audit.update(card, {"status": ScorecardStatus.REVIEWED}, by=by, code="investment.scorecard.reviewed")


@transaction.atomic
def publish(year: int, *, by, province_code: str | None = None) -> int:
    """Publish the year's reviewed scorecards (all of them must be reviewed)."""
    require(by)
    province_code = province_code if province_code is not None else (by.province_code or "")
    cards = Scorecard.objects.filter(year=year, province_code=province_code)
    if cards.filter(status=ScorecardStatus.DRAFT).exists():
        raise DomainError(_("Review every scorecard before publishing."), code="drafts")
    n = 0
    for card in cards.filter(status=ScorecardStatus.REVIEWED):
        audit.update(
            card, {"status": ScorecardStatus.PUBLISHED}, by=by, code="investment.scorecard.published"
        )
        n += 1
    return n


# --------------------------------------------------------------------------- 调度 document


def dispatch_document(document: PolicyDocument | None, tasks, *, office: str, today: dt.date | None = None):
    """The 调度 meeting document: every task with its units, deadline, light and latest progress."""
    from zonebook.documents.content import Column, Document, Paragraph, Section, Table

    today = today or timezone.localdate()
    tasks = list(tasks)
    latest = {}
    ids = [t.pk for t in tasks]
    last_periods = (
        ProgressReport.objects.filter(task_id__in=ids)
        .exclude(status=ReportStatus.RETURNED)
        .values("task_id")
        .annotate(p=Max("period"))
    )
    wanted = {(r["task_id"], r["p"]) for r in last_periods}
    for r in (
        ProgressReport.objects.filter(task_id__in=ids)
        .exclude(status=ReportStatus.RETURNED)
        .select_related("unit")
        .order_by("task_id", "unit__name")
    ):
        if (r.task_id, r.period) in wanted:
            latest.setdefault(r.task_id, []).append(f"{r.unit.name}（{r.period:%Y年%m月}）：{r.text}")
    counts = {lights.GREEN: 0, lights.AMBER: 0, lights.RED: 0, lights.OVERDUE: 0}
    rows = []
    for i, t in enumerate(tasks, start=1):
        light = getattr(t, "light", None)
        if light is None:
            light = task_light(t, today)
        if light in counts:
            counts[light] += 1
        units = list(t.task_units.all())
        rows.append(
            [
                i,
                t.text if len(t.text) <= 120 else t.text[:120] + "…",
                "、".join(u.unit.name for u in units if u.role == TaskUnit.Role.LEAD),
                "、".join(u.unit.name for u in units if u.role == TaskUnit.Role.RESPONSIBLE),
                t.deadline.strftime("%Y-%m-%d") if t.deadline else t.get_recurrence_display(),
                str(lights.light_info(light).label) if light else "",
                "\n".join(latest.get(t.pk, [])) or _("No report yet"),
            ]
        )
    title = _("Dispatch of policy tasks") if document is None else f"{document.title}"
    summary = _("%(n)d tasks: %(g)d on track, %(a)d due soon, %(r)d due within days, %(o)d overdue.") % {
        "n": len(tasks),
        "g": counts[lights.GREEN],
        "a": counts[lights.AMBER],
        "r": counts[lights.RED],
        "o": counts[lights.OVERDUE],
    }
    table = Table(
        [
            Column(_("No."), align="center"),
            Column(_("Task"), align="left"),
            Column(_("Lead unit"), align="left"),
            Column(_("Responsible units"), align="left"),
            Column(_("Deadline"), align="center"),
            Column(_("Light"), align="center"),
            Column(_("Latest progress"), align="left"),
        ],
        rows,
    )
    return Document(
        kind="dispatch",
        title=_("%(t)s: task progress for the dispatch meeting") % {"t": title},
        office=office,
        series="",
        date=today,
        sections=[Section(_("Overview"), [Paragraph(summary)]), Section(_("Tasks and progress"), [table])],
    )
