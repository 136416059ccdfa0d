"""Pages of business applications: application centre (mine / to do / all), detail with timeline and
attachments, create/edit (enterprise or counter), staff actions, statistics, type catalogue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zonebook.accounts.choices import Role
from zonebook.audit.services import history, record_event
from zonebook.core.errors import DomainError
from zonebook.core.lists import FilteredListView
from zonebook.core.permissions import has_role, may_write
from zonebook.core.views import scoped_object
from zonebook.registry.models import Enterprise
from zonebook.sla import services as sla

from . import queries, rules, services, stats
from .choices import Action, FieldKind, LedgerLink, Status
from .filtersets import ApplicationFilterSet
from .forms import ActForm, ApplicationForm, CounterForm, LineFormSet, TypeVersionForm
from .models import Application, ApplicationType
from .tables import ApplicationTable


class ApplicationList(FilteredListView):
    model = Application
    filterset_class = ApplicationFilterSet
    table_class = ApplicationTable
    template_name = "operations/application_list.html"
    title = gettext_lazy("Application centre")
    export_filename = gettext_lazy("applications")
    export_code = "operations.application.exported"

    def get_queryset(self):
        return queries.applications(self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["box"] = self.request.GET.get("box", "")
        ctx["can_file"] = user.role == Role.ENTERPRISE and may_write(user, "ops")
        ctx["is_office"] = user.role in services.ZONE_OFFICE
        ctx["types"] = ApplicationType.objects.filter(active=True)
        return ctx


def _can_file(user, enterprise) -> bool:
    try:
        services._check_can_file(user, enterprise)
    except PermissionDenied:
        return False
    return True


def _lines_initial(app) -> list[dict]:
    return [{"hs_code": ln.hs_code, "name": ln.name, "qty": ln.qty, "unit": ln.unit, "value": ln.value}
            for ln in app.lines.all()] if app else []


def _lines_from(formset) -> list[dict]:
    return [f.cleaned_data for f in formset.forms if getattr(f, "cleaned_data", None)]


def _edit(request, *, app=None, app_type=None, enterprise=None):
    """Shared create/edit: "save" keeps a draft; "submit" saves and submits — a refusal (missing field
    or attachment, negative list) shows on the same form with everything entered kept."""
    version = app.type_version if app else services.current_version(app_type)
    enterprise = app.enterprise if app else enterprise
    if not _can_file(request.user, enterprise):
        raise PermissionDenied(_("Your role may not file applications for this enterprise."))
    if request.method == "POST":
        form = ApplicationForm(request.POST, version=version, enterprise=enterprise)
        formset = LineFormSet(request.POST, prefix="lines", initial=None)
        status = 200
        if form.is_valid() and (not version.has_lines or formset.is_valid()):
            lines = _lines_from(formset) if version.has_lines else ()
            carry = form.cleaned_data.get("carry_over")
            try:
                if app is None:
                    app = services.create_application(app_type=version.type, enterprise=enterprise,
                                                      data=form.data_values(), lines=lines, by=request.user,
                                                      carry_over=carry, subject=form.cleaned_data["subject"])
                else:
                    services.update_application(app, data=form.data_values(), lines=lines if version.has_lines else None,
                                                by=request.user, carry_over=carry, subject=form.cleaned_data["subject"])
            except ValidationError as exc:
                for msg in form.map_errors(exc):
                    form.add_error(None, msg)
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            if not form.errors:
                if "submit" in request.POST:
                    try:
                        services.submit(app, by=request.user)
                    except ValidationError as exc:
                        for msg in form.map_errors(exc):
                            form.add_error(None, msg)
                    except DomainError as exc:
                        form.add_error(None, str(exc.message))
                    else:
                        messages.success(request, _("Application %(no)s submitted.") % {"no": app.number})
                        return redirect("operations:application_detail", app.pk)
                else:
                    messages.success(request, _("Draft %(no)s saved.") % {"no": app.number})
                    return redirect("operations:application_detail", app.pk)
        status = 400
    else:
        form = ApplicationForm(initial=ApplicationForm.initial_from(app) if app else None, version=version,
                               enterprise=enterprise)
        formset = LineFormSet(prefix="lines", initial=_lines_initial(app))
        status = 200
    ctx = {"form": form, "formset": formset if version.has_lines else None, "version": version, "app": app,
           "enterprise": enterprise, "missing": services.missing_attachments(app) if app else version.attachments}
    return render(request, "operations/application_form.html", ctx, status=status)


@login_required
def application_create(request):
    app_type = get_object_or_404(ApplicationType, code=request.GET.get("type", ""), active=True)
    if request.user.role == Role.ENTERPRISE:
        enterprise = request.user.enterprise
    else:
        try:
            ent_id = int(request.GET.get("enterprise", ""))
        except ValueError:
            raise Http404 from None
        enterprise = get_object_or_404(Enterprise.objects.for_user(request.user), pk=ent_id)
    return _edit(request, app_type=app_type, enterprise=enterprise)


@login_required
@scoped_object(Application)
def application_edit(request, pk):
    app = get_object_or_404(queries.applications(request.user), pk=pk)
    if not app.is_editable:
        messages.error(request, _("Only a draft or returned application can be edited."))
        return redirect("operations:application_detail", app.pk)
    return _edit(request, app=app)


def _field_rows(app) -> list[tuple[str, str]]:
    from zonebook.ledger.models import Book

    rows = []
    books = {}
    for f in app.type_version.fields:
        if f["kind"] == FieldKind.LINES:
            continue
        v = app.data.get(f["name"], "")
        if f["kind"] == FieldKind.BOOK and v:
            books.setdefault(v, Book.objects.filter(pk=v).values_list("number", flat=True).first())
            v = books[v] or v
        elif f["kind"] == FieldKind.ENTERPRISE and v:
            v = Enterprise.objects.filter(pk=v).values_list("name", flat=True).first() or v
        rows.append((f.get("label") or f["name"], v))
    return rows


@login_required
@scoped_object(Application)
def application_detail(request, pk):
    app = get_object_or_404(
        queries.applications(request.user).select_related("book", "carry_over", "matched_rule", "type_version"), pk=pk
    )
    user = request.user
    deadline = services.deadline_of(app)
    status = sla.status(deadline) if deadline else None
    can_file = _can_file(user, app.enterprise)
    matching = rules.matching_rule(app) if app.type.check_negative_list and app.is_editable else app.matched_rule
    ctx = {
        "app": app,
        "fields": _field_rows(app),
        "lines": app.lines.all(),
        "steps": app.steps.select_related("by"),
        "deadline": deadline,
        "clock": status,
        "light": queries.light_for(app),
        "actions": [(a, Action(a).label) for a in services.allowed_actions(app, user)],
        "can_edit": can_file and app.is_editable,
        "can_withdraw": can_file and app.status in (Status.DRAFT, Status.SUBMITTED, Status.RETURNED),
        "missing": services.missing_attachments(app),
        "matching_rule": matching,
        "can_except": matching is not None and has_role(user, Role.ZONE_LEADER) and not app.rule_exception,
        "entries": history(app)[:50],
        "link": app.type.ledger_link,
        "LedgerLink": LedgerLink,
        "act_form": ActForm(),
    }
    return render(request, "operations/application_detail.html", ctx)


def _service_post(request, pk, fn, ok_message):
    app = get_object_or_404(Application.objects.for_user(request.user), pk=pk)
    try:
        fn(app)
    except ValidationError as exc:
        for msg in exc.messages:
            messages.error(request, msg)
        return redirect("operations:application_detail", app.pk), False
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("operations:application_detail", app.pk), False
    messages.success(request, ok_message)
    return redirect("operations:application_detail", app.pk), True


@login_required
@require_POST
@scoped_object(Application)
def application_submit(request, pk):
    return _service_post(request, pk, lambda a: services.submit(a, by=request.user), _("Application submitted."))[0]


@login_required
@require_POST
@scoped_object(Application)
def application_act(request, pk):
    action, note = request.POST.get("action", ""), request.POST.get("note", "")
    response, ok = _service_post(request, pk, lambda a: services.act(a, action, by=request.user, note=note),
                                 _("Done."))
    return response


@login_required
@require_POST
@scoped_object(Application)
def application_withdraw(request, pk):
    return _service_post(request, pk, lambda a: services.withdraw(a, by=request.user), _("Application withdrawn."))[0]


@login_required
@require_POST
@scoped_object(Application)
def application_exception(request, pk):
    reason = request.POST.get("reason", "")
    return _service_post(request, pk, lambda a: services.grant_rule_exception(a, reason=reason, by=request.user),
                         _("Exception recorded."))[0]


@login_required
def counter(request):
    """窗口: staff enter a walk-in application for an enterprise of their zone."""
    if request.user.role not in services.ZONE_OFFICE and not request.user.is_superuser:
        raise PermissionDenied(_("The counter is for the zone office."))
    form = CounterForm(request.GET or None, user=request.user)
    if form.is_bound and form.is_valid():
        from django.urls import reverse

        return redirect(f"{reverse('operations:application_create')}?type={form.cleaned_data['type'].code}"
                        f"&enterprise={form.cleaned_data['enterprise'].pk}")
    today = queries.applications(request.user).filter(channel="counter", created_at__date=timezone.localdate())
    return render(request, "operations/counter.html", {"form": form, "today": today[:50]})


@login_required
def statistics(request):
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        return HttpResponse(_("Invalid year."), status=400, content_type="text/plain; charset=utf-8")
    user = request.user
    if request.GET.get("export") == "annual":
        zone = user.zone.short_name if user.zone_id else ""
        record_event("operations.statistics.exported", by=user, message=f"annual {year}")
        data = stats.annual_xlsx(user, year, zone)
        resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = f'attachment; filename="annual-{year}.xlsx"'
        return resp
    rows = stats.annual_table(user, year)
    ctx = {"year": year, "monthly": stats.monthly_counts(user, year), "handling": stats.handling(user, year),
           "annual": rows, "sentence": stats.annual_sentence(year, rows), "months": range(1, 13)}
    return render(request, "operations/statistics.html", ctx)


def _can_edit_types(user) -> bool:
    return has_role(user, Role.SYSTEM_ADMIN) or may_write(user, "reference")


@login_required
def type_list(request):
    types = ApplicationType.objects.prefetch_related("versions__sla_policy")
    return render(request, "operations/type_list.html", {"types": types, "can_edit": _can_edit_types(request.user)})


@login_required
def type_edit(request, code):
    import json

    app_type = get_object_or_404(ApplicationType, code=code)
    if not _can_edit_types(request.user):
        raise PermissionDenied(_("Only administrators edit the type catalogue."))
    cur = app_type.current
    if request.method == "POST":
        form = TypeVersionForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                v = services.revise_type(app_type, fields=d["fields_json"], attachments=d["attachments"],
                                         sla_policy=d["sla_policy"], needs_review=d["needs_review"], note=d["note"],
                                         by=request.user)
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Version %(v)s saved; open applications keep theirs.") % {"v": v.version})
                return redirect("operations:type_list")
    else:
        form = TypeVersionForm(initial={
            "fields_json": json.dumps(cur.fields if cur else [], ensure_ascii=False, indent=1),
            "attachments": "\n".join(cur.attachments if cur else []),
            "sla_policy": cur.sla_policy_id if cur else None, "needs_review": cur.needs_review if cur else True,
        })
    return render(request, "operations/type_edit.html", {"form": form, "type": app_type, "current": cur},
                  status=400 if form.errors else 200)
