"""Key enterprises (重点企业) and operation reports (每日运行情况表 / monthly monitoring), domain doc §6.

Tiers
-----
``compute_tiers`` classifies enterprises by their import + export value against the dated
``TierRule`` rows.  The value comes from a *trade provider*: a function ``f(enterprise_ids, on) ->
{enterprise_id: Decimal USD}`` that the statistics module declares in its registration
(``AppModule(extra={"service.trade_provider": "zonebook.stats.….trade_for_tiers"})``) or registers
with ``register_trade_provider`` — this app never imports the statistics module.  Without a provider
(or without a value for an enterprise) tiers are set by hand (``set_tier``).  Every change closes the
current row and opens a new one (history), audited.

Reports
-------
``open_campaign`` switches a report on for enterprises and a period; ``submit_report`` records one
enterprise's day — a second submission for the same day updates the row (revision + 1, audited with
the changed fields), a report after the due time is accepted and flagged late; ``missing`` lists who
has not reported; ``send_reminders`` (scheduled) notifies them; ``bulletin`` compiles the day into a
简报 ``Document`` (sentences generated from the figures, the table, a chart).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core import modules
from zonebook.core.errors import DomainError
from zonebook.documents.content import Chart, Column, Document, Paragraph, Section, Series, Table

from . import services
from .models import Campaign, EnterpriseTier, OperatingState, OperationReport, TierBasis, TierRule

TradeProvider = Callable[[list[int], dt.date], dict[int, Decimal]]
_providers: list[TradeProvider] = []
REPORT_FIELDS = ("state", "staff_expected", "staff_present", "output_value", "imports_usd", "exports_usd", "damage", "needs")


# ------------------------------------------------------------------ tiers


def register_trade_provider(fn: TradeProvider) -> None:
    if fn not in _providers:
        _providers.append(fn)


def unregister_trade_provider(fn: TradeProvider) -> None:
    if fn in _providers:
        _providers.remove(fn)


def trade_provider() -> TradeProvider | None:
    """The provider the statistics module declared (registration ``extra``) or registered; None = by hand."""
    if _providers:
        return _providers[-1]
    for module in modules.all_modules():
        path = (module.extra or {}).get("service.trade_provider")
        if path:
            return modules.resolve(path)
    return None


def rules_on(day: dt.date) -> list[TierRule]:
    return list(
        TierRule.objects.filter(Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-min_trade_usd")
    )


def tier_for(value: Decimal | None, rules: list[TierRule]) -> TierRule | None:
    """The highest tier whose threshold ``value`` reaches (rules sorted by threshold, highest first)."""
    if value is None:
        return None
    return next((r for r in rules if value >= r.min_trade_usd), None)


def _change(enterprise, tier, basis, value, day, by, note="") -> bool:
    current = EnterpriseTier.objects.filter(enterprise=enterprise, valid_to__isnull=True).first()
    if current is not None and current.tier_id == (tier.pk if tier else None) and current.basis == basis:
        if value is not None and current.trade_usd != value:
            audit.update(current, {"trade_usd": value}, by=by, code="service.tier.value")
        return False
    if current is None and tier is None:
        return False
    if current is not None:
        audit.update(current, {"valid_to": max(day - dt.timedelta(days=1), current.valid_from)}, by=by,
                     code="service.tier.ended")
    audit.create(EnterpriseTier, {"enterprise": enterprise, "tier": tier, "basis": basis, "trade_usd": value,
                                  "valid_from": day, "note": note}, by=by, code="service.tier.set")
    return True


@transaction.atomic
def compute_tiers(enterprises, *, on: dt.date | None = None, by) -> dict:
    """Tiers from the trade provider for ``enterprises`` (a scoped queryset); enterprises set by hand
    keep their tier.  Returns {"changed": n, "without_value": m, "provider": bool}."""
    services._require_office(by)
    day = on or timezone.localdate()
    provider = trade_provider()
    if provider is None:
        return {"changed": 0, "without_value": 0, "provider": False}
    ents = list(enterprises)
    values = provider([e.pk for e in ents], day)
    manual = set(EnterpriseTier.objects.filter(enterprise__in=ents, valid_to__isnull=True, basis=TierBasis.MANUAL)
                 .values_list("enterprise_id", flat=True))
    rules = rules_on(day)
    changed = without = 0
    for e in ents:
        if e.pk in manual:
            continue
        value = values.get(e.pk)
        if value is None:
            without += 1
            continue
        changed += _change(e, tier_for(Decimal(value), rules), TierBasis.COMPUTED, Decimal(value), day, by)
    return {"changed": changed, "without_value": without, "provider": True}


@transaction.atomic
def set_tier(enterprise, tier: TierRule | None, *, by, note: str, on: dt.date | None = None) -> bool:
    """Set (or clear) an enterprise's tier by hand; a note is required."""
    services._require_office(by)
    if not (note or "").strip():
        raise DomainError(_("Say why the tier is set by hand."), code="reason_required", field="note")
    return _change(enterprise, tier, TierBasis.MANUAL, None, on or timezone.localdate(), by, note.strip())


# ------------------------------------------------------------------ campaigns and reports


@transaction.atomic
def open_campaign(*, title: str, zone, enterprises, start_date: dt.date, end_date: dt.date, by,
                  frequency: str = Campaign.Frequency.DAILY, due_time: dt.time = dt.time(16, 0), due_day: int = 8,
                  office: str = "") -> Campaign:
    services._require_office(by)
    enterprises = list(enterprises)
    if end_date < start_date:
        raise DomainError(_("The end lies before the start."), code="invalid", field="end_date")
    if not enterprises:
        raise DomainError(_("Choose the enterprises that report."), code="required", field="enterprises")
    if any(e.zone_id != zone.pk for e in enterprises):
        raise DomainError(_("Every enterprise must belong to the zone."), code="zones", field="enterprises")
    c = Campaign.objects.create(title=title.strip(), zone=zone, frequency=frequency, start_date=start_date,
                                end_date=end_date, due_time=due_time, due_day=due_day, office=office, created_by=by)
    c.enterprises.set(enterprises)
    audit.record(c, code="service.campaign.opened", by=by, action="create",
                 changes={"title": [None, c.title], "from": [None, start_date.isoformat()],
                          "until": [None, end_date.isoformat()], "enterprises": [[], [e.pk for e in enterprises]]})
    return c


def due_at(campaign: Campaign, day: dt.date) -> dt.datetime:
    """The due moment of the report for ``day``: the same day at ``due_time`` (daily), or the
    ``due_day`` of the following month at the end of the day (monthly)."""
    if campaign.frequency == Campaign.Frequency.MONTHLY:
        first_next = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        return timezone.make_aware(dt.datetime.combine(first_next.replace(day=min(campaign.due_day, 28)), dt.time(23, 59, 59)))
    return timezone.make_aware(dt.datetime.combine(day, campaign.due_time))


def _period_day(campaign: Campaign, day: dt.date) -> dt.date:
    return day.replace(day=1) if campaign.frequency == Campaign.Frequency.MONTHLY else day


@transaction.atomic
def submit_report(campaign: Campaign, enterprise, day: dt.date, data: dict, *, by, at=None) -> OperationReport:
    """Record (or update) an enterprise's report for ``day``.  Late reports are accepted and flagged."""
    at = at or timezone.now()
    if services.is_enterprise_user(by):
        if by.enterprise_id != enterprise.pk:
            raise DomainError(_("You may report for your own enterprise only."), code="not_own_enterprise")
    else:
        services._require_office(by)
    if not campaign.enterprises.filter(pk=enterprise.pk).exists():
        raise DomainError(_("This enterprise does not report in this campaign."), code="not_in_campaign")
    day = _period_day(campaign, day)
    if not (_period_day(campaign, campaign.start_date) <= day <= campaign.end_date):
        raise DomainError(_("The date lies outside the reporting period."), code="outside_period", field="date")
    if day > timezone.localtime(at).date():
        raise DomainError(_("A report cannot be for a future date."), code="future", field="date")
    if data.get("state") not in OperatingState.values:
        raise DomainError(_("Choose the operating state."), code="required", field="state")
    clean = {k: data.get(k) for k in REPORT_FIELDS if k in data}
    for k in ("output_value", "imports_usd", "exports_usd"):
        if clean.get(k) is not None:
            clean[k] = Decimal(str(clean[k]))
            if clean[k] < 0:
                raise DomainError(_("Values cannot be negative."), code="negative", field=k)
    if (clean.get("staff_present") or 0) > (clean.get("staff_expected") or 0) > 0:
        raise DomainError(_("More staff at work than expected."), code="staff", field="staff_present")
    late = at > due_at(campaign, day)
    report = OperationReport.objects.select_for_update().filter(campaign=campaign, enterprise=enterprise, date=day).first()
    if report is None:
        try:
            with transaction.atomic():  # two first submissions at once: the loser updates the winner's row
                return audit.create(OperationReport, {"campaign": campaign, "enterprise": enterprise, "date": day,
                                                      "submitted_at": at, "submitted_by": by, "late": late, **clean},
                                    by=by, code="service.report.submitted")
        except (IntegrityError, ValidationError):  # the unique check (model or database) saw the other one
            report = OperationReport.objects.select_for_update().filter(
                campaign=campaign, enterprise=enterprise, date=day).first()
            if report is None:
                raise
    # the second submission of the same day updates the first (its changes are in the audit log)
    audit.update(report, {**clean, "submitted_at": at, "submitted_by": by, "late": report.late or late,
                          "revision": report.revision + 1}, by=by, code="service.report.updated")
    return report


def missing(campaign: Campaign, day: dt.date):
    """The campaign's enterprises without a report for ``day`` (a queryset)."""
    day = _period_day(campaign, day)
    reported = OperationReport.objects.filter(campaign=campaign, date=day).values("enterprise_id")
    return campaign.enterprises.exclude(pk__in=reported).order_by("name")


def send_reminders(now: dt.datetime | None = None) -> int:
    """Scheduled: notify the users of every enterprise that has not reported today in a running daily
    campaign (and the monthly ones in the week before their due day).  Idempotent per day."""
    from zonebook.accounts.models import User
    from zonebook.notify.services import Pending, notify_many

    now = now or timezone.now()
    today = timezone.localtime(now).date()
    items = []
    for c in Campaign.objects.filter(start_date__lte=today, end_date__gte=today - dt.timedelta(days=31)):
        if c.frequency == Campaign.Frequency.DAILY:
            if c.end_date < today:
                continue
            day = today
        else:
            day = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)  # last month
            if not (0 <= (due_at(c, day).date() - today).days <= 7):
                continue
        ids = list(missing(c, day).values_list("pk", flat=True))
        for uid, ent in User.objects.filter(is_active=True, enterprise_id__in=ids, role="enterprise").values_list("pk", "enterprise_id"):
            items.append(Pending(recipient_id=uid, kind="service.report_due",
                                 params={"title": c.title, "date": day.isoformat(),
                                         "due": timezone.localtime(due_at(c, day)).strftime("%Y-%m-%d %H:%M")},
                                 dedupe_key=f"service.report_due:{c.pk}:{day}:{ent}",
                                 url=f"/service/reports/{c.pk}/submit/?date={day.isoformat()}"))
    return notify_many(items)


def run_reminders(job=None, **params) -> dict:
    """The schedule's entry point (the scheduler calls it as every job: ``f(job, **params)``)."""
    return {"notified": send_reminders()}


# ------------------------------------------------------------------ 简报


def _pct(n, d) -> Decimal | None:
    if not d:
        return None
    return (Decimal(n) * 100 / Decimal(d)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _fmt(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return "—"
    q = Decimal(1).scaleb(-places)
    return f"{Decimal(value).quantize(q, rounding=ROUND_HALF_UP):,}"


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def day_figures(campaign: Campaign, day: dt.date) -> dict:
    """The day's totals (one aggregate query) and the rows (one query)."""
    reports = list(OperationReport.objects.filter(campaign=campaign, date=day).select_related("enterprise")
                   .order_by("-output_value", "enterprise__name"))
    total = campaign.enterprises.count()
    agg = {k: sum((getattr(r, k) for r in reports), Decimal(0)) for k in ("output_value", "imports_usd", "exports_usd")}
    return {
        "reports": reports, "enterprises": total, "reported": len(reports),
        "late": sum(1 for r in reports if r.late),
        "normal": sum(1 for r in reports if r.state == OperatingState.NORMAL),
        "partial": sum(1 for r in reports if r.state == OperatingState.PARTIAL),
        "stopped": sum(1 for r in reports if r.state == OperatingState.STOPPED),
        "expected": sum(r.staff_expected for r in reports), "present": sum(r.staff_present for r in reports),
        **agg,
    }


def series(campaign: Campaign, until: dt.date) -> list[dict]:
    """Daily totals from the campaign's start to ``until`` (one grouped query), for the chart."""
    rows = (OperationReport.objects.filter(campaign=campaign, date__lte=until).order_by().values("date")
            .annotate(output=Sum("output_value"), imports=Sum("imports_usd"), exports=Sum("exports_usd"))
            .order_by("date"))
    return list(rows)


def bulletin_series(campaign: Campaign) -> str:
    """The 文号 series of a campaign's bulletins: the zone's short name + 运行简报 (e.g. 成都高新综保区运行简报)."""
    return f"{campaign.zone.short_name or campaign.zone.name}运行简报"[:40]


def bulletin(campaign: Campaign, day: dt.date, *, number: str = "") -> Document:
    """The day's 简报: (1) 基本情况 in sentences generated from the figures, vs the previous day;
    (2) 存在问题 (needs and damage, by enterprise, and who has not reported); (3) 下步工作; the table
    of every report; a chart of the daily output and trade since the start."""
    f = day_figures(campaign, day)
    prev = day_figures(campaign, day - dt.timedelta(days=1)) if day > campaign.start_date else None
    issue = (day - campaign.start_date).days + 1
    trade = f["imports_usd"] + f["exports_usd"]
    s1 = (f"{_cn(day)}，纳入监测的{f['enterprises']}家企业中，{f['reported']}家报送了运行情况"
          + (f"（其中{f['late']}家逾期报送）" if f["late"] else "") + "。"
          f"正常生产{f['normal']}家、部分开工{f['partial']}家、停产{f['stopped']}家，"
          f"开工率{_fmt(_pct(f['normal'] + f['partial'], f['reported']), 1)}%。")
    s2 = (f"应到岗{f['expected']:,}人，实到{f['present']:,}人，到岗率{_fmt(_pct(f['present'], f['expected']), 1)}%。"
          f"当日产值{_fmt(f['output_value'])}万元，进出口{_fmt(trade)}万美元（进口{_fmt(f['imports_usd'])}万美元、"
          f"出口{_fmt(f['exports_usd'])}万美元）。")
    if prev and prev["output_value"]:
        change = _pct(f["output_value"] - prev["output_value"], prev["output_value"])
        word = "增长" if change >= 0 else "下降"
        s2 += f"产值较上日{word}{_fmt(abs(change), 1)}%。"
    problems = [Paragraph(f"{r.enterprise.name}：{'；'.join(x for x in (r.damage.strip(), r.needs.strip()) if x)}")
                for r in f["reports"] if r.damage.strip() or r.needs.strip()]
    absent = list(missing(campaign, day).values_list("name", flat=True))
    if absent:
        problems.append(Paragraph(f"未报送企业（{len(absent)}家）：{'、'.join(absent)}。"))
    if not problems:
        problems = [Paragraph("当日企业未反映新的困难和问题。")]
    state = dict(OperatingState.choices)
    table = Table(
        [Column("序号", align="center"), Column("企业名称", align="left"), Column("生产状态", align="center"),
         Column("应到", unit="人"), Column("实到", unit="人"), Column("当日产值", unit="万元", decimals=2),
         Column("进口", unit="万美元", decimals=2), Column("出口", unit="万美元", decimals=2),
         Column("报送", align="center")],
        [[i, r.enterprise.name, str(state[r.state]), r.staff_expected, r.staff_present, r.output_value,
          r.imports_usd, r.exports_usd, "逾期" if r.late else "按时"] for i, r in enumerate(f["reports"], 1)],
        caption=f"{_cn(day)}重点企业运行情况表",
        total=["", "合计", "", f["expected"], f["present"], f["output_value"], f["imports_usd"], f["exports_usd"], ""],
    )
    history = series(campaign, day)
    chart = Chart("line", "每日产值和进出口", [f"{r['date']:%m-%d}" for r in history],
                  [Series("产值（万元）", [r["output"] for r in history]),
                   Series("进出口（万美元）", [(r["imports"] or 0) + (r["exports"] or 0) for r in history])])
    return Document(
        kind="bulletin", title=f"{campaign.title}简报", subtitle=f"第{issue}期", office=campaign.office or str(campaign.zone),
        number=number, date=day,
        sections=[
            Section("基本情况", [Paragraph(s1), Paragraph(s2), chart]),
            Section("存在问题", problems),
            Section("下步工作", [Paragraph(
                "继续实行重点企业“一企一专员”跟踪服务，对企业反映的用工、物流、原材料和资金等问题逐项登记、"
                "限时办理；对未按时报送的企业逐一电话督促，确保数据及时准确。"
            )]),
            Section("附表", [table]),
        ],
    )
