"""Evaluation services: every write (a new scheme version, an edit of an unused one, a run) validates,
writes and records its audit entry in one transaction.  Runs compute with ``calc.evaluate`` from the
data stored on the run (``inputs``), so re-running, what-if and reproduction start from the same
numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.audit import services as audit
from zonebook.core.permissions import require_write
from zonebook.stats.models import Entity, Indicator

from . import calc, inputs
from .models import (
    Adjustment,
    AdjustmentRecord,
    Category,
    EntityResult,
    EvaluationRun,
    Scheme,
    SchemeIndicator,
    SchemeVersion,
)

AREA = "stats"
HUNDRED = Decimal(100)
REASONS = {
    inputs.NO_VALUE: gettext_lazy("no value for the data year"),
    inputs.NO_AREA: gettext_lazy("no land area on record"),
    "zero_base": gettext_lazy("growth against a zero base"),
    "negative_base": gettext_lazy("growth against a negative base"),
    "missing_base": gettext_lazy("no value for the year before"),
    "missing_value": gettext_lazy("no value for the data year"),
}
RULE_LABELS = {
    calc.RULE_ZERO: gettext_lazy("counted as zero"),
    calc.RULE_MEDIAN: gettext_lazy("peer-group median"),
    calc.RULE_EXCLUDE: gettext_lazy("excluded, weights rescaled"),
}


def reason_text(code: str) -> str:
    return str(REASONS.get(code, code))


# --- schemes --------------------------------------------------------------------------------------------


def indicators_of(version: SchemeVersion) -> list[SchemeIndicator]:
    return list(version.indicators.select_related("indicator", "category").order_by("category__order", "order", "id"))


def spec_of(version: SchemeVersion, rows: list[SchemeIndicator] | None = None,
            weights: dict[str, Decimal] | None = None) -> calc.Spec:
    rows = rows if rows is not None else indicators_of(version)
    weights = weights or {}
    return calc.Spec(
        indicators=[
            calc.IndicatorSpec(
                key=si.key, category=si.category.code, weight=float(weights.get(si.key, si.weight)),
                higher=si.direction == "higher", normaliser=si.normaliser, missing=si.missing_rule,
                benchmark=float(si.benchmark) if si.benchmark is not None else None,
                group_weights={g: float(w) for g, w in (si.group_weights or {}).items()},
            )
            for si in rows
        ],
        adjustments=[calc.AdjustmentSpec(a.code, a.kind, float(a.points), float(a.cap) if a.cap is not None else None)
                     for a in version.adjustments.all()],
        grade_rules=[(g, p) for g, p in (version.grade_rules or [])],
        decimals=version.decimals,
    )


def weight_problems(version: SchemeVersion) -> list[str]:
    """Why the version's weights do not add up (empty when they do)."""
    problems = []
    cats = list(version.categories.all())
    rows = indicators_of(version)
    total_cat = sum((c.weight for c in cats), Decimal(0))
    total_ind = sum((si.weight for si in rows), Decimal(0))
    if total_cat != HUNDRED:
        problems.append(_("The category weights sum to %(sum)s, not 100.") % {"sum": f"{total_cat.normalize():f}"})
    if total_ind != HUNDRED:
        problems.append(_("The indicator weights sum to %(sum)s, not 100.") % {"sum": f"{total_ind.normalize():f}"})
    for c in cats:
        s = sum((si.weight for si in rows if si.category_id == c.pk), Decimal(0))
        if s != c.weight:
            problems.append(_("The indicators of %(cat)s weigh %(sum)s, the category %(weight)s.") % {
                "cat": c.name, "sum": f"{s.normalize():f}", "weight": f"{c.weight.normalize():f}"})
    groups = {g for si in rows for g in (si.group_weights or {})}
    for g in sorted(groups):
        s = sum((Decimal(str((si.group_weights or {}).get(g, si.weight))) for si in rows), Decimal(0))
        if s != HUNDRED:
            problems.append(_("The weights of the group %(group)s sum to %(sum)s, not 100.") % {
                "group": g, "sum": f"{s.normalize():f}"})
    return problems


def check_weights(version: SchemeVersion) -> None:
    if version.weights_sum_100:
        problems = weight_problems(version)
        if problems:
            raise ValidationError(problems)


def _refuse_if_used(version: SchemeVersion) -> None:
    if version.runs.exists():
        raise ValidationError(_("Version %(v)s of this scheme has runs and cannot be changed: make a new version.")
                              % {"v": version.version})


@transaction.atomic
def new_version(base: SchemeVersion, *, by, label: str = "") -> SchemeVersion:
    """A new version copied from ``base`` (categories, indicators, adjustments), editable until run."""
    require_write(by, AREA)
    last = SchemeVersion.objects.filter(scheme=base.scheme).order_by("-version").values_list("version", flat=True)
    number = (last.first() or 0) + 1
    version = SchemeVersion.objects.create(
        scheme=base.scheme, version=number, label=label or f"{base.label} (v{number})", doc_no=base.doc_no,
        valid_from=base.valid_from, notes=base.notes, weights_sum_100=base.weights_sum_100, decimals=base.decimals,
        groups=base.groups, grade_rules=base.grade_rules, based_on=base, created_by=by)
    cats = {}
    for c in base.categories.all():
        cats[c.pk] = Category.objects.create(version=version, code=c.code, name=c.name, weight=c.weight, order=c.order)
    SchemeIndicator.objects.bulk_create([
        SchemeIndicator(version=version, category=cats[si.category_id], indicator_id=si.indicator_id,
                        measure=si.measure, weight=si.weight, group_weights=si.group_weights, direction=si.direction,
                        normaliser=si.normaliser, benchmark=si.benchmark, missing_rule=si.missing_rule,
                        order=si.order, note=si.note)
        for si in base.indicators.all()
    ])
    Adjustment.objects.bulk_create([
        Adjustment(version=version, code=a.code, name=a.name, kind=a.kind, points=a.points, cap=a.cap)
        for a in base.adjustments.all()
    ])
    audit.record(version, code="evaluation.version.created", by=by, action="create",
                 changes={"based_on": [None, base.pk], "version": [None, number]})
    return version


@dataclass
class WeightChange:
    indicator_id: int
    weight: Decimal
    normaliser: str | None = None
    missing_rule: str | None = None
    direction: str | None = None


@transaction.atomic
def update_version(version: SchemeVersion, *, by, fields: dict | None = None,
                   category_weights: dict[int, Decimal] | None = None,
                   indicators: list[WeightChange] | None = None) -> SchemeVersion:
    """Change an unused version; refused once it has runs, and when the weights must sum to 100 and
    do not (nothing is written then)."""
    require_write(by, AREA)
    version = SchemeVersion.objects.select_for_update().get(pk=version.pk)
    _refuse_if_used(version)
    before = {}
    for k, v in (fields or {}).items():
        before[k] = getattr(version, k)
        setattr(version, k, v)
    version.save()
    for pk, w in (category_weights or {}).items():
        Category.objects.filter(version=version, pk=pk).update(weight=w)
    for ch in indicators or []:
        upd = {"weight": ch.weight}
        for k in ("normaliser", "missing_rule", "direction"):
            if getattr(ch, k):
                upd[k] = getattr(ch, k)
        SchemeIndicator.objects.filter(version=version, pk=ch.indicator_id).update(**upd)
    check_weights(version)  # raises: the transaction rolls every change back
    audit.record(version, code="evaluation.version.changed", by=by,
                 changes={k: [str(before[k]), str(getattr(version, k))] for k in before}
                 | {"weights": [None, {str(c.indicator_id): str(c.weight) for c in indicators or []}]})
    return version


# --- runs -----------------------------------------------------------------------------------------------


def default_entities(version: SchemeVersion):
    types = version.scheme.zone_types or []
    return Entity.objects.filter(level="zone", zone_type__in=types).select_related("zone").order_by("code")


def group_of(version: SchemeVersion, entity_region: str) -> str:
    return (version.groups or {}).get(entity_region or "", "") or str(_("other"))


def build_inputs(version: SchemeVersion, entities: list[Entity], data_year: int,
                 rows: list[SchemeIndicator] | None = None) -> dict:
    rows = rows if rows is not None else indicators_of(version)
    columns = [(si.indicator.code, si.measure) for si in rows]
    matrix, reasons = inputs.collect(columns, entities, data_year)
    codes = [a.code for a in version.adjustments.all()]
    counts = {c: [0] * len(entities) for c in codes}
    index = {e.pk: i for i, e in enumerate(entities)}
    for eid, code, count in AdjustmentRecord.objects.filter(
            entity_id__in=list(index), code__in=codes, data_year=data_year).values_list("entity_id", "code", "count"):
        counts[code][index[eid]] = count
    return {
        "entities": [[e.pk, e.code, e.name, group_of(version, e.region)] for e in entities],
        "keys": [si.key for si in rows],
        "values": matrix,
        "reasons": reasons,
        "adjustments": counts,
    }


def matrix_of(data: dict) -> np.ndarray:
    """The stored values (decimal strings, None = missing) as a float matrix, NaN = missing."""
    n, m = len(data["values"]), len(data["keys"])
    if n == 0:
        return np.empty((0, m))
    arr = np.array(data["values"], dtype=object).reshape(n, m)
    arr[arr == None] = "nan"  # noqa: E711 (element-wise)
    return arr.astype(float)


def compute(version: SchemeVersion, data: dict, rows=None, weights=None) -> calc.Outcome:
    spec = spec_of(version, rows, weights)
    if [i.key for i in spec.indicators] != data["keys"]:
        raise ValidationError(_("The run's data do not match the scheme version's indicators."))
    groups = [e[3] for e in data["entities"]]
    adj = {k: np.asarray(v, dtype=float) for k, v in data.get("adjustments", {}).items()}
    return calc.evaluate(spec, groups, matrix_of(data), adj)


def _numbers(values: np.ndarray, dp: int = 4) -> list:
    """Half-up rounded values as plain floats (None for NaN), vectorised: JSON numbers, not strings."""
    rounded = calc.round_half_up(np.nan_to_num(values), dp)
    nan = np.isnan(values)
    return [None if m else v for v, m in zip(rounded.tolist(), nan.tolist(), strict=True)]


def _dec(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.0001"))


def result_rows(run: EvaluationRun, data: dict, out: calc.Outcome, rows: list[SchemeIndicator],
                previous: dict[int, tuple]) -> list[EntityResult]:
    """One result per entity.  ``details`` holds per-indicator arrays in the run's column order (raw
    value, value used, normalised score, points) and, sparsely, the missing-value rule applied and the
    reason per column index — numbers, not strings: a row is written in a fraction of the time."""
    reasons = data.get("reasons", {})
    used = [_numbers(r) for r in out.used]
    scores = [_numbers(r) for r in out.scores]
    points = [_numbers(r) for r in out.contributions]
    base, adj, total = _numbers(out.base), _numbers(out.adjustment), _numbers(out.total)
    cats = {c: _numbers(v) for c, v in out.categories.items()}
    rules = out.rules.tolist()
    res = []
    for i, (eid, _code, _name, group) in enumerate(data["entities"]):
        row_rules = rules[i]
        miss = {str(j): r for j, r in enumerate(row_rules) if r}
        why = {str(j): reasons[f"{i},{j}"] for j in range(len(row_rules)) if f"{i},{j}" in reasons}
        details = {"raw": [None if v is None else float(v) for v in data["values"][i]], "used": used[i],
                   "score": scores[i], "points": points[i], "rules": miss, "reasons": why}
        prev = previous.get(eid)
        res.append(EntityResult(
            run=run, entity_id=eid, group=group, base_score=_dec(base[i]), adjustment=_dec(adj[i]),
            total=_dec(total[i]), disqualified=bool(out.disqualified[i]),
            rank_nation=int(out.rank_nation[i]) or None, n_nation=out.n_nation,
            rank_group=int(out.rank_group[i]) or None, n_group=int(out.n_group[i]),
            grade=out.grade[i], grade_group=out.grade_group[i],
            prev_total=prev[0] if prev else None, prev_rank=prev[1] if prev else None,
            categories={c: v[i] for c, v in cats.items()}, details=details,
            rules_applied=",".join(sorted(set(miss.values()))),
        ))
    return res


def previous_run(version: SchemeVersion, exercise_year: int, exclude=None) -> EvaluationRun | None:
    qs = EvaluationRun.objects.filter(version__scheme_id=version.scheme_id, exercise_year__lt=exercise_year)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("-exercise_year", "-created_at").first()


def _run_code(version: SchemeVersion, exercise_year: int) -> str:
    base = slugify(f"{version.scheme.code}-v{version.version}-{exercise_year}")
    n = EvaluationRun.objects.filter(code__startswith=base).count()
    return base if n == 0 else f"{base}-{n + 1}"


@transaction.atomic
def run(version: SchemeVersion, *, exercise_year: int, data_year: int, by, entities=None, name: str = "",
        entity_set: str = "") -> EvaluationRun:
    """Evaluate ``entities`` (default: the scheme's zone types) with the values of ``data_year``."""
    require_write(by, AREA)
    check_weights(version)
    if data_year > exercise_year:
        raise ValidationError(_("The data year cannot come after the exercise year."))
    rows = indicators_of(version)
    if not rows:
        raise ValidationError(_("The scheme version has no indicators."))
    ents = list(entities if entities is not None else default_entities(version))
    if not ents:
        raise ValidationError(_("No entity to evaluate."))
    data = build_inputs(version, ents, data_year, rows)
    out = compute(version, data, rows)
    prev = previous_run(version, exercise_year)
    previous = {}
    if prev is not None:
        previous = {eid: (t, r) for eid, t, r in prev.results.values_list("entity_id", "total", "rank_nation")}
    r = EvaluationRun.objects.create(
        code=_run_code(version, exercise_year), version=version, exercise_year=exercise_year, data_year=data_year,
        name=name or _("%(scheme)s, exercise %(year)s") % {"scheme": version.scheme.name, "year": exercise_year},
        entity_set=entity_set or ", ".join(version.scheme.zone_types or []), inputs=data,
        inputs_hash=inputs.fingerprint(data), previous=prev, n_entities=len(ents), created_by=by)
    EntityResult.objects.bulk_create(result_rows(r, data, out, rows, previous), batch_size=1000)
    audit.record(r, code="evaluation.run.created", by=by, action="create",
                 changes={"version": [None, version.pk], "exercise_year": [None, exercise_year],
                          "data_year": [None, data_year], "entities": [None, len(ents)],
                          "inputs_hash": [None, r.inputs_hash]})
    return r


def bottom_twice(run_obj: EvaluationRun, k: int = 5) -> set[int]:
    """Entities ranked in the national bottom ``k`` in this run and in the previous one — the trigger
    of the exit procedure (综保区 trial, MOFCOM: two years running); the system only points it out."""
    prev = run_obj.previous
    if prev is None:
        return set()

    def bottom(r: EvaluationRun) -> set[int]:
        rows = list(r.results.exclude(rank_nation=None).values_list("entity_id", "rank_nation", "n_nation"))
        return {eid for eid, rank, n in rows if rank > n - k}

    return bottom(run_obj) & bottom(prev)


def reproduce(run_obj: EvaluationRun) -> list[tuple]:
    """The results recomputed from the run's stored data, as (entity, total, rank, group rank, grade)
    tuples — equal to the stored ones for an untouched run."""
    rows = indicators_of(run_obj.version)
    out = compute(run_obj.version, run_obj.inputs, rows)
    return [(e[0], calc.dec(out.total[i]), int(out.rank_nation[i]) or None, int(out.rank_group[i]) or None,
             out.grade[i]) for i, e in enumerate(run_obj.inputs["entities"])]


def stored(run_obj: EvaluationRun) -> list[tuple]:
    order = {e[0]: i for i, e in enumerate(run_obj.inputs["entities"])}
    got = sorted(run_obj.results.values_list("entity_id", "total", "rank_nation", "rank_group", "grade"),
                 key=lambda r: order[r[0]])
    return [tuple(r) for r in got]


# --- what-if and comparison -----------------------------------------------------------------------------


@dataclass
class WhatIfRow:
    entity_id: int
    code: str
    name: str
    group: str
    total_before: Decimal
    total_after: Decimal
    rank_before: int | None
    rank_after: int | None
    grade_before: str
    grade_after: str

    @property
    def moved(self) -> int | None:
        if self.rank_before is None or self.rank_after is None:
            return None
        return self.rank_before - self.rank_after

    @property
    def delta(self) -> Decimal:
        return self.total_after - self.total_before


def parse_decimal(text: str) -> Decimal | None:
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        v = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("%(value)s is not a number.") % {"value": text}) from None
    if not v.is_finite():
        raise ValidationError(_("%(value)s is not a number.") % {"value": text})
    return v


def whatif(run_obj: EvaluationRun, *, values: dict[tuple[int, str], Decimal | None] | None = None,
           weights: dict[str, Decimal] | None = None) -> list[WhatIfRow]:
    """Every entity's total, rank and grade before and after changing some values (``{(entity id,
    column key): value}``) or weights (``{column key: points}``); nothing is written."""
    rows = indicators_of(run_obj.version)
    data = run_obj.inputs
    before = compute(run_obj.version, data, rows)
    changed = {**data, "values": [list(r) for r in data["values"]]}
    index = {e[0]: i for i, e in enumerate(data["entities"])}
    keys = data["keys"]
    for (eid, key), v in (values or {}).items():
        if eid not in index or key not in keys:
            raise ValidationError(_("Unknown entity or indicator in the change."))
        changed["values"][index[eid]][keys.index(key)] = None if v is None else str(v)
    for key in weights or {}:
        if key not in keys:
            raise ValidationError(_("Unknown indicator %(key)s.") % {"key": key})
        if weights[key] < 0:
            raise ValidationError(_("A weight cannot be negative."))
    after = compute(run_obj.version, changed, rows, weights)
    out = []
    for i, (eid, code, name, group) in enumerate(data["entities"]):
        out.append(WhatIfRow(eid, code, name, group, calc.dec(before.total[i]), calc.dec(after.total[i]),
                             int(before.rank_nation[i]) or None, int(after.rank_nation[i]) or None,
                             before.grade[i], after.grade[i]))
    return out


def compare(run_obj: EvaluationRun, other: SchemeVersion) -> list[dict]:
    """The run's entities scored by another scheme version on the same data year: both totals and
    ranks side by side (nothing is written)."""
    ids = [e[0] for e in run_obj.inputs["entities"]]
    ents = {e.pk: e for e in Entity.objects.filter(pk__in=ids).select_related("zone")}
    ordered = [ents[i] for i in ids if i in ents]
    rows = indicators_of(other)
    data = build_inputs(other, ordered, run_obj.data_year, rows)
    theirs = compute(other, data, rows)
    mine = {r.entity_id: r for r in run_obj.results.all()}
    out = []
    for i, e in enumerate(ordered):
        r = mine.get(e.pk)
        out.append({"entity": e, "total_a": r.total if r else None, "rank_a": r.rank_nation if r else None,
                    "total_b": calc.dec(theirs.total[i]), "rank_b": int(theirs.rank_nation[i]) or None,
                    "grade_a": r.grade if r else "", "grade_b": theirs.grade[i]})
    out.sort(key=lambda d: (d["rank_a"] is None, d["rank_a"] or 0))
    return out


def indicators_catalogue():
    return Indicator.objects.filter(active=True).order_by("order", "code")


def schemes():
    return Scheme.objects.prefetch_related("versions").order_by("code")


def today() -> dt.date:
    return dt.date.today()
