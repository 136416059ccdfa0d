"""The content of a 通报: figures of one scope and period read set-based from the statistics module
(values, YoY, shares, ranks, target completion from ``stats.Figure`` / ``Observation`` / ``Target``),
sentences generated from them, tables, charts and footnotes — a ``documents.content.Document`` that
``documents.render`` prints as .docx and PDF.

A fixed number of queries whatever the number of zones (entities, figures, monthly series, quarter
sums, targets, definitions); no per-row query.  The text of the document is Chinese: it is the
official document itself, not the user interface.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, IntegerField, Sum, When
from django.utils.translation import gettext as _

from zonebook.documents.charts import chart
from zonebook.documents.content import Column, Document, Paragraph, Section, Table
from zonebook.documents.formatting import cumulative_period, fixed, pct_text, yoy_text
from zonebook.stats import calc
from zonebook.stats.models import Entity, Figure, Indicator, IndicatorDefinition, Observation, Target

from .models import Frequency

# the indicators a bulletin reports, in order (those without a value for the scope are left out)
HEADLINE = ("TRADE_USD", "EXPORT_USD", "IMPORT_USD", "TRADE_CNY", "PT_EXPORT_USD", "PT_IMPORT_USD", "VA_CNY",
            "FDI_USD")
MAIN = "TRADE_USD"
QUARTERS = ("一", "二", "三", "四")
SUBJECT = {"province": "全省", "city": "全市"}
REASON = {
    calc.ZERO_BASE: "上年同期为零，不计算增速",
    calc.NEGATIVE_BASE: "上年同期为负值，不计算增速",
    calc.MISSING_BASE: "无上年同期数据，不计算增速",
    calc.MISSING_VALUE: "本期无数据",
}


class BulletinError(ValueError):
    """A bulletin that cannot be built as asked (bad period, no data, unreviewed data refused)."""


@dataclass(frozen=True)
class Period:
    frequency: str
    year: int
    month: int  # the month, or the last month of the quarter

    @property
    def ym(self) -> int:
        return self.year * 12 + self.month - 1

    @property
    def date(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def quarter(self) -> int:
        return (self.month - 1) // 3 + 1

    @property
    def months(self) -> list[int]:
        """The month indexes (ym) the period covers."""
        n = 3 if self.frequency == Frequency.QUARTER else 1
        return [self.ym - k for k in range(n - 1, -1, -1)]

    @property
    def text(self) -> str:
        """2026年10月 / 2026年第三季度"""
        if self.frequency == Frequency.QUARTER:
            return f"{self.year}年第{QUARTERS[self.quarter - 1]}季度"
        return f"{self.year}年{self.month}月"

    @property
    def cum_text(self) -> str:
        return cumulative_period(self.year, self.month)

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.quarter}" if self.frequency == Frequency.QUARTER else f"{self.year}-{self.month:02d}"


def parse_period(text: str, *, quarterly: bool = False) -> Period:
    """``2026-10`` (a month; with ``quarterly`` the quarter ending in it, which must be a quarter's last
    month) or ``2026-Q3``."""
    text = (text or "").strip().upper()
    m = re.fullmatch(r"(\d{4})-Q([1-4])", text)
    if m:
        return Period(Frequency.QUARTER, int(m.group(1)), int(m.group(2)) * 3)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1900:
        raise BulletinError(_("A period is written YYYY-MM (a month) or YYYY-Qn (a quarter), e.g. 2026-10 or 2026-Q3."))
    year, month = int(m.group(1)), int(m.group(2))
    if quarterly:
        if month % 3:
            raise BulletinError(_("A quarter is given by its last month (03, 06, 09 or 12) or as YYYY-Qn."))
        return Period(Frequency.QUARTER, year, month)
    return Period(Frequency.MONTH, year, month)


def members_of(entity: Entity):
    """The zones a bulletin of ``entity`` compares: the province's or the city's zones (none for a zone)."""
    if entity.level == "province":
        return Entity.objects.filter(level="zone", province_code=entity.province_code)
    if entity.level == "city":
        return Entity.objects.filter(level="zone", city_code=entity.city_code, province_code=entity.province_code)
    return Entity.objects.none()


def subject_of(entity: Entity) -> str:
    return SUBJECT.get(entity.level, entity.name)


# --- figures ------------------------------------------------------------------------------------------------


@dataclass
class Fig:
    value: Decimal | None = None
    prior: Decimal | None = None
    share: Decimal | None = None
    rank_province: int | None = None
    n_province: int | None = None
    rank_nation: int | None = None
    n_nation: int | None = None
    rank_type: int | None = None
    n_type: int | None = None

    @property
    def yoy(self) -> calc.Pct:
        return calc.yoy(self.value, self.prior)


@dataclass
class Data:
    entity: Entity
    period: Period
    indicators: dict[str, Indicator]
    members: list[Entity]
    figs: dict[tuple[int, str], Fig]  # (entity id, indicator code) -> figures at the period's last month
    quarter: dict[tuple[int, str], tuple[Decimal | None, Decimal | None]]  # quarter sum, same quarter last year
    monthly: dict[tuple[str, int], Decimal]  # (indicator code, ym) -> the scope's month value
    targets: list[dict]
    definitions: dict[str, IndicatorDefinition]
    breaks: dict[str, list[IndicatorDefinition]] = field(default_factory=dict)
    aggregated: bool = False  # the scope's figures are the sum of its zones

    def fig(self, entity: Entity, code: str) -> Fig:
        return self.figs.get((entity.pk, code)) or Fig()

    @property
    def used(self) -> list[Indicator]:
        """The headline indicators with a value for the scope, in order."""
        return [self.indicators[c] for c in HEADLINE if c in self.indicators
                and self.fig(self.entity, c).value is not None]


def _q4(value) -> Decimal | None:
    """Sums to the stored precision (SQLite's DECIMAL is a float)."""
    return None if value is None else Decimal(value).quantize(Decimal("0.0001"))


def basis_of(ind: Indicator) -> str:
    return "cum" if ind.additive else "month"


def gather(entity: Entity, period: Period) -> Data:
    inds = {i.code: i for i in Indicator.objects.filter(code__in=HEADLINE)}
    members = list(members_of(entity).order_by("name"))
    ids = [entity.pk] + [m.pk for m in members]
    figs: dict[tuple[int, str], Fig] = {}
    code_of = {i.pk: i.code for i in inds.values()}
    wanted_basis = {i.pk: basis_of(i) for i in inds.values()}
    rows = Figure.objects.filter(entity_id__in=ids, indicator_id__in=list(code_of), ym=period.ym).values_list(
        "entity_id", "indicator_id", "basis", "value", "prior", "share_pct", "rank_province", "n_province",
        "rank_nation", "n_nation", "rank_type", "n_type")
    for e, i, basis, *rest in rows:
        if basis == wanted_basis[i]:
            figs[(e, code_of[i])] = Fig(*rest)
    # a city without figures of its own (cities are rarely reported): the sum of its zones, additive only
    aggregated = entity.level == "city" and not any(e == entity.pk for e, _c in figs)
    if aggregated:
        for code, ind in inds.items():
            parts = [figs[(m.pk, code)] for m in members if (m.pk, code) in figs]
            if not ind.additive or not parts:
                continue
            priors = [f.prior for f in parts]
            figs[(entity.pk, code)] = Fig(value=sum(f.value for f in parts),
                                          prior=None if None in priors else sum(priors))
    # the quarter's own value (sum of its three months) and the same quarter a year before, additive only
    quarter: dict[tuple[int, str], tuple[Decimal | None, Decimal | None]] = {}
    if period.frequency == Frequency.QUARTER:
        now, before = period.months, [m - 12 for m in period.months]
        dec = DecimalField(max_digits=24, decimal_places=4)
        sums = (
            Observation.objects.filter(entity_id__in=ids, indicator_id__in=[i.pk for i in inds.values() if i.additive],
                                       basis="month", ym__in=now + before)
            .values("entity_id", "indicator_id")
            .annotate(cur=Sum(Case(When(ym__in=now, then="value"), output_field=dec)),
                      n_cur=Count(Case(When(ym__in=now, then=1), output_field=IntegerField())),
                      prev=Sum(Case(When(ym__in=before, then="value"), output_field=dec)),
                      n_prev=Count(Case(When(ym__in=before, then=1), output_field=IntegerField())))
        )
        for r in sums:
            quarter[(r["entity_id"], code_of[r["indicator_id"]])] = (
                _q4(r["cur"]) if r["n_cur"] == 3 else None, _q4(r["prev"]) if r["n_prev"] == 3 else None)
        if aggregated:
            for code in inds:
                parts = [quarter[(m.pk, code)] for m in members if (m.pk, code) in quarter]
                if parts:
                    cur = [c for c, _p in parts]
                    prev = [p for _c, p in parts]
                    quarter[(entity.pk, code)] = (None if None in cur else sum(cur),
                                                  None if None in prev else sum(prev))
    monthly = {}
    main = inds.get(MAIN)
    if main is not None:
        first = period.year * 12 - 12  # January of last year
        for code, ym, value in Observation.objects.filter(
            entity_id__in=[m.pk for m in members] if aggregated else [entity.pk], indicator__in=[main] + [inds[c] for c in ("EXPORT_USD", "IMPORT_USD") if c in inds],
            basis="month", ym__gte=first, ym__lte=period.ym,
        ).values_list("indicator__code", "ym", "value"):
            monthly[(code, ym)] = monthly.get((code, ym), 0) + value
    targets = []
    for t in Target.objects.filter(entity_id__in=ids, indicator__code__in=list(inds), start_year__lte=period.year,
                                   end_year__gte=period.year).select_related("entity", "indicator"):
        f = figs.get((t.entity_id, t.indicator.code)) or Fig()
        done = calc.completion(f.value, t.value)
        total = (t.end_year - t.start_year + 1) * 12
        progress = calc.schedule_progress(calc.months_elapsed((t.start_year, 1), (period.year, period.month)), total)
        targets.append({"entity": t.entity, "indicator": t.indicator, "target": t, "value": f.value,
                        "completion": done, "progress": progress, "ahead": calc.ahead_pp(done, progress)})
    targets.sort(key=lambda r: (r["entity"].pk != entity.pk, r["entity"].name, r["indicator"].order))
    defs: dict[str, IndicatorDefinition] = {}
    breaks: dict[str, list[IndicatorDefinition]] = {}
    end = period.date
    prior_date = dt.date(period.year - 1, period.month, 1)
    for d in IndicatorDefinition.objects.filter(indicator__code__in=list(inds)).select_related("indicator").order_by(
            "valid_from"):
        code = d.indicator.code
        if d.valid_from <= end and (d.valid_to is None or d.valid_to >= end):
            defs[code] = d
        if d.is_break and prior_date < d.valid_from <= end:
            breaks.setdefault(code, []).append(d)
    return Data(entity=entity, period=period, indicators=inds, members=members, figs=figs, quarter=quarter,
                monthly=monthly, targets=targets, definitions=defs, breaks=breaks, aggregated=aggregated)


# --- text ---------------------------------------------------------------------------------------------------


def num(value, decimals: int = 2) -> str:
    return fixed(value, decimals)


def amount_text(value, unit: str) -> str:
    """An amount in a sentence: ``47.50亿美元``; people and enterprises without decimals."""
    decimals = 0 if unit in ("人", "家") else 2
    return f"{num(value, decimals)}{unit}"


def growth_text(pct: calc.Pct) -> str:
    """``同比增长12.3%`` / ``同比下降4.0%`` / the reason there is no growth rate (shown as “—”)."""
    if pct.value is None:
        return f"同比增速为“—”（{REASON.get(pct.reason, pct.reason)}）"
    return yoy_text(pct.value)


def rank_text(entity: Entity, f: Fig) -> str:
    if entity.level == "zone" and f.rank_province and (f.n_province or 0) > 1:
        text = f"居全省第{f.rank_province}位"
        if f.rank_type and (f.n_type or 0) > 1:
            text += f"、全国同类园区第{f.rank_type}位"
        return text
    if entity.level == "province" and f.rank_nation and (f.n_nation or 0) > 1:
        return f"居全国第{f.rank_nation}位"
    return ""


def headline_sentence(data: Data, ind: Indicator, targets: dict[str, dict]) -> Paragraph:
    e, p = data.entity, data.period
    f = data.fig(e, ind.code)
    when = p.cum_text if ind.additive else f"{p.month}月末"
    parts = [f"{when}，{subject_of(e)}{ind.name}{amount_text(f.value, ind.unit)}", growth_text(f.yoy)]
    if f.share is not None and e.parent_id and e.parent is not None:
        parts.append(f"占{e.parent.name}的{pct_text(f.share)}")
    rank = rank_text(e, f)
    if rank:
        parts.append(rank)
    t = targets.get(ind.code)
    if t is not None and t["completion"].value is not None:
        years = t["target"]
        goal = "年度目标" if years.start_year == years.end_year else f"{years.end_year}年目标"
        ahead = t["ahead"].value
        pace = ""
        if ahead is not None:
            pace = ("，快于时间进度" if ahead > 0 else "，慢于时间进度" if ahead < 0 else "，与时间进度持平")
            pace += f"{num(abs(ahead), 1)}个百分点" if ahead else ""
        parts.append(f"完成{goal}的{pct_text(t['completion'].value)}（时间进度{pct_text(t['progress'])}{pace}）")
    notes = []
    if f.yoy.value is None and f.yoy.reason in (calc.ZERO_BASE, calc.NEGATIVE_BASE):
        notes.append(f"{ind.name}{REASON[f.yoy.reason]}，以“—”表示。")
    for d in data.breaks.get(ind.code, []):
        notes.append(f"{ind.name}自{d.valid_from.year}年{d.valid_from.month}月起执行新口径（{d.text}），"
                     "同比增速跨口径计算，仅供参考。")
    return Paragraph("，".join(parts) + "。", footnotes=notes)


def processing_sentence(data: Data) -> Paragraph | None:
    """加工贸易进出口 = 加工贸易出口 + 进口 (both needed)."""
    e = data.entity
    ex, im = data.fig(e, "PT_EXPORT_USD"), data.fig(e, "PT_IMPORT_USD")
    if ex.value is None or im.value is None:
        return None
    value = ex.value + im.value
    prior = ex.prior + im.prior if ex.prior is not None and im.prior is not None else None
    return Paragraph(f"{data.period.cum_text}，{subject_of(e)}加工贸易进出口{amount_text(value, '亿美元')}，"
                     f"{growth_text(calc.yoy(value, prior))}；其中出口{amount_text(ex.value, '亿美元')}，"
                     f"{growth_text(ex.yoy)}，进口{amount_text(im.value, '亿美元')}，{growth_text(im.yoy)}。")


def ranking_paragraphs(data: Data, ind: Indicator) -> tuple[list[Paragraph], list[Entity]]:
    """Rankings among the scope's zones: the three largest, the fastest and the slowest growth, and
    the zones whose growth rate cannot be computed (with the reason)."""
    rows = [(m, data.fig(m, ind.code)) for m in data.members if data.fig(m, ind.code).value is not None]
    if not rows:
        return [], []
    desc = ind.higher_is_better
    by_value = sorted(rows, key=lambda r: (-r[1].value if desc else r[1].value, r[0].name))
    top = by_value[:3]
    out = []
    head = "、".join(f"{m.name}（{amount_text(f.value, ind.unit)}）" for m, f in top)
    if len(rows) == 1:
        out.append(Paragraph(f"从总量看，{data.period.cum_text}{ind.name}仅{head}有数据。"))
    else:
        out.append(Paragraph(f"从总量看，{data.period.cum_text}{ind.name}居前{len(top)}位的是{head}"
                             + (f"；最低的是{by_value[-1][0].name}（{amount_text(by_value[-1][1].value, ind.unit)}）"
                                if len(rows) > 3 else "") + "。"))
    growing = [(m, f.yoy.value) for m, f in rows if f.yoy.value is not None]
    nogrowth = [(m, f.yoy.reason) for m, f in rows if f.yoy.value is None]
    if len(growing) >= 2:
        growing.sort(key=lambda r: (-r[1], r[0].name))
        best, worst = growing[0], growing[-1]
        out.append(Paragraph(f"从增速看，增长最快的是{best[0].name}（{yoy_text(best[1])}），"
                             f"增速最低的是{worst[0].name}（{yoy_text(worst[1])}）。"))
    if nogrowth:
        names = "、".join(m.name for m, _r in nogrowth)
        reasons = "；".join(f"{m.name}{REASON.get(r, r)}" for m, r in nogrowth)
        out.append(Paragraph(f"{names}的增速以“—”表示，未参与增速排序。", footnotes=[f"{reasons}。"]))
    return out, [m for m, _f in by_value]


# --- the document -------------------------------------------------------------------------------------------


def _pct_cell(p: calc.Pct):
    return p.value


def member_table(data: Data, ordered: list[Entity], number: int) -> Table:
    inds = data.indicators
    main = inds[MAIN]
    cols = [Column("园区", align="left"), Column(main.name, unit=main.unit, decimals=2), Column("同比", unit="%", decimals=1)]
    has_ex = "EXPORT_USD" in inds and "IMPORT_USD" in inds
    if has_ex:
        cols += [Column(inds["EXPORT_USD"].name, unit=inds["EXPORT_USD"].unit, decimals=2),
                 Column(inds["IMPORT_USD"].name, unit=inds["IMPORT_USD"].unit, decimals=2)]
    cols += [Column("占全省比重", unit="%", decimals=1), Column("全省排名", align="center"),
             Column("全国同类排名", align="center")]
    rows = []
    for m in ordered:
        f = data.fig(m, MAIN)
        row = [m.name, f.value, _pct_cell(f.yoy)]
        if has_ex:
            row += [data.fig(m, "EXPORT_USD").value, data.fig(m, "IMPORT_USD").value]
        row += [f.share,
                f"{f.rank_province}/{f.n_province}" if f.rank_province else None,
                f"{f.rank_type}/{f.n_type}" if f.rank_type else None]
        rows.append(row)
    total = None
    s = data.fig(data.entity, MAIN)
    if s.value is not None:
        total = [subject_of(data.entity) if data.entity.level != "zone" else data.entity.name, s.value,
                 _pct_cell(s.yoy)]
        if has_ex:
            total += [data.fig(data.entity, "EXPORT_USD").value, data.fig(data.entity, "IMPORT_USD").value]
        total += [None, None, None]
    return Table(cols, rows, caption=f"表{number}  {data.period.cum_text}各园区{main.name}情况", total=total,
                 note="注：“—”表示无数据或上年同期为零（不计算增速）；排名按累计值，同类指同一园区类型。"
                 "合计为全省统计数，含未单列园区及区外数据。" if data.entity.level == "province" else
                 "注：“—”表示无数据或上年同期为零（不计算增速）；排名按累计值，同类指同一园区类型。")


def indicator_table(data: Data, number: int) -> Table:
    e = data.entity
    cols = [Column("指标", align="left"), Column("计量单位", align="center"), Column("本期", decimals=2),
            Column("上年同期", decimals=2), Column("同比", unit="%", decimals=1), Column("全省排名", align="center")]
    rows = []
    for ind in data.used:
        f = data.fig(e, ind.code)
        rows.append([ind.name, ind.unit, f.value, f.prior, _pct_cell(f.yoy),
                     f"{f.rank_province}/{f.n_province}" if f.rank_province else None])
    return Table(cols, rows, caption=f"表{number}  {data.period.cum_text}{e.name}主要指标",
                 note="注：本期为年初至本月累计（期末人数、企业数为月末数）；“—”表示无数据或上年同期为零。")


def target_table(data: Data, number: int) -> Table:
    cols = [Column("单位", align="left"), Column("指标", align="left"), Column("目标", decimals=2),
            Column("完成", decimals=2), Column("完成率", unit="%", decimals=1), Column("时间进度", unit="%", decimals=1),
            Column("快慢", unit="百分点", decimals=1)]
    rows = []
    for t in data.targets:
        tg = t["target"]
        years = str(tg.end_year) if tg.start_year == tg.end_year else f"{tg.start_year}—{tg.end_year}"
        rows.append([t["entity"].name, f"{t['indicator'].name}（{t['indicator'].unit}，{years}年）", tg.value, t["value"],
                     t["completion"].value, t["progress"], t["ahead"].value])
    return Table(cols, rows, caption=f"表{number}  目标完成情况",
                 note="注：完成率＝累计完成÷目标×100；快慢＝完成率－时间进度，正数为快于进度。")


def quarter_table(data: Data, number: int) -> Table:
    e = data.entity
    p = data.period
    cols = [Column("指标", align="left"), Column("计量单位", align="center"), Column("本季度", decimals=2),
            Column("上年同季", decimals=2), Column("同比", unit="%", decimals=1)]
    rows = []
    for ind in data.used:
        if not ind.additive:
            continue
        cur, prev = data.quarter.get((e.pk, ind.code), (None, None))
        rows.append([ind.name, ind.unit, cur, prev, calc.yoy(cur, prev).value])
    return Table(cols, rows, caption=f"表{number}  {p.year}年第{QUARTERS[p.quarter - 1]}季度主要指标",
                 note="注：本季度为三个月当月值之和，缺任一月份时不计算（以“—”表示）。")


def monthly_chart(data: Data):
    p, main = data.period, data.indicators[MAIN]
    cats = [f"{m}月" for m in range(1, 13)]
    this = [data.monthly.get((MAIN, p.year * 12 + m - 1)) if m <= p.month else None for m in range(1, 13)]
    last = [data.monthly.get((MAIN, (p.year - 1) * 12 + m - 1)) for m in range(1, 13)]
    return chart("line", f"{subject_of(data.entity)}{main.name}月度走势", cats,
                 {f"{p.year}年": this, f"{p.year - 1}年": last}, unit=main.unit)


def build_document(entity: Entity, period: Period, *, data: Data | None = None, number: str = "",
                   date: dt.date | None = None, draft_note: str = "") -> Document:
    """The bulletin's content.  Raises ``BulletinError`` when the scope has no figure for the period."""
    data = data or gather(entity, period)
    used = data.used
    if not used or MAIN not in data.indicators:
        raise BulletinError(_("%(scope)s has no statistics for %(period)s: nothing to report.")
                            % {"scope": entity.name, "period": period.key})
    p = data.period
    main = data.indicators[MAIN]
    targets_of_scope = {t["indicator"].code: t for t in data.targets if t["entity"].pk == entity.pk}
    overview = [headline_sentence(data, ind, targets_of_scope) for ind in used]
    pt = processing_sentence(data)
    if pt is not None:
        overview.append(pt)
    if any(v is not None for (c, _y), v in data.monthly.items() if c == MAIN):
        overview.append(monthly_chart(data))
    sections = [Section("总体情况", overview)]
    tables = 0
    if data.members:
        ranking, ordered = ranking_paragraphs(data, main)
        if ordered:
            tables += 1
            blocks = ranking + [member_table(data, ordered, tables)]
            values = [data.fig(m, MAIN).value for m in ordered]
            blocks.append(chart("ranked_bar", f"{p.cum_text}各园区{main.name}", [m.name for m in ordered],
                                {main.name: values}, unit=main.unit))
            growth = [(m.name, data.fig(m, MAIN).yoy.value) for m in ordered]
            blocks.append(chart("bar", f"{p.cum_text}各园区{main.name}同比增速", [n for n, _v in growth],
                                {"同比": [v for _n, v in growth]}, unit="%"))
            sections.append(Section("各园区情况", blocks))
    else:
        tables += 1
        blocks = [indicator_table(data, tables)]
        cats = [f"{m}月" for m in range(1, p.month + 1)]
        ex = [data.monthly.get(("EXPORT_USD", p.year * 12 + m - 1)) for m in range(1, p.month + 1)]
        im = [data.monthly.get(("IMPORT_USD", p.year * 12 + m - 1)) for m in range(1, p.month + 1)]
        if any(v is not None for v in ex + im):
            blocks.append(chart("bar", f"{p.year}年{entity.name}分月进出口", cats, {"出口": ex, "进口": im},
                                unit=main.unit))
        sections.append(Section("主要指标", blocks))
    if p.frequency == Frequency.QUARTER:
        tables += 1
        sections.append(Section("本季度情况", [quarter_table(data, tables)]))
    if data.targets:
        tables += 1
        behind = [t for t in data.targets if t["ahead"].value is not None and t["ahead"].value < 0]
        text = (f"{len(data.targets)}项目标中，{len(behind)}项慢于时间进度"
                + (f"（{'、'.join(t['entity'].name for t in behind[:5])}）" if behind else "") + "。")
        sections.append(Section("目标完成情况", [Paragraph(text), target_table(data, tables)]))
    notes = []
    for ind in used:
        d = data.definitions.get(ind.code)
        if d is not None:
            notes.append(f"{ind.name}：{d.text}" + (f"（{d.source_doc}）" if d.source_doc else ""))
    notes.append("增速按可比口径计算；“—”表示无数据、上年同期为零或为负，不计算增速。")
    if data.aggregated:
        notes.append(f"{entity.name}数据为所辖{len(data.members)}个园区合计。")
    if draft_note:
        notes.append(f"本稿数据尚未全部审核（{draft_note}），仅供内部核对，不得对外引用。")
    scope_name = entity.name
    title = f"关于{p.text}{scope_name}海关特殊监管区域主要经济指标情况的通报"
    return Document(
        kind=f"bulletin.{p.frequency}", title=title, number=number, date=date or dt.date.today(),
        subtitle="（草稿）" if draft_note else "",
        context={"period": p.text, "zone": scope_name, "issue": p.key},
        sections=sections, footnotes=notes,
    )
