"""Investment pages: projects (list, form, detail with milestones, terminal states, screening),
statistics, investors, events, the five databases, policy documents and tasks with progress reports,
the 调度 document and the scorecards.

Objects come from ``Model.objects.for_user(request.user)`` first (out of scope → 404), then writes need
the ``investment`` write area (403) and go through ``services`` / ``policy``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zonebook.audit.services import history
from zonebook.core.errors import DomainError
from zonebook.core.forms import apply_service_error
from zonebook.core.lists import FilteredListView, bootstrapify
from zonebook.core.permissions import may_write, require_write
from zonebook.core.views import scoped_object

from . import policy, queries
from . import services as svc
from .filtersets import (
    EventFilterSet,
    InvestorFilterSet,
    ProjectFilterSet,
    TaskFilterSet,
    TransferProjectFilterSet,
)
from .forms import (
    ContactForm,
    EventForm,
    InvestorForm,
    MilestoneForm,
    PolicyDocumentForm,
    ProjectForm,
    ReportForm,
    ScreeningForm,
    StatsForm,
    TaskForm,
    TerminalForm,
)
from .models import (
    CountingRule,
    InvestmentEvent,
    Investor,
    PolicyDocument,
    PolicyTask,
    Project,
    RuleKind,
    Scorecard,
    ScorecardStatus,
)
from .tables import (
    EventTable,
    InvestorTable,
    ProjectTable,
    TargetEnterpriseTable,
    TaskTable,
    TransferProjectTable,
)

AREA = svc.AREA
DENIED = gettext_lazy("Your role may not change investment data.")


def _can(request) -> bool:
    return may_write(request.user, AREA)


# --------------------------------------------------------------------------- projects


def open_clocks():
    from django.db.models import Prefetch

    from zonebook.sla.models import Deadline

    return Prefetch("deadlines", queryset=Deadline.objects.exclude(state="stopped").select_related("policy"))


class ProjectList(FilteredListView):
    model = Project
    filterset_class = ProjectFilterSet
    table_class = ProjectTable
    template_name = "investment/project_list.html"
    title = gettext_lazy("Investment projects (招商项目)")
    export_filename = gettext_lazy("investment-projects")
    export_code = "investment.project.exported"

    def get_queryset(self):
        return (
            Project.objects.for_user(self.request.user)
            .select_related("investor", "zone", "industry")
            .prefetch_related(open_clocks())
            .order_by("-signed_on", "number")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_write=_can(self.request), **kwargs)


project_list = ProjectList.as_view()


@login_required
def project_create(request):
    require_write(request.user, AREA, DENIED)
    form = ProjectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            p = svc.create_project(form.cleaned_data, by=request.user)
        except DomainError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Project %(n)s was created.") % {"n": p.number})
            return redirect("investment:project_detail", pk=p.pk)
    return render(
        request,
        "investment/form.html",
        {"form": form, "title": _("New investment project"), "back": "investment:project_list"},
        status=400 if form.errors else 200,
    )


def _project(request, pk):
    return get_object_or_404(
        Project.objects.for_user(request.user).select_related(
            "zone", "park", "investor", "industry", "enterprise", "lead_unit", "officer", "event", "parent"
        ),
        pk=pk,
    )


@login_required
@scoped_object(Project)
def project_edit(request, pk):
    p = _project(request, pk)
    require_write(request.user, AREA, DENIED)
    form = ProjectForm(request.POST or None, instance=p, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            svc.update_project(p, form.cleaned_data, by=request.user)
        except DomainError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The project was saved."))
            return redirect("investment:project_detail", pk=p.pk)
    return render(
        request,
        "investment/form.html",
        {"form": form, "title": str(p), "back": "investment:project_list"},
        status=400 if form.errors else 200,
    )


def _next_milestone(p) -> str:
    from .models import MILESTONE_ORDER

    done = set(p.milestones.values_list("kind", flat=True))
    return next((k for k in MILESTONE_ORDER if k not in done), MILESTONE_ORDER[-1])


@login_required
@scoped_object(Project)
def project_detail(request, pk, milestone_form=None, status=200, increase_of=None):
    p = _project(request, pk)
    from zonebook.notify.lights import light_badge
    from zonebook.sla.models import Deadline
    from zonebook.sla.services import status as clock_status

    clocks = []
    for d in Deadline.objects.filter(
        content_type__app_label="investment", content_type__model="project", object_id=p.pk
    ).select_related("policy"):
        st = clock_status(d)
        clocks.append(
            {"deadline": d, "status": st, "badge": light_badge(st.light) if st.state != "stopped" else ""}
        )
    ctx = {
        "p": p,
        "object": p,
        "milestones": p.milestones.select_related("recorded_by").order_by("seq"),
        "screenings": p.screenings.select_related("by"),
        "follow_ups": p.follow_ups.all(),
        "clocks": clocks,
        "can_write": _can(request),
        "milestone_form": milestone_form
        or MilestoneForm(initial={"date": timezone.localdate(), "kind": _next_milestone(p)}),
        "terminal_form": TerminalForm(),
        "screening_form": ScreeningForm(),
        "entries": history(p)[:50],
        "increase_of": increase_of,
    }
    return render(request, "investment/project_detail.html", ctx, status=status)


@login_required
@require_POST
@scoped_object(Project)
def milestone_add(request, pk):
    p = _project(request, pk)
    require_write(request.user, AREA, DENIED)
    form = MilestoneForm(request.POST)
    if form.is_valid():
        try:
            svc.record_milestone(
                p,
                form.cleaned_data["kind"],
                form.cleaned_data["date"],
                by=request.user,
                evidence=form.cleaned_data["evidence"],
                correction_reason=form.cleaned_data["correction_reason"],
                # the offer's button (below the form after a refusal) names the original project
                as_increase_of=int(request.POST["as_increase_of"])
                if request.POST.get("as_increase_of", "").isdigit() else None,
                separate_reason=form.cleaned_data["separate_reason"],
            )
        except DomainError as exc:
            apply_service_error(form, exc)
            if exc.code == "increase_as_new" and getattr(exc, "original_id", None):
                # the offered choice: the same signing recorded as a capital increase of the original
                original = Project.objects.filter(pk=exc.original_id).only("pk", "number", "name").first()
                return project_detail(request, pk, milestone_form=form, status=400, increase_of=original)
        else:
            messages.success(request, _("The milestone was recorded."))
            p.refresh_from_db()
            if p.dedup_warning:
                messages.warning(request, p.dedup_warning)
            return redirect("investment:project_detail", pk=p.pk)
    return project_detail(request, pk, milestone_form=form, status=400)


@login_required
@require_POST
@scoped_object(Project)
def project_terminal(request, pk):
    p = _project(request, pk)
    require_write(request.user, AREA, DENIED)
    action = request.POST.get("action", "request")
    try:
        if action == "request":
            form = TerminalForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("Choose the state and give the reason."))
            svc.request_terminal(p, form.cleaned_data["state"], form.cleaned_data["reason"], by=request.user)
            messages.success(request, _("The request waits for approval."))
        else:
            svc.decide_terminal(p, approve=action == "approve", by=request.user)
            messages.success(request, _("The decision was recorded."))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("investment:project_detail", pk=p.pk)


@login_required
@require_POST
@scoped_object(Project)
def project_screen(request, pk):
    p = _project(request, pk)
    require_write(request.user, AREA, DENIED)
    form = ScreeningForm(request.POST)
    if form.is_valid():
        try:
            svc.screen(
                p,
                form.cleaned_data["level"],
                form.cleaned_data["status"],
                by=request.user,
                reference=form.cleaned_data["reference"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The screening was recorded."))
    else:
        messages.error(request, _("Choose the level and the status."))
    return redirect("investment:project_detail", pk=p.pk)


# --------------------------------------------------------------------------- statistics


@login_required
def statistics(request):
    today = timezone.localdate()
    form = StatsForm(request.GET or {"year": today.year, "month": today.month, "group": "zone"})
    if form.is_valid():
        year, month, group = form.cleaned_data["year"], form.cleaned_data["month"], form.cleaned_data["group"]
    else:
        year, month, group = today.year, today.month, "zone"
    bootstrapify(form)
    projects = Project.objects.for_user(request.user)
    stats = queries.project_statistics(projects, year, month, group)
    target = queries.target_for(request.user, year)
    progress = queries.target_progress(stats["total"], target, month)
    pipe = queries.pipeline(projects)
    top = max([r["count"] for r in pipe] + [1])
    for r in pipe:
        r["width"] = round(r["count"] * 100 / top)
    from zonebook.documents.charts import chart

    rows = stats["rows"][:30]
    amount_chart = chart(
        "bar",
        _("Signed amount by %(g)s") % {"g": queries.GROUP_LABELS[stats["group"]]},
        [r["label"] for r in rows],
        {str(year): [r["signed_amount"] for r in rows], str(year - 1): [r["prev_amount"] for r in rows]},
        unit=_("10k RMB"),
    )
    pipeline_chart = chart(
        "bar",
        _("Project pipeline by stage"),
        [str(r["label"]) for r in pipe],
        {_("Projects"): [r["count"] for r in pipe]},
    )
    ctx = {
        "form": form,
        "stats": stats,
        "progress": progress,
        "pipeline": pipe,
        "group_label": queries.GROUP_LABELS[stats["group"]],
        "events": queries.event_counts(InvestmentEvent.objects.for_user(request.user), year),
        "year": year,
        "month": month,
        "amount_chart": amount_chart,
        "can_set_target": _can(request)
        and getattr(request.user, "scope_level", "") in ("zone", "city", "province"),
        "pipeline_chart": pipeline_chart,
    }
    if request.GET.get("export") == "xlsx":
        return _stats_export(request, ctx)
    return render(request, "investment/statistics.html", ctx)


@login_required
@require_POST
def target_set(request):
    """Set the annual target of the user's own office (a zone office its zone, a city bureau its city,
    the province its province)."""
    require_write(request.user, AREA, DENIED)
    from .forms import TargetForm

    form = TargetForm(request.POST)
    user = request.user
    level = getattr(user, "scope_level", "")
    if not form.is_valid() or level not in ("zone", "city", "province"):
        messages.error(
            request, _("Enter the year and the three targets (your office: a zone, a city or the province).")
        )
        return redirect("investment:statistics")
    d = form.cleaned_data
    office = (
        {"zone": user.zone}
        if level == "zone"
        else {"city_code": user.city_code, "province_code": user.province_code}
        if level == "city"
        else {"province_code": user.province_code}
    )
    svc.set_target(
        year=d["year"],
        by=user,
        signed_count=d["signed_count"],
        signed_amount=d["signed_amount"],
        funds_in_place=d["funds_in_place"],
        **office,
    )
    messages.success(request, _("The target was saved."))
    return redirect(f"{reverse('investment:statistics')}?year={d['year']}")


def _stats_export(request, ctx):
    from zonebook.core import exports

    header = [
        str(ctx["group_label"]),
        _("Signed projects"),
        _("Signed amount (10k RMB)"),
        _("Performing"),
        _("Performing rate (%)"),
        _("Started"),
        _("Start rate (%)"),
        _("Contracted (10k RMB)"),
        _("Funds in place (10k RMB)"),
        _("Funds-in-place rate (%)"),
        _("Same period last year (10k RMB)"),
        _("YoY (%)"),
    ]
    rows = [
        [
            r["label"],
            r["signed_count"],
            r["signed_amount"],
            r["performing"],
            r["performing_rate"],
            r["started"],
            r["start_rate"],
            r["contracted"],
            r["funds"],
            r["funds_rate"],
            r["prev_amount"],
            r["yoy_amount"],
        ]
        for r in ctx["stats"]["rows"]
    ]
    t = ctx["stats"]["total"]
    rows.append(
        [
            _("Total"),
            t["signed_count"],
            t["signed_amount"],
            t["performing"],
            t["performing_rate"],
            t["started"],
            t["start_rate"],
            t["contracted"],
            t["funds"],
            t["funds_rate"],
            t["prev_amount"],
            t["yoy_amount"],
        ]
    )
    from zonebook.audit.services import record_event

    record_event("investment.statistics.exported", by=request.user, message=f"{ctx['year']}-{ctx['month']}")
    return exports.xlsx_response(
        iter([header] + rows),
        _("investment-statistics"),
        _("Investment statistics"),
        filters=f"{ctx['year']}-{ctx['month']:02d} · {ctx['group_label']}",
    )


# --------------------------------------------------------------------------- investors


def _with_counts(qs):
    """Projects and contacts per investor as correlated counts (computed for the shown page only)."""
    from django.db.models import IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from .models import InvestorContact

    def count(model, field):
        sub = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field)
        return Coalesce(Subquery(sub.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()), 0)

    return qs.annotate(
        project_count=count(Project, "investor"), contact_count=count(InvestorContact, "investor")
    )


class InvestorList(FilteredListView):
    model = Investor
    filterset_class = InvestorFilterSet
    table_class = InvestorTable
    template_name = "investment/investor_list.html"
    title = gettext_lazy("Investors and contacts (客商资源库)")
    export_filename = gettext_lazy("investors")
    export_code = "investment.investor.exported"

    def get_queryset(self):
        return _with_counts(Investor.objects.for_user(self.request.user).select_related("industry")).order_by(
            "name"
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_write=_can(self.request), **kwargs)


investor_list = InvestorList.as_view()


@login_required
def investor_create(request):
    require_write(request.user, AREA, DENIED)
    form = InvestorForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            inv = svc.create_investor(form.cleaned_data, by=request.user)
        except DomainError as exc:
            apply_service_error(form, exc)
        else:
            return redirect("investment:investor_detail", pk=inv.pk)
    return render(
        request,
        "investment/form.html",
        {"form": form, "title": _("New investor"), "back": "investment:investor_list"},
        status=400 if form.errors else 200,
    )


@login_required
@scoped_object(Investor)
def investor_detail(request, pk):
    inv = get_object_or_404(
        Investor.objects.for_user(request.user).select_related("industry", "owner"), pk=pk
    )
    form = ContactForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST":
        require_write(request.user, AREA, DENIED)
        if form.is_valid():
            svc.add_contact(inv, by=request.user, **form.cleaned_data)
            messages.success(request, _("The contact was recorded."))
            return redirect("investment:investor_detail", pk=inv.pk)
    ctx = {
        "inv": inv,
        "object": inv,
        "contacts": inv.contacts.select_related("recorded_by")[:100],
        "projects": Project.objects.for_user(request.user).filter(investor=inv).select_related("zone"),
        "form": form,
        "can_write": _can(request),
        "entries": history(inv)[:30],
    }
    return render(request, "investment/investor_detail.html", ctx, status=400 if form.errors else 200)


# --------------------------------------------------------------------------- events


class EventList(FilteredListView):
    model = InvestmentEvent
    filterset_class = EventFilterSet
    table_class = EventTable
    template_name = "investment/event_list.html"
    title = gettext_lazy("Receptions, trips and events (接待、考察、招商活动)")
    export_filename = gettext_lazy("investment-events")
    export_code = "investment.event.exported"

    def get_queryset(self):
        return (
            InvestmentEvent.objects.for_user(self.request.user)
            .annotate(signed_projects=Count("projects", distinct=True))
            .order_by("-date", "-id")
        )

    def get_context_data(self, **kwargs):
        year = timezone.localdate().year
        fs = kwargs.get("filterset")
        if fs is not None and fs.is_bound and fs.form.is_valid() and fs.form.cleaned_data.get("year"):
            year = fs.form.cleaned_data["year"]
        counts = queries.event_counts(InvestmentEvent.objects.for_user(self.request.user), year)
        return super().get_context_data(
            can_write=_can(self.request), counts=counts, count_year=year, **kwargs
        )


event_list = EventList.as_view()


@login_required
def event_create(request):
    require_write(request.user, AREA, DENIED)
    form = EventForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        investors = data.pop("investors", [])
        try:
            svc.create_event(data, by=request.user, investors=investors)
        except DomainError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The event was recorded."))
            return redirect("investment:event_list")
    return render(
        request,
        "investment/form.html",
        {"form": form, "title": _("New reception, trip or event"), "back": "investment:event_list"},
        status=400 if form.errors else 200,
    )


# --------------------------------------------------------------------------- the five databases


def _major_threshold():
    rule = CountingRule.objects.filter(kind=RuleKind.MAJOR, active=True).order_by("code").first()
    return rule.threshold if rule is not None and rule.threshold is not None else 0


class TargetEnterpriseList(InvestorList):
    """目标转移企业库: investors flagged as transfer targets."""

    table_class = TargetEnterpriseTable
    template_name = "investment/database_list.html"
    title = gettext_lazy("Target enterprises for transfer (目标转移企业库)")
    export_filename = gettext_lazy("transfer-target-enterprises")
    export_code = "investment.database.target_exported"

    def get_queryset(self):
        return super().get_queryset().filter(transfer_target=True).order_by("priority", "name")


class MajorTransferList(ProjectList):
    """重大转移项目库: transfer projects at or above the major-project threshold (counting rule MAJOR)."""

    filterset_class = TransferProjectFilterSet
    table_class = TransferProjectTable
    template_name = "investment/database_list.html"
    title = gettext_lazy("Major transfer projects (重大转移项目库)")
    export_filename = gettext_lazy("major-transfer-projects")
    export_code = "investment.database.transfer_exported"

    def get_queryset(self):
        return super().get_queryset().exclude(transfer_mode="").filter(contracted_cny__gte=_major_threshold())


class InvestorResourceList(InvestorList):
    template_name = "investment/database_list.html"
    export_code = "investment.database.investors_exported"


def _enterprise_views():
    from zonebook.registry.filtersets import EnterpriseFilterSet
    from zonebook.registry.models import Enterprise
    from zonebook.registry.tables import EnterpriseTable

    class IndustrialBaseList(FilteredListView):
        """产业基础数据库: the zones' enterprises by industry, with their projects (registry records)."""

        model = Enterprise
        filterset_class = EnterpriseFilterSet
        table_class = EnterpriseTable
        template_name = "investment/database_list.html"
        title = gettext_lazy("Industrial base (产业基础数据库)")
        export_filename = gettext_lazy("industrial-base")
        export_code = "investment.database.base_exported"

        def get_queryset(self):
            return (
                Enterprise.objects.for_user(self.request.user)
                .select_related("zone", "park", "industry", "ownership", "credit_class")
                .order_by("industry__code", "name")
            )

    class ProcessingTradeList(IndustrialBaseList):
        """加工贸易数据库: processing-trade enterprises of the registry (their books are in the ledger)."""

        title = gettext_lazy("Processing trade (加工贸易数据库)")
        export_filename = gettext_lazy("processing-trade-enterprises")
        export_code = "investment.database.processing_exported"

        def get_queryset(self):
            return super().get_queryset().filter(processing_trade=True)

    return IndustrialBaseList, ProcessingTradeList


_IB, _PT = _enterprise_views()
DATABASES = {
    "targets": TargetEnterpriseList,
    "transfers": MajorTransferList,
    "investors": InvestorResourceList,
    "industrial-base": _IB,
    "processing-trade": _PT,
}
DATABASE_VIEWS = {k: v.as_view() for k, v in DATABASES.items()}


def database(request, key):
    view = DATABASE_VIEWS.get(key)
    if view is None:
        raise Http404
    return view(request)


@login_required
def databases(request):
    items = [(k, v.title) for k, v in DATABASES.items()]
    return render(request, "investment/databases.html", {"items": items})


# --------------------------------------------------------------------------- policy tasks


@login_required
def document_list(request):
    docs = (
        policy.visible_documents(request.user)
        .annotate(task_count=Count("tasks"))
        .order_by("-issued_on", "title")
    )
    if request.method == "GET" and request.GET.get("export") == "xlsx":
        from zonebook.audit.services import record_event
        from zonebook.core import exports

        record_event("investment.policydocument.exported", by=request.user)
        rows = [[_("Title"), _("Document number"), _("Issuer"), _("Issued on"), _("Tasks")]]
        rows += [[d.title, d.number, d.issuer, d.issued_on, d.task_count] for d in docs]
        return exports.xlsx_response(iter(rows), _("Policy documents"), _("Policy documents"))
    form = PolicyDocumentForm(request.POST or None)
    if request.method == "POST":
        require_write(request.user, AREA, DENIED)
        if form.is_valid():
            doc = policy.create_document(form.cleaned_data, by=request.user)
            return redirect("investment:document_detail", pk=doc.pk)
    return render(
        request,
        "investment/document_list.html",
        {"documents": docs[:200], "form": form, "can_write": _can(request)},
        status=400 if form.errors else 200,
    )


def _document(request, pk):
    return get_object_or_404(policy.visible_documents(request.user), pk=pk)


@login_required
@scoped_object(PolicyDocument)
def document_detail(request, pk):
    doc = _document(request, pk)
    form = TaskForm(request.POST or None, user=request.user)
    # tasks are added by the issuing office (documents seen through a unit's task are read-only)
    can_edit = _can(request) and PolicyDocument.objects.for_user(request.user).filter(pk=doc.pk).exists()
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(DENIED)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                policy.add_task(
                    doc,
                    data,
                    lead_units=data["lead_units"],
                    responsible_units=data["responsible_units"],
                    by=request.user,
                )
            except DomainError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The task was added."))
                return redirect("investment:document_detail", pk=doc.pk)
    tasks = policy.tasks_with_lights(policy.visible_tasks(request.user).filter(document=doc).order_by("id"))
    return render(
        request,
        "investment/document_detail.html",
        {"doc": doc, "object": doc, "tasks": tasks, "form": form, "can_write": can_edit},
        status=400 if form.errors else 200,
    )


@login_required
@scoped_object(PolicyDocument)
def document_dispatch(request, pk):
    """The 调度 meeting document (.docx, or .pdf with ?format=pdf) of the document's tasks."""
    doc = _document(request, pk)
    fmt = request.GET.get("format", "docx")
    if fmt not in ("docx", "pdf"):
        raise Http404
    tasks = policy.tasks_with_lights(policy.visible_tasks(request.user).filter(document=doc).order_by("id"))
    content = policy.dispatch_document(doc, tasks, office=doc.issuer)
    from zonebook.audit.services import record_event

    record_event(
        "investment.dispatch.exported",
        by=request.user,
        object_type="investment.policydocument",
        object_id=str(doc.pk),
        object_repr=str(doc),
    )
    from zonebook.documents.render import document_response

    return document_response(content, fmt, _("dispatch-%(n)s.%(f)s") % {"n": doc.number or doc.pk, "f": fmt})


class TaskList(FilteredListView):
    model = PolicyTask
    filterset_class = TaskFilterSet
    table_class = TaskTable
    template_name = "investment/task_list.html"
    title = gettext_lazy("Policy tasks (政策任务)")
    export_filename = gettext_lazy("policy-tasks")
    export_code = "investment.policytask.exported"

    def get_queryset(self):
        return policy.visible_tasks(self.request.user).order_by("document_id", "id")

    def get_table(self, queryset):
        return self.table_class(policy.tasks_with_lights(queryset), request=self.request)


task_list = TaskList.as_view()


@login_required
@scoped_object(PolicyTask)
def task_detail(request, pk):
    task = get_object_or_404(policy.visible_tasks(request.user).select_related("document"), pk=pk)
    units = policy.reportable_units(task, request.user)
    task_units = task.task_units.select_related("unit").order_by("order")
    reports = task.reports.select_related("unit", "submitted_by").prefetch_related("figures__indicator")[:100]
    ctx = {
        "task": task,
        "object": task,
        "task_units": task_units,
        "reports": reports,
        "indicators": task.indicators.all(),
        "light": policy.task_light(task),
        "can_report": units.exists(),
        "can_return": _can(request)
        and PolicyDocument.objects.for_user(request.user).filter(pk=task.document_id).exists(),
        "entries": history(task)[:30],
    }
    return render(request, "investment/task_detail.html", ctx)


@login_required
@require_POST
@scoped_object(PolicyTask)
def report_return(request, pk, report_pk):
    """The issuing office returns a unit's report with a reason (the unit reports again)."""
    task = get_object_or_404(policy.visible_tasks(request.user), pk=pk)
    if not (
        _can(request) and PolicyDocument.objects.for_user(request.user).filter(pk=task.document_id).exists()
    ):
        raise PermissionDenied(DENIED)
    report = get_object_or_404(task.reports.all(), pk=report_pk)
    try:
        policy.return_report(report, request.POST.get("reason", ""), by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The report was returned."))
    return redirect("investment:task_detail", pk=task.pk)


@login_required
@scoped_object(PolicyTask)
def task_report(request, pk):
    """A progress report: only for a unit of the task the user belongs to (another unit's task: 404)."""
    task = get_object_or_404(policy.visible_tasks(request.user).select_related("document"), pk=pk)
    units = policy.reportable_units(task, request.user)
    if not units.exists():
        raise Http404
    form = ReportForm(
        request.POST or None,
        units=units,
        indicators=task.indicators.all(),
        initial={"period": timezone.localdate(), "unit": units.first()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            policy.submit_report(
                task,
                form.cleaned_data["unit"],
                period=form.cleaned_data["period"],
                text=form.cleaned_data["text"],
                figures=form.figures(),
                by=request.user,
            )
        except DomainError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The progress report was submitted."))
            return redirect("investment:task_detail", pk=task.pk)
    return render(
        request,
        "investment/form.html",
        {
            "form": form,
            "title": _("Progress report: %(t)s") % {"t": task},
            "back": "investment:task_list",
            "multipart": False,
        },
        status=400 if form.errors else 200,
    )


@login_required
def scorecards(request):
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or today.year)
    except ValueError:
        year = today.year
    year = min(max(year, 1990), 2100)
    if request.method == "POST":
        require_write(request.user, AREA, DENIED)
        action = request.POST.get("action")
        try:
            if action == "compute":
                n = len(policy.compute_scorecards(year, by=request.user))
                messages.success(request, _("%(n)d scorecards were computed.") % {"n": n})
            elif action == "review":
                card = get_object_or_404(
                    Scorecard.objects.for_user(request.user), pk=request.POST.get("card") or 0
                )
                policy.review(card, by=request.user)
            elif action == "adjust":
                from decimal import Decimal, InvalidOperation

                card = get_object_or_404(
                    Scorecard.objects.for_user(request.user), pk=request.POST.get("card") or 0
                )
                try:
                    score = Decimal(request.POST.get("score") or "x")
                except InvalidOperation:
                    raise DomainError(_("Enter the points as a number.")) from None
                policy.add_adjustment(
                    card, score=score, reason=request.POST.get("reason", ""), by=request.user
                )
            elif action == "publish":
                n = policy.publish(year, by=request.user)
                messages.success(request, _("%(n)d scorecards were published.") % {"n": n})
        except DomainError as exc:
            messages.error(request, str(exc.message))
        return redirect(f"{request.path}?year={year}")
    cards = (
        Scorecard.objects.for_user(request.user)
        .filter(year=year)
        .select_related("unit")
        .prefetch_related("lines")
        .order_by("rank", "unit__name")
    )
    years = (
        Scorecard.objects.for_user(request.user).values_list("year", flat=True).distinct().order_by("-year")
    )
    if request.GET.get("export") == "xlsx":
        from zonebook.audit.services import record_event
        from zonebook.core import exports

        record_event("investment.scorecard.exported", by=request.user, message=str(year))
        rows = [[_("Rank"), _("Unit"), _("Total score"), _("Status")]]
        rows += [[c.rank, c.unit.name, c.total, c.get_status_display()] for c in cards]
        return exports.xlsx_response(iter(rows), f"{_('Scorecards')} {year}", _("Scorecards"), filters=str(year))
    return render(
        request,
        "investment/scorecards.html",
        {
            "cards": cards,
            "year": year,
            "years": list(years),
            "can_write": _can(request),
            "published": ScorecardStatus.PUBLISHED,
        },
    )
