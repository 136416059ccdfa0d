"""Stats pages: dashboard (province / city / zone overview), entity page, observation and ranking
lists with export, direct reporting with validation and review, who has not reported, figures JSON."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zonebook.core.lists import FilteredListView
from zonebook.core.permissions import has_role, may_write
from zonebook.core.views import scoped_object

from . import dashboard, freshness, services
from .filtersets import FigureFilterSet, ObservationFilterSet, SubmissionFilterSet
from .models import (
    Basis,
    Entity,
    Figure,
    Indicator,
    Observation,
    ReportForm,
    ReportPeriod,
    Submission,
    SubmissionStatus,
    ym_of,
)
from .tables import FigureTable, ObservationTable, SubmissionTable


class ObservationList(FilteredListView):
    model = Observation
    filterset_class = ObservationFilterSet
    table_class = ObservationTable
    template_name = "stats/list.html"
    title = gettext_lazy("Statistical values")
    export_filename = gettext_lazy("statistical values")
    export_code = "stats.observation.exported"

    def get_queryset(self):
        return Observation.objects.for_user(self.request.user).select_related("entity", "indicator")


class RankingList(FilteredListView):
    model = Figure
    filterset_class = FigureFilterSet
    table_class = FigureTable
    template_name = "stats/list.html"
    title = gettext_lazy("Ranking")
    export_filename = gettext_lazy("ranking")
    export_code = "stats.figure.exported"

    def get_queryset(self):
        return Figure.objects.for_user(self.request.user).select_related("entity", "indicator")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["freshness"] = freshness.status(self.request.user)
        return ctx

    def get_filterset(self):
        data = self.request.GET.copy()
        if not data.get("indicator"):
            trade = Indicator.objects.filter(code="TRADE_USD").first()
            if trade:
                data["indicator"] = str(trade.pk)
        if not data.get("period"):
            last = Figure.objects.for_user(self.request.user).order_by("-ym").values_list("ym", flat=True).first()
            if last is not None:
                data["period"] = services.period_label(last)
        data.setdefault("basis", Basis.CUM)
        data.setdefault("level", "zone")
        return self.filterset_class(data, queryset=self.get_queryset(), request=self.request)


class SubmissionList(FilteredListView):
    model = Submission
    filterset_class = SubmissionFilterSet
    table_class = SubmissionTable
    template_name = "stats/submission_list.html"
    title = gettext_lazy("Statistical returns")
    export_filename = gettext_lazy("statistical returns")
    export_code = "stats.submission.exported"

    def get_queryset(self):
        return Submission.objects.for_user(self.request.user).select_related("entity", "report_period__form")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["periods"] = ReportPeriod.objects.select_related("form").order_by("-period")[:6]
        ctx["may_report"] = services.may_report(self.request.user)
        ctx["own_entities"] = Entity.objects.for_user(self.request.user).filter(level="zone", zone__isnull=False)[:50]
        return ctx


def _table_export(request, ctx, title):
    from zonebook.core.exports import xlsx_response

    found = dashboard.export_rows(ctx, request.GET.get("export", ""))
    if found is None:
        raise Http404(_("Not found."))
    rows, name = found
    return xlsx_response(iter(rows), f"{title} {name}", str(name)[:31])


@login_required
def home(request):
    ctx = dashboard.overview(request)
    if request.GET.get("export"):
        return _table_export(request, ctx, ctx["home"].name if ctx.get("home") else _("statistics"))
    return render(request, "stats/dashboard.html", ctx)


@scoped_object(Entity)
@login_required
def entity_page(request, pk):
    entity = services.scoped_entity(request.user, pk)
    ctx = dashboard.entity_context(request, entity)
    if request.GET.get("export"):
        return _table_export(request, ctx, entity.name)
    return render(request, "stats/entity.html", ctx)


@login_required
def figures_json(request):
    """``?entity=CODE&indicator=CODE&period=YYYY-MM[&basis=cum|month]``: the ``stats show`` figures."""
    entity = Entity.objects.for_user(request.user).filter(code=request.GET.get("entity", "")).first()
    if entity is None:
        raise Http404(_("Not found."))
    indicator = get_object_or_404(Indicator, code=request.GET.get("indicator", ""))
    try:
        period = services.parse_period(request.GET.get("period", ""))
    except ValidationError as e:
        return JsonResponse({"detail": " ".join(e.messages)}, status=400)
    basis = request.GET.get("basis") or None
    if basis not in (None, *Basis.values):
        return JsonResponse({"detail": _("Unknown basis %(basis)s.") % {"basis": basis}}, status=400)
    return JsonResponse(services.figures(entity, indicator, period, basis).as_dict())


# --- direct reporting --------------------------------------------------------------------------------------


def _key(ind_code: str, basis: str) -> str:
    return f"{ind_code}__{basis}"


class ReturnForm(forms.Form):
    """The fields of a report form: per line a value, an explanation and a unit confirmation."""

    def __init__(self, *args, lines, submission, last_year, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        values = {(v.indicator_id, v.basis): v for v in submission.values.all()}
        for line in lines:
            ind, k = line.indicator, _key(line.indicator.code, line.basis)
            sv = values.get((ind.pk, line.basis))
            self.fields[f"v_{k}"] = forms.DecimalField(
                label=f"{ind.name} ({line.get_basis_display()})", required=False, max_digits=20, decimal_places=4,
                initial=sv.value if sv else None,
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm text-end", "inputmode": "decimal"}),
            )
            self.fields[f"x_{k}"] = forms.CharField(
                label=_("Explanation"), required=False, initial=sv.explanation if sv else "",
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            )
            self.fields[f"u_{k}"] = forms.BooleanField(
                label=_("Unit checked"), required=False, initial=sv.unit_confirmed if sv else False,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )
            self.rows.append(dict(line=line, key=k, unit=ind.unit, required=line.required,
                                  last_year=last_year.get((ind.pk, line.basis))))

    def bound_rows(self):
        for r in self.rows:
            yield {**r, "value": self[f"v_{r['key']}"], "explanation": self[f"x_{r['key']}"],
                   "unit_ok": self[f"u_{r['key']}"]}

    def data_for_service(self):
        out = {}
        for r in self.rows:
            line = r["line"]
            out[(line.indicator.code, line.basis)] = {
                "value": self.cleaned_data.get(f"v_{r['key']}"),
                "explanation": self.cleaned_data.get(f"x_{r['key']}", ""),
                "unit_confirmed": self.cleaned_data.get(f"u_{r['key']}", False),
            }
        return out


@login_required
def report(request, entity_pk, period):
    """The direct-reporting page of one entity and month (the form ``?form=`` or the entity level's)."""
    entity = services.scoped_entity(request.user, entity_pk)
    if not services.may_report(request.user):
        raise PermissionDenied(_("Your role may not report statistics."))
    try:
        month = services.parse_period(period)
    except ValidationError:
        raise Http404(_("Not found.")) from None
    form_def = ReportForm.objects.filter(level=entity.level, active=True).order_by("code").first()
    if form_def is None:
        raise Http404(_("No report form for this kind of entity."))
    rp = services.open_period(form_def, month, by=request.user)
    sub = services.get_or_create_submission(rp, entity, by=request.user)
    return redirect("stats:submission", pk=sub.pk)


@scoped_object(Submission)
@login_required
def submission(request, pk):
    sub = Submission.objects.for_user(request.user).select_related("entity", "report_period__form").filter(pk=pk).first()
    if sub is None:
        raise Http404(_("Not found."))
    lines = list(sub.report_period.form.lines.select_related("indicator"))
    ym = ym_of(sub.report_period.period)
    last_year = {(o.indicator_id, o.basis): o.value for o in Observation.objects.filter(entity=sub.entity, ym=ym - 12)}
    editable = sub.status in (SubmissionStatus.DRAFT, SubmissionStatus.RETURNED) and services.may_report(request.user)
    form = ReturnForm(request.POST or None, lines=lines, submission=sub, last_year=last_year)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(_("This return can no longer be changed."))
        if form.is_valid():
            try:
                services.save_values(sub, form.data_for_service(), by=request.user)
                if request.POST.get("action") == "submit":
                    services.submit(sub, by=request.user)
                    messages.success(request, _("The return was submitted for review."))
                else:
                    messages.success(request, _("The draft was saved."))
                return redirect("stats:submission", pk=sub.pk)
            except ValidationError as e:
                for m in e.messages:
                    form.add_error(None, m)
        sub.refresh_from_db()
    issues = services.validate(sub)
    if not sub.values.exclude(value=None).exists():
        issues = [i for i in issues if i.code != "required"]  # a fresh return: no wall of "required"
    may_review = may_write(request.user, services.AREA) and (
        (sub.status == SubmissionStatus.SUBMITTED and has_role(request.user, *services.CITY_ROLES, *services.PROVINCE_ROLES))
        or (sub.status == SubmissionStatus.CITY_APPROVED and has_role(request.user, *services.PROVINCE_ROLES))
    )
    return render(request, "stats/submission.html", {
        "sub": sub, "form": form, "issues": issues, "editable": editable, "may_review": may_review,
        "title": f"{sub.entity.name} · {sub.report_period.period:%Y-%m}",
    })


@scoped_object(Submission)
@login_required
@require_POST
def review(request, pk):
    sub = Submission.objects.for_user(request.user).filter(pk=pk).first()
    if sub is None:
        raise Http404(_("Not found."))
    approve = request.POST.get("decision") == "approve"
    try:
        services.review(sub, approve=approve, reason=request.POST.get("reason", ""), by=request.user)
        messages.success(request, _("The return was approved.") if approve else _("The return was sent back for correction."))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return redirect("stats:submission", pk=sub.pk)


@login_required
def not_reported(request):
    periods = ReportPeriod.objects.select_related("form").order_by("-period")
    pk = request.GET.get("period")
    rp = periods.filter(pk=pk).first() if pk and str(pk).isdigit() else periods.first()
    rows = list(services.not_reported(rp, request.user)) if rp else []
    if request.GET.get("export") == "xlsx" and rp:
        from zonebook.core.exports import xlsx_response

        header = [_("Entity"), _("Month"), _("Due date")]
        data = [[e.name, rp.period.strftime("%Y-%m"), rp.due_date] for e in rows]
        return xlsx_response(iter([header, *data]), _("not reported"), str(_("Not reported")))
    today = dt.date.today()
    return render(request, "stats/not_reported.html", {
        "title": _("Not reported"), "periods": periods[:12], "rp": rp, "rows": rows,
        "overdue": bool(rp and today > rp.due_date),
    })


def pct_str(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def report_url(entity: Entity, month: dt.date) -> str:
    return reverse("stats:report", args=[entity.pk, month.strftime("%Y-%m")])
