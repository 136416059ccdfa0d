"""Write-off (报核/核销) pages: list, create, detail with the material table, stocktake upload, state
transitions with a confirmation page, export, difference cases (list, resolve).

Thin views: every object comes from ``Model.objects.for_user(request.user)`` first (out of scope →
404), writes then need ``require_write(user, "ledger")`` (403) and go through ``services.writeoff``.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from zonebook.audit.services import history, record_event
from zonebook.core import tabs
from zonebook.core.errors import DomainError
from zonebook.core.exports import CSV_BOM, XLSX_CONTENT_TYPE
from zonebook.core.lists import FilteredListView
from zonebook.core.permissions import may_write, require_write
from zonebook.core.views import scoped_object

from ..exports import writeoff as export_writeoff
from ..filtersets.writeoff import DifferenceCaseFilterSet, WriteOffFilterSet
from ..forms.writeoff import CaseResolveForm, StocktakeUploadForm, TransitionForm, WriteOffCreateForm
from ..models import WRITEOFF_MATERIAL_FIELDS, WRITEOFF_PRODUCT_FIELDS, Book, DifferenceCase, WriteOff
from ..models.writeoff import WRITEOFF_TRANSITIONS, CaseStatus, WriteOffState
from ..services import writeoff as svc
from ..tables.writeoff import DifferenceCaseTable, WriteOffTable
from ..view_helpers import AREA, WRITE_DENIED, message_errors

PER_PAGE = 50
# what the confirmation page says each transition does
TRANSITION_TEXT = {
    WriteOffState.PRE_CHECK: gettext_lazy(
        "Recompute with the stocktake and open a difference case for every material whose |difference rate| exceeds the threshold."
    ),
    WriteOffState.DRAFT: gettext_lazy("Withdraw to draft; open difference cases become superseded."),
    WriteOffState.SUBMITTED: gettext_lazy(
        "Submit the write-off (正式报核): its lists are locked (no reversal, no new list dated in the cycle)."
    ),
    WriteOffState.ACCEPTED: gettext_lazy("Record that customs accepted the write-off."),
    WriteOffState.CLOSED: gettext_lazy(
        "Close the write-off: the closing quantities become the next cycle's opening. Refused while difference cases are open."
    ),
}


def _writeoff(request, pk):
    qs = WriteOff.objects.for_user(request.user).select_related(
        "book", "book__enterprise", "book__zone", "previous"
    )
    return get_object_or_404(qs, pk=pk)


# --- lists ------------------------------------------------------------------------------------------------


class WriteOffList(FilteredListView):
    model = WriteOff
    filterset_class = WriteOffFilterSet
    table_class = WriteOffTable
    template_name = "ledger/writeoff/list.html"
    title = gettext_lazy("Write-offs (报核)")
    export_filename = gettext_lazy("write-offs")
    export_code = "ledger.writeoff.exported"

    def get_queryset(self):
        return (
            WriteOff.objects.for_user(self.request.user)
            .select_related("book", "book__enterprise")
            .order_by("-end", "book__number")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_write=may_write(self.request.user, AREA), **kwargs)


class DifferenceCaseList(FilteredListView):
    model = DifferenceCase
    filterset_class = DifferenceCaseFilterSet
    table_class = DifferenceCaseTable
    template_name = "ledger/writeoff/case_list.html"
    title = gettext_lazy("Difference cases (差异)")
    export_filename = gettext_lazy("difference-cases")
    export_code = "ledger.difference_case.exported"

    def get_queryset(self):
        return (
            DifferenceCase.objects.for_user(self.request.user)
            .select_related("writeoff", "writeoff__book", "item")
            .order_by("status", "-writeoff__end", "seq_no")
        )


writeoff_list = WriteOffList.as_view()
case_list = DifferenceCaseList.as_view()


# --- create -----------------------------------------------------------------------------------------------


@login_required
def writeoff_create(request):
    require_write(request.user, AREA, WRITE_DENIED)
    books = Book.objects.for_user(request.user).order_by("number")
    form = WriteOffCreateForm(request.POST or None, books=books, initial=_initial(request, books))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            wo = svc.create_writeoff(
                d["book"],
                d["start"],
                d["end"],
                list_numbers=d["list_numbers"],
                threshold_percent=d["threshold_percent"],
                note=d["note"],
                by=request.user,
            )
        except DomainError as exc:
            field = {"lists": "list_numbers"}.get(exc.field, exc.field)
            form.add_error(field if field in form.fields else None, str(exc.message))
            for detail in exc.details[:20]:
                form.add_error(None, str(detail))
        else:
            messages.success(request, _("Write-off %(wo)s was created as a draft.") % {"wo": wo})
            return redirect("ledger:writeoff_detail", pk=wo.pk)
    return render(request, "ledger/writeoff/create.html", {"form": form}, status=400 if form.errors else 200)


def _initial(request, books):
    """Preselect ?book=<pk> and propose the cycle after its last write-off (or the book's cycle)."""
    pk = request.GET.get("book")
    if not (pk and pk.isdigit()):
        return {}
    book = books.filter(pk=int(pk)).first()
    if book is None:
        return {}
    last = WriteOff.objects.filter(book=book).order_by("-end").first()
    import datetime as dt

    start = last.end + dt.timedelta(days=1) if last else book.cycle_start
    return {"book": book.pk, "start": start, "end": book.cycle_end if not last else None}


# --- detail -----------------------------------------------------------------------------------------------


@login_required
@scoped_object(WriteOff)
def writeoff_detail(request, pk):
    wo = _writeoff(request, pk)
    writable = may_write(request.user, AREA)
    lines = wo.lines.select_related("item").order_by("seq_no")
    mat_page = Paginator(lines.filter(kind="material"), PER_PAGE).get_page(request.GET.get("page"))
    prod_page = Paginator(lines.filter(kind="product"), PER_PAGE).get_page(request.GET.get("xpage"))
    cases = wo.cases.order_by("seq_no")
    case_counts = {s: 0 for s in CaseStatus.values}
    for status in cases.values_list("status", flat=True):
        case_counts[status] += 1
    mat_fields = [(f, label) for f, label, *_x in WRITEOFF_MATERIAL_FIELDS]
    prod_fields = [(f, label) for f, label, *_x in WRITEOFF_PRODUCT_FIELDS]
    ctx = {
        "wo": wo,
        "object": wo,
        "mat_page": mat_page,
        # one page of display rows (values in column order)
        "mat_rows": [(ln, [getattr(ln, f) for f, _l in mat_fields]) for ln in mat_page],
        "prod_rows": [(ln, [getattr(ln, f) for f, _l in prod_fields]) for ln in prod_page],
        "prod_page": prod_page,
        "mat_fields": mat_fields,
        "prod_fields": prod_fields,
        "open_cases": cases.filter(status=CaseStatus.OPEN).select_related("item")[:PER_PAGE],
        "case_counts": case_counts,
        "transitions": [(s, WriteOffState(s).label) for s in sorted(WRITEOFF_TRANSITIONS[wo.state])]
        if writable
        else [],
        "can_edit": writable and wo.state == WriteOffState.DRAFT,
        "stale_lists": svc.lists_posted_since(wo),
        "stocktake_count": wo.stocktake_rows.count(),
        "entries": history(wo)[:50],
    }
    return render(request, "ledger/writeoff/detail.html", ctx)


@login_required
@require_POST
@scoped_object(WriteOff)
def writeoff_recompute(request, pk):
    wo = _writeoff(request, pk)
    require_write(request.user, AREA, WRITE_DENIED)
    try:
        svc.compute_writeoff(wo, by=request.user)
    except DomainError as exc:
        message_errors(request, exc)
    else:
        messages.success(request, _("Write-off %(wo)s was recomputed.") % {"wo": wo})
    return redirect("ledger:writeoff_detail", pk=wo.pk)


@login_required
@scoped_object(WriteOff)
def writeoff_stocktake(request, pk):
    wo = _writeoff(request, pk)
    require_write(request.user, AREA, WRITE_DENIED)
    form = StocktakeUploadForm(request.POST or None, request.FILES or None)
    errors = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()[:8]
        try:
            with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
                for chunk in upload.chunks():
                    tmp.write(chunk)
                tmp.flush()
                rows = svc.read_stocktake_file(tmp.name, upload.name)
            svc.import_stocktake(wo, rows, source=upload.name, by=request.user)
        except DomainError as exc:
            form.add_error("file", str(exc.message))
            errors = exc.details
        else:
            messages.success(
                request,
                _("The stocktake of write-off %(wo)s was imported (%(n)d rows).")
                % {"wo": wo, "n": len(rows)},
            )
            return redirect("ledger:writeoff_detail", pk=wo.pk)
    ctx = {"wo": wo, "form": form, "row_errors": errors}
    return render(request, "ledger/writeoff/stocktake.html", ctx, status=400 if form.errors else 200)


@login_required
@scoped_object(WriteOff)
def writeoff_transition(request, pk, target):
    """GET: confirmation page (what the transition does, open cases); POST: do it."""
    wo = _writeoff(request, pk)
    require_write(request.user, AREA, WRITE_DENIED)
    if target not in WriteOffState.values:
        return redirect("ledger:writeoff_detail", pk=wo.pk)
    form = TransitionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            done = svc.change_writeoff_state(wo, target, by=request.user, note=form.cleaned_data["note"])
        except DomainError as exc:
            message_errors(request, exc)
            return redirect("ledger:writeoff_detail", pk=wo.pk)
        messages.success(
            request,
            _("Write-off %(wo)s is now %(state)s.") % {"wo": wo, "state": WriteOffState(target).label},
        )
        if done.lists_added:
            messages.info(
                request,
                ngettext(
                    "%(n)d list posted since the figures were computed was included; the figures were "
                    "recomputed at %(at)s.",
                    "%(n)d lists posted since the figures were computed were included; the figures were "
                    "recomputed at %(at)s.",
                    done.lists_added,
                )
                % {"n": done.lists_added, "at": date_format(localtime(done.computed_at), "Y-m-d H:i")},
            )
        return redirect("ledger:writeoff_detail", pk=wo.pk)
    ctx = {
        "wo": wo,
        "form": form,
        "target": target,
        "target_label": WriteOffState(target).label,
        "allowed": target in WRITEOFF_TRANSITIONS[wo.state],
        "text": TRANSITION_TEXT.get(target, ""),
        "stale_lists": svc.lists_posted_since(wo),
        "open_cases": wo.cases.filter(status=CaseStatus.OPEN).order_by("seq_no")[:PER_PAGE],
    }
    return render(request, "ledger/writeoff/confirm.html", ctx)


@login_required
@scoped_object(WriteOff)
def writeoff_export(request, pk):
    """The customs layout (料件/成品核销核算表) as xlsx, as a print-ready PDF (``?format=pdf``), or the
    material table as CSV (``?format=csv``)."""
    wo = _writeoff(request, pk)
    fmt = request.GET.get("format", "xlsx")
    record_event(
        "ledger.writeoff.exported",
        by=request.user,
        message=f"{fmt} {wo}",
        object_type="ledger.writeoff",
        object_id=str(wo.pk),
        object_repr=str(wo),
        scope=wo.audit_scope(),
    )
    # no quotes, slashes or control characters from the book number in the header (a "\r" gave a 500)
    name = re.sub(r"[^\w.-]+", "_", f"writeoff-{wo.book.number}-{wo.report_no}")
    if fmt == "pdf":
        try:
            data = export_writeoff.pdf(wo)
        except DomainError as exc:
            message_errors(request, exc)
            return redirect("ledger:writeoff_detail", pk=wo.pk)
        resp = HttpResponse(data, content_type="application/pdf")
        resp["Content-Disposition"] = content_disposition_header(True, f"{name}.pdf")
        return resp
    if fmt == "csv":
        text = export_writeoff.material_csv(wo.book_id, export_writeoff.stored_rows(wo), labels=True)
        resp = HttpResponse((CSV_BOM + text).encode("utf-8"), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = content_disposition_header(True, f"{name}.csv")
        return resp
    resp = HttpResponse(export_writeoff.workbook(wo), content_type=XLSX_CONTENT_TYPE)
    resp["Content-Disposition"] = content_disposition_header(True, f"{name}.xlsx")
    return resp


# --- cases ------------------------------------------------------------------------------------------------


@login_required
@scoped_object(DifferenceCase)
def case_resolve(request, pk):
    """GET: the case with its provenance (and the resolution form when open); POST: resolve."""
    case = get_object_or_404(
        DifferenceCase.objects.for_user(request.user).select_related(
            "writeoff", "writeoff__book", "item", "resolved_by"
        ),
        pk=pk,
    )
    writable = may_write(request.user, AREA) and case.status == CaseStatus.OPEN
    form = CaseResolveForm(
        request.POST or None, initial={"reason_code": case.reason_code, "settlement_kind": case.proposed_kind}
    )
    if request.method == "POST":
        require_write(request.user, AREA, WRITE_DENIED)
        if form.is_valid():
            try:
                svc.resolve_case(case, by=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                messages.success(request, _("Case %(c)s was resolved.") % {"c": case.pk})
                return redirect("ledger:writeoff_detail", pk=case.writeoff_id)
    ctx = {
        "case": case,
        "wo": case.writeoff,
        "form": form,
        "can_resolve": writable,
        "entries": history(case)[:50],
    }
    return render(request, "ledger/writeoff/case_resolve.html", ctx, status=400 if form.errors else 200)


# --- the book page's write-off tab ----------------------------------------------------------------------


def _book_writeoffs_tab(request, book):
    qs = WriteOff.objects.filter(book=book).order_by("-end")
    return {"writeoffs": qs[:PER_PAGE], "can_write_writeoff": may_write(request.user, AREA)}


tabs.register(
    "ledger.book",
    tabs.Tab(
        "writeoffs",
        gettext_lazy("Write-offs (报核)"),
        "ledger/writeoff/_book_tab.html",
        order=70,
        context=_book_writeoffs_tab,
    ),
)


def _book_deposits_tab(request, book):
    return {"deposits": book.deposits.order_by("opened", "id")[:PER_PAGE]}


tabs.register(
    "ledger.book",
    tabs.Tab(
        "deposits",
        gettext_lazy("Deposit ledger (保证金台账)"),
        "ledger/writeoff/_deposits_tab.html",
        order=80,
        context=_book_deposits_tab,
    ),
)
