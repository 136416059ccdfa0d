"""效能督查 (the supervisor's overdue view, its xlsx, the 催办通知书 and circular drafts) and the
request statistics page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from zonebook.audit.services import record_event
from zonebook.core import exports
from zonebook.core.views import scoped_object

from . import figures, services
from . import supervision as sv
from .filtersets import RequestFilterSet
from .models import ServiceRequest
from .tables import person

PER_PAGE = 50
DOC_FORMATS = ("docx", "pdf")


def _require_office(user):
    if not services.is_office(user):
        raise PermissionDenied(_("Only the service office may see this page."))


def document_response(request, doc, fmt: str, filename: str) -> HttpResponse:
    """The document builder's download (``zonebook.documents.render``): .docx or PDF."""
    if fmt not in DOC_FORMATS:
        raise Http404
    from zonebook.documents.render import document_download

    return document_download(request, doc, fmt, filename)


def _overdue_export(rows):
    yield [_("Number"), _("Enterprise"), _("Subject"), _("Category"), _("Responsible unit"), _("Time limit"),
           _("Due"), _("Overdue (working days)"), _("Latest feedback"), _("Feedback date"), _("Reminders"),
           _("Supervised")]
    for r in rows:
        yield [r.request.number, r.request.enterprise.name, r.request.title, str(r.request.category),
               str(r.unit or _("Service office (not dispatched)")), r.stage,
               timezone.localtime(r.deadline.due_at).date(), r.overdue_days,
               r.feedback.text if r.feedback else "", timezone.localtime(r.feedback.at).date() if r.feedback else None,
               r.reminders, r.deadline.supervised]


@login_required
def supervision(request):
    user = request.user
    _require_office(user)
    now = timezone.now()
    qs = sv.overdue_deadlines(user, now)
    fmt = request.GET.get("export") or request.GET.get("doc")
    if fmt:
        rows = sv.rows_for(qs, now)
        record_event("service.supervision.exported", by=user, message=f"{fmt} {len(rows)} rows")
        if request.GET.get("export"):
            if fmt not in exports.FORMATS:
                raise Http404
            if fmt == "csv":
                return exports.csv_response(_overdue_export(rows), _("overdue requests"))
            return exports.xlsx_response(_overdue_export(rows), _("overdue requests"), _("Overdue requests"),
                                         filters=user.scope_label())
        doc = sv.circular_draft(rows, title_scope=user.scope_label(), office=sv.office_for(user))
        return document_response(request, doc, fmt, _("circular on overdue requests"))
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    rows = sv.rows_for(page.object_list, now)
    return render(request, "service/supervision.html", {
        "title": _("Supervision of overdue items"), "rows": rows, "page": page, "person": person,
    })


@scoped_object(ServiceRequest)
@login_required
def reminder_notice(request, pk, fmt):
    """催办通知书 for one overdue request (its most overdue clock)."""
    user = request.user
    req = ServiceRequest.objects.for_user(user).filter(pk=pk).first()
    if req is None:
        raise Http404
    _require_office(user)
    now = timezone.now()
    rows = [r for r in sv.rows_for(sv.overdue_deadlines(user, now).filter(
        object_id__in=[req.pk, *req.assignments.values_list("pk", flat=True)]), now) if r.request.pk == req.pk]
    if not rows:
        raise Http404(_("This request is not overdue."))
    row = max(rows, key=lambda r: r.overdue_days)
    record_event("service.reminder_notice.generated", by=user, message=req.number)
    return document_response(request, sv.reminder_notice(row), fmt, f"催办通知书-{req.number}")


def _stats_rows(rows, total):
    yield [str(figures.GROUPS.get("unit")), pgettext("service", "Received"), pgettext("service", "Closed"), pgettext("service", "Open"), _("Closure rate (%)"),
           _("Closed on time"), _("On-time rate (%)"), _("Revisited"), _("Satisfaction rate (%)"), pgettext("service", "Reopened"),
           _("Average handling time (days)")]
    for r in [*rows, *([total] if total else [])]:
        yield [r.key, r.received, r.closed, r.open, r.closure_rate, r.on_time, r.on_time_rate, r.revisited,
               r.satisfaction_rate, r.reopened, r.avg_days]


@login_required
def request_stats(request):
    """办结率 / 按时办结率 / 满意率 / average handling time by unit, category, month or year, over the
    requests the filters select; common problems (top categories, repeated problems, enterprises with
    many requests)."""
    user = request.user
    _require_office(user)
    group = request.GET.get("group") if request.GET.get("group") in figures.GROUPS else "unit"
    params = request.GET.copy()
    for key in ("group", "export"):
        params.pop(key, None)
    filterset = RequestFilterSet(params or None, queryset=ServiceRequest.objects.for_user(user), request=request)
    from zonebook.core.lists import bootstrapify

    bootstrapify(filterset.form)
    qs = filterset.qs
    rows = figures.request_figures(qs, group)
    total = figures.total(rows)
    if request.GET.get("export") == "xlsx":
        record_event("service.statistics.exported", by=user, message=group)
        out = list(_stats_rows(rows, total))
        out[0][0] = str(figures.GROUPS[group])
        return exports.xlsx_response(iter(out), _("request statistics"), _("Request statistics"),
                                     filters=exports.describe_filters(filterset))
    by_category = figures.request_figures(qs, "category") if group != "category" else rows
    from zonebook.documents.charts import chart

    volume = chart("bar", str(_("Requests received and closed")), [r.key for r in rows], {
        str(pgettext("service", "Received")): [r.received for r in rows],
        str(pgettext("service", "Closed")): [r.closed for r in rows],
    }) if rows else None
    rates = chart("line", str(_("Rates (%)")), [r.key for r in rows], {
        str(_("Closure rate (%)")): [r.closure_rate for r in rows],
        str(_("On-time rate (%)")): [r.on_time_rate for r in rows],
        str(_("Satisfaction rate (%)")): [r.satisfaction_rate for r in rows],
    }, unit="%") if rows else None
    top = by_category[:10]
    categories_chart = chart("ranked_bar", str(_("Top categories")), [r.key for r in top],
                             {str(_("Requests")): [r.received for r in top]}) if top else None
    return render(request, "service/request_stats.html", {
        "title": _("Request statistics"), "filterset": filterset, "rows": rows, "total": total,
        "group": group, "groups": figures.GROUPS, "group_label": figures.GROUPS[group],
        "top_categories": by_category[:10], "top_enterprises": figures.top_enterprises(qs),
        "repeated": figures.repeated_problems(qs), "volume_chart": volume, "rates_chart": rates,
        "categories_chart": categories_chart,
    })
