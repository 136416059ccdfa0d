"""Evaluation pages: scheme catalogue and version page (with its assumptions), version editor (refused
once the version has runs), new version, new run, run page (ranking table, charts, xlsx), result page
(each indicator's raw value, score and points), what-if, comparison with another scheme, an entity's
evaluation history.

Scope: schemes and runs are reference data every office sees; results are scoped like the statistical
entities (a zone office sees its own zone's rows with their national and group positions "n of N",
not the other zones' scores)."""

from __future__ import annotations

import time
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.core.exports import xlsx_response
from zonebook.core.lists import FilteredListView
from zonebook.core.permissions import may_write, require_role
from zonebook.core.views import scoped_object
from zonebook.documents.charts import chart
from zonebook.stats.models import Entity

from . import services
from .filtersets import RunFilterSet
from .models import EntityResult, EvaluationRun, SchemeVersion
from .registration import OFFICES
from .tables import RunTable


def _office(request):
    require_role(request.user, *OFFICES)


def _version(code: str, number: int) -> SchemeVersion:
    return get_object_or_404(SchemeVersion.objects.select_related("scheme"), scheme__code=code, version=number)


def _run(request, code: str) -> EvaluationRun:
    _office(request)
    return get_object_or_404(EvaluationRun.objects.select_related("version__scheme"), code=code)


def _num(v, dp=2) -> str:
    if v is None:
        return "—"
    return f"{Decimal(v):,.{dp}f}"


class RunList(FilteredListView):
    model = EvaluationRun
    filterset_class = RunFilterSet
    table_class = RunTable
    template_name = "evaluation/run_list.html"
    title = gettext_lazy("Evaluation runs")
    export_filename = gettext_lazy("evaluation runs")
    export_code = "evaluation.run.exported"

    def get(self, request, *args, **kwargs):
        _office(request)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return EvaluationRun.objects.select_related("version__scheme").order_by("-exercise_year", "-created_at")


@login_required
def scheme_list(request):
    _office(request)
    rows = []
    for s in services.schemes():
        for v in s.versions.all():
            rows.append((s, v))
    if request.GET.get("export") == "xlsx":
        header = [_("Scheme"), _("Issuer"), _("Version"), _("Document"), _("Valid from"), _("Runs")]
        counts = {v.pk: v.runs.count() for _s, v in rows}
        data = [[s.name, s.issuer, v.label, v.doc_no, v.valid_from, counts[v.pk]] for s, v in rows]
        return xlsx_response(iter([header, *data]), _("evaluation schemes"), _("Evaluation schemes"))
    return render(request, "evaluation/scheme_list.html", {"title": _("Evaluation schemes"), "rows": rows})


def _version_context(version: SchemeVersion) -> dict:
    rows = services.indicators_of(version)
    cats = []
    for c in version.categories.all():
        cats.append({"cat": c, "rows": [si for si in rows if si.category_id == c.pk]})
    problems = services.weight_problems(version)
    return {"version": version, "scheme": version.scheme, "cats": cats, "problems": problems,
            "adjustments": list(version.adjustments.all()), "runs": list(version.runs.order_by("-exercise_year")),
            "notes": [line for line in version.notes.splitlines() if line.strip()],
            "groups": sorted(set((version.groups or {}).values())),
            "grade_rules": version.grade_rules or []}


@login_required
def version_page(request, code, version):
    _office(request)
    v = _version(code, version)
    ctx = _version_context(v)
    if request.GET.get("export") == "xlsx":
        header = [_("Category"), _("Category weight"), _("Indicator"), _("Unit"), _("Measure"), _("Weight"),
                  _("Direction"), _("Normaliser"), _("Missing value"), _("Benchmark"), _("Note")]
        data = [[c["cat"].name, c["cat"].weight, si.indicator.name, si.indicator.unit, si.get_measure_display(),
                 si.weight, si.get_direction_display(), si.get_normaliser_display(), si.get_missing_rule_display(),
                 si.benchmark, si.note] for c in ctx["cats"] for si in c["rows"]]
        return xlsx_response(iter([header, *data]), f"{v.scheme.code}-v{v.version}", str(v.label))
    ctx.update(title=str(v), may_edit=may_write(request.user, services.AREA))
    return render(request, "evaluation/version.html", ctx)


@login_required
def version_edit(request, code, version):
    """Weights, normalisers and missing-value rules of an unused version; a used one is refused."""
    _office(request)
    v = _version(code, version)
    ctx = _version_context(v)
    errors = []
    if request.method == "POST":
        try:
            changes = []
            for c in ctx["cats"]:
                for si in c["rows"]:
                    w = services.parse_decimal(request.POST.get(f"w_{si.pk}", ""))
                    if w is None or w < 0:
                        raise ValidationError(_("Row %(row)s (%(name)s), column weight: a number of 0 or more is "
                                                "needed.") % {"row": si.order + 1, "name": si.indicator.name})
                    changes.append(services.WeightChange(
                        si.pk, w, normaliser=request.POST.get(f"n_{si.pk}") or None,
                        missing_rule=request.POST.get(f"m_{si.pk}") or None))
            cat_weights = {}
            for c in ctx["cats"]:
                w = services.parse_decimal(request.POST.get(f"c_{c['cat'].pk}", ""))
                if w is None or w < 0:
                    raise ValidationError(_("Category %(name)s: a weight of 0 or more is needed.")
                                          % {"name": c["cat"].name})
                cat_weights[c["cat"].pk] = w
            services.update_version(v, by=request.user, category_weights=cat_weights, indicators=changes,
                                    fields={"weights_sum_100": request.POST.get("weights_sum_100") == "on",
                                            "notes": request.POST.get("notes", v.notes)})
            messages.success(request, _("The scheme version was saved."))
            return redirect("evaluation:version", code=code, version=version)
        except ValidationError as e:
            errors = e.messages
    from .models import MissingRule
    from .normalisers import choices

    posted = request.POST if errors else None
    for c in ctx["cats"]:  # the form keeps what the user typed
        c["form_weight"] = posted.get(f"c_{c['cat'].pk}", "") if posted else f"{c['cat'].weight.normalize():f}"
        for si in c["rows"]:
            si.form_weight = posted.get(f"w_{si.pk}", "") if posted else f"{si.weight.normalize():f}"
            si.form_norm = posted.get(f"n_{si.pk}", si.normaliser) if posted else si.normaliser
            si.form_missing = posted.get(f"m_{si.pk}", si.missing_rule) if posted else si.missing_rule

    ctx.update(title=_("Edit %(version)s") % {"version": v}, errors=errors, posted=request.POST if errors else None,
               normalisers=choices(), missing_rules=MissingRule.choices, used=bool(ctx["runs"]))
    return render(request, "evaluation/version_edit.html", ctx, status=400 if errors else 200)


@login_required
def version_new(request, code, version):
    _office(request)
    v = _version(code, version)
    if request.method != "POST":
        return redirect("evaluation:version", code=code, version=version)
    new = services.new_version(v, by=request.user, label=request.POST.get("label", "").strip())
    messages.success(request, _("Version %(v)s was created from version %(base)s; it can be edited until it is run.")
                     % {"v": new.version, "base": v.version})
    return redirect("evaluation:version_edit", code=code, version=new.version)


@login_required
def run_new(request, code, version):
    _office(request)
    v = _version(code, version)
    if request.method != "POST":
        return redirect("evaluation:version", code=code, version=version)
    try:
        ex = int(request.POST.get("exercise_year", ""))
        dy = int(request.POST.get("data_year", ""))
        if not (1990 <= ex <= 2100 and 1990 <= dy <= 2100):
            raise ValueError
    except ValueError:
        messages.error(request, _("Exercise year and data year are years between 1990 and 2100."))
        return redirect("evaluation:version", code=code, version=version)
    try:
        r = services.run(v, exercise_year=ex, data_year=dy, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("evaluation:version", code=code, version=version)
    messages.success(request, _("The run was computed."))
    return redirect("evaluation:run", run=r.code)


def _scoped_results(request, run_obj):
    return (EntityResult.objects.for_user(request.user).filter(run=run_obj).select_related("entity")
            .order_by("rank_nation", "entity__name"))


def _result_table(results, cats, run_obj, exit_ids=frozenset()):
    header = [_("National rank"), _("Entity"), _("Peer group"), _("Rank in group"), *[c.name for c in cats],
              _("Adjustments"), _("Total"), _("Grade"), _("Grade in group"), _("Previous rank"), _("Rank change"),
              _("Missing-value rules applied"), _("Exit warning")]
    rows = []
    for r in results:
        rows.append([
            r.rank_nation, r.entity.name, r.group, r.rank_group,
            *[Decimal(str(r.categories.get(c.code, 0))) for c in cats], r.adjustment, r.total,
            r.grade or ("—" if not r.disqualified else _("disqualified")), r.grade_group, r.prev_rank,
            r.rank_change, ", ".join(str(services.RULE_LABELS.get(x, x)) for x in r.rules_applied.split(",") if x),
            _("bottom 5 two runs running") if r.entity_id in exit_ids else "",
        ])
    return header, rows


@login_required
def run_page(request, run):
    r = _run(request, run)
    cats = list(r.version.categories.all())
    results = list(_scoped_results(request, r))
    exit_ids = services.bottom_twice(r)
    header, rows = _result_table(results, cats, r, exit_ids)
    if request.GET.get("export") == "xlsx":
        return xlsx_response(iter([header, *rows]), r.code, str(r.name))
    for x in results:
        x.exit_warning = x.entity_id in exit_ids
        x.cat_values = [Decimal(str(x.categories.get(c.code, 0))) for c in cats]
        x.rules_text = ", ".join(str(services.RULE_LABELS.get(k, k)) for k in x.rules_applied.split(",") if k)
    top = [x for x in results if x.rank_nation][:20]
    charts = []
    if top:
        charts.append(chart("ranked_bar", _("Total score"), [x.entity.name for x in top],
                            {_("Total"): [x.total for x in top]}, unit=_("points")))
        charts.append(chart("bar", _("Points by category"), [x.entity.name for x in top[:10]],
                            {c.name: [Decimal(str(x.categories.get(c.code, 0))) for x in top[:10]] for c in cats},
                            unit=_("points")))
    grades: dict[str, int] = {}
    for x in results:
        key = x.grade or (_("disqualified") if x.disqualified else _("no grade published"))
        grades[key] = grades.get(key, 0) + 1
    if any(x.grade for x in results):
        charts.append(chart("pie", _("Grades"), list(grades), {_("Entities"): list(grades.values())}))
    return render(request, "evaluation/run.html", {
        "title": r.name, "run": r, "results": results, "cats": cats, "charts": charts,
        "partial": len(results) < r.n_entities, "version": r.version,
        "may_run": may_write(request.user, services.AREA),
    })


@scoped_object(EntityResult)
@login_required
def result_page(request, run, pk):
    res = EntityResult.objects.for_user(request.user).select_related("entity", "run__version__scheme").filter(
        pk=pk, run__code=run).first()
    if res is None:  # out of scope: 404 before any 403
        raise Http404(_("Not found."))
    _office(request)
    rows = services.indicators_of(res.run.version)
    lines = []
    for si, d in zip(rows, res.indicator_rows(), strict=False):
        lines.append({**d, "si": si, "rule": services.RULE_LABELS.get(d["rule"], ""),
                      "reason": services.reason_text(d["reason"]) if d["reason"] else ""})
    if request.GET.get("export") == "xlsx":
        header = [_("Category"), _("Indicator"), _("Unit"), _("Raw value"), _("Value used"), _("Score"),
                  _("Weight"), _("Points"), _("Missing value"), _("Reason")]
        data = [[x["si"].category.name, f"{x['si'].indicator.name}{' ' + _('growth') if x['si'].measure == 'yoy' else ''}",
                 "%" if x["si"].measure == "yoy" else x["si"].indicator.unit,
                 x["raw"], x["used"], x["score"], x["si"].weight, x["points"], str(x["rule"]),
                 x["reason"]] for x in lines]
        return xlsx_response(iter([header, *data]), f"{res.run.code}-{res.entity.code}", res.entity.name)
    return render(request, "evaluation/result.html", {
        "title": f"{res.entity.name} · {res.run.name}", "res": res, "lines": lines, "run": res.run,
    })


@scoped_object(Entity)
@login_required
def entity_page(request, pk):
    entity = Entity.objects.for_user(request.user).filter(pk=pk).first()
    if entity is None:  # out of scope: 404 before any 403
        raise Http404(_("Not found."))
    _office(request)
    results = list(EntityResult.objects.for_user(request.user).filter(entity=entity)
                   .select_related("run__version__scheme").order_by("run__version__scheme__code", "run__exercise_year"))
    if request.GET.get("export") == "xlsx":
        header = [_("Scheme"), _("Exercise year"), _("Data year"), _("Total"), _("National rank"), _("Ranked"),
                  _("Peer group"), _("Rank in group"), _("Grade"), _("Rank change")]
        data = [[r.run.version.scheme.name, r.run.exercise_year, r.run.data_year, r.total, r.rank_nation, r.n_nation,
                 r.group, r.rank_group, r.grade, r.rank_change] for r in results]
        return xlsx_response(iter([header, *data]), f"{entity.code}-evaluation", entity.name)
    by_scheme: dict = {}
    for r in results:
        by_scheme.setdefault(r.run.version.scheme, []).append(r)
    charts = []
    for scheme, rs in by_scheme.items():
        if len(rs) > 1:
            charts.append(chart("line", _("%(scheme)s: national rank") % {"scheme": scheme.name},
                                [str(x.run.exercise_year) for x in rs], {_("Rank"): [x.rank_nation or 0 for x in rs]}))
    return render(request, "evaluation/entity.html", {
        "title": _("Evaluation history: %(name)s") % {"name": entity.name}, "entity": entity, "results": results,
        "charts": charts,
    })


@login_required
def whatif_start(request):
    _office(request)
    runs = EvaluationRun.objects.select_related("version__scheme").order_by("-exercise_year", "-created_at")[:30]
    return render(request, "evaluation/whatif_start.html", {"title": _("What-if"), "runs": runs})


@login_required
def whatif_page(request, run):
    """Change a value of a visible entity or a weight and see totals, ranks and grades move; the run is
    not touched.  A zone office sees its own zone's movement only."""
    r = _run(request, run)
    visible = list(_scoped_results(request, r))
    visible_ids = {x.entity_id for x in visible}
    rows = services.indicators_of(r.version)
    keys = r.inputs["keys"]
    params = request.POST if request.method == "POST" else request.GET
    errors, result, elapsed = [], None, None
    values, weights = {}, {}
    entity_id = params.get("entity") or (str(visible[0].entity_id) if visible else "")
    if params.get("go"):
        try:
            if entity_id:
                if not entity_id.isdigit() or int(entity_id) not in visible_ids:
                    raise ValidationError(_("Choose one of the entities listed."))
                for j, k in enumerate(keys):
                    raw = params.get(f"v_{j}", "")
                    if raw.strip() != "":
                        values[(int(entity_id), k)] = services.parse_decimal(raw)
            for j, k in enumerate(keys):
                raw = params.get(f"w_{j}", "")
                if raw.strip() != "":
                    w = services.parse_decimal(raw)
                    if w != rows[j].weight:
                        weights[k] = w
            t0 = time.perf_counter()
            result = [x for x in services.whatif(r, values=values, weights=weights) if x.entity_id in visible_ids]
            elapsed = (time.perf_counter() - t0) * 1000
        except ValidationError as e:
            errors = e.messages
    current = {}
    idx = {e[0]: i for i, e in enumerate(r.inputs["entities"])}
    if entity_id and entity_id.isdigit() and int(entity_id) in visible_ids:
        current = dict(zip(keys, r.inputs["values"][idx[int(entity_id)]], strict=False))
    weight_sum = sum((weights.get(si.key, si.weight) for si in rows), Decimal(0))
    fields = [{"j": j, "si": si, "current": current.get(si.key), "value": params.get(f"v_{j}", ""),
               "weight": params.get(f"w_{j}", "") or si.weight} for j, si in enumerate(rows)]
    if result and request.GET.get("export") == "xlsx":
        header = [_("Entity"), _("Total before"), _("Total after"), _("Rank before"), _("Rank after"),
                  _("Grade before"), _("Grade after")]
        data = [[x.name, x.total_before, x.total_after, x.rank_before, x.rank_after, x.grade_before, x.grade_after]
                for x in result]
        return xlsx_response(iter([header, *data]), f"{r.code}-what-if", _("What-if"))
    return render(request, "evaluation/whatif.html", {
        "title": _("What-if: %(run)s") % {"run": r.name}, "run": r, "visible": visible, "entity_id": entity_id,
        "fields": fields, "errors": errors, "result": result, "elapsed": elapsed,
        "weight_sum": weight_sum, "weights_changed": bool(weights),
        "weight_warning": r.version.weights_sum_100 and weights and weight_sum != 100,
        "query": request.GET.urlencode(),
    }, status=400 if errors else 200)


@login_required
def compare_page(request, run):
    r = _run(request, run)
    others = SchemeVersion.objects.select_related("scheme").exclude(pk=r.version_id).order_by("scheme__code", "version")
    other = None
    pk = request.GET.get("version", "")
    if pk.isdigit():
        other = others.filter(pk=int(pk)).first()
    rows = []
    if other is not None:
        visible = set(_scoped_results(request, r).values_list("entity_id", flat=True))
        rows = [x for x in services.compare(r, other) if x["entity"].pk in visible]
        if request.GET.get("export") == "xlsx":
            header = [_("Entity"), str(r.version), _("Rank"), str(other), _("Rank")]
            data = [[x["entity"].name, x["total_a"], x["rank_a"], x["total_b"], x["rank_b"]] for x in rows]
            return xlsx_response(iter([header, *data]), f"{r.code}-compare", _("Comparison"))
    return render(request, "evaluation/compare.html", {
        "title": _("Compare schemes: %(run)s") % {"run": r.name}, "run": r, "others": others, "other": other,
        "rows": rows,
    })
