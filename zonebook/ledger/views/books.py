"""Ledger pages: thin views that scope, parse, call a service (or a read-only query) and render.

* every object is looked up through ``Model.objects.for_user(request.user)`` first (out of scope →
  404), then writes check ``require_write(user, "ledger")`` (else 403);
* lists reuse ``core.lists.FilteredListView`` (same FilterSet for page, HTMX partial and export);
* the book page uses ``core.tabs`` (page key ``ledger.book``); the enterprise page gets a books tab;
* posting shows a confirmation page with the balance effect (``services.preview_posting``, which runs
  the posting inside a transaction that is rolled back) before anything is committed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Max
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from zonebook.audit.services import history
from zonebook.core import tabs
from zonebook.core.errors import DomainError
from zonebook.core.lists import FilteredListView
from zonebook.core.permissions import may_write, require_write
from zonebook.core.views import scoped_object

from .. import queries, services
from ..choices import BookStatus, ItemKind, ListState
from ..filtersets.books import BalanceFilterSet, BookFilterSet, InventoryListFilterSet
from ..forms.books import (
    HEADER_FIELDS,
    LINE_FIELDS,
    MAX_ROWS,
    InventoryListHeaderForm,
    ReceiptForm,
    ReverseForm,
    apply_list_error,
    line_formset,
)
from ..lines import DETAIL_KINDS, detail_cell, detail_line
from ..models import BALANCE_FIELDS, Balance, Book, BookItem, BookStatusEvent, Consumption, InventoryList
from ..tables.books import BalanceTable, BookTable, InventoryListTable
from ..view_helpers import AREA, WRITE_DENIED, message_errors

BOOK_PAGE = "ledger.book"
PER_PAGE = 50
AUDIT_HISTORY_LIMIT = 200


# --- lists ------------------------------------------------------------------------------------------------


class BookList(FilteredListView):
    model = Book
    filterset_class = BookFilterSet
    table_class = BookTable
    template_name = "ledger/book_list.html"
    title = gettext_lazy("Bonded books")
    export_filename = gettext_lazy("books")
    export_code = "ledger.book.exported"

    def get_queryset(self):
        return queries.books(self.request.user)


class InventoryListList(FilteredListView):
    model = InventoryList
    filterset_class = InventoryListFilterSet
    table_class = InventoryListTable
    template_name = "ledger/list_list.html"
    title = gettext_lazy("Inventory lists")
    export_filename = gettext_lazy("inventory-lists")
    export_code = "ledger.inventory_list.exported"

    def get_queryset(self):
        return queries.inventory_lists(self.request.user)

    def get_table(self, queryset):
        # the checkboxes of "post selected" only for users who may post
        exclude = () if may_write(self.request.user, AREA) else ("pick",)
        return self.table_class(queryset, request=self.request, exclude=exclude)

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_post=may_write(self.request.user, AREA), **kwargs)


@login_required
@require_POST
def list_post_selected(request):
    """Approve and post the ticked submitted lists together (``services.post_lists``): all or
    nothing; the negative-balance check runs list by list in declaration-date order."""
    require_write(request.user, AREA, WRITE_DENIED)
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith(
        "/"
    ):
        back = reverse("ledger:list_list")
    wanted = {int(v) for v in request.POST.getlist("lists") if str(v).isdigit()}
    if not wanted:
        messages.info(request, _("Tick the submitted lists to post first."))
        return redirect(back)
    visible = set(queries.inventory_lists(request.user).filter(pk__in=wanted).values_list("pk", flat=True))
    if wanted - visible:  # out of scope reads as "no such list"
        messages.error(
            request, _("No such list: %(ids)s.") % {"ids": ", ".join(map(str, sorted(wanted - visible)[:20]))}
        )
        return redirect(back)
    try:
        result = services.post_lists(sorted(visible), by=request.user)
    except DomainError as exc:
        message_errors(request, exc)
        return redirect(back)
    messages.success(request, result.message)
    for w in result.warnings[:20]:
        messages.warning(
            request,
            _("List %(l)s: item %(seq)s (%(part)s) is now below zero.")
            % {"l": w.get("list", ""), "seq": w["seq_no"], "part": w["part_no"]},
        )
    return redirect(back)


class BalanceList(FilteredListView):
    model = Balance
    filterset_class = BalanceFilterSet
    table_class = BalanceTable
    template_name = "ledger/balance_list.html"
    title = gettext_lazy("Balances")
    export_filename = gettext_lazy("balances")
    export_code = "ledger.balance.exported"

    def get_queryset(self):
        return queries.balances(self.request.user)


book_list = BookList.as_view()
list_list = InventoryListList.as_view()
balance_list = BalanceList.as_view()


# --- book page and its tabs ----------------------------------------------------------------------------


def _page(request, queryset, param="page"):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get(param))


def _items_tab(kind):
    def context(request, book):
        qs = BookItem.objects.filter(book=book, kind=kind).select_related("balance").order_by("seq_no")
        return {"page": _page(request, qs), "item_kind": kind}

    return context


def _consumption_tab(request, book):
    qs = (
        Consumption.objects.filter(book=book)
        .select_related("product", "material")
        .order_by("product__seq_no", "version", "material__seq_no")
    )
    return {"page": _page(request, qs)}


def _lists_tab(request, book):
    qs = queries.inventory_lists(request.user).filter(book=book).order_by("-declaration_date", "-id")
    return {"page": _page(request, qs)}


def _balances_tab(request, book):
    table = BalanceTable(
        queries.balances(request.user).filter(book=book).order_by("item__kind", "item__seq_no"),
        request=request,
        exclude=("book", "enterprise"),
        order_by=request.GET.get("sort") or (),
    )
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    return {"table": table}


def _history_tab(request, book):
    return {
        "events": BookStatusEvent.objects.filter(book=book)
        .select_related("by")
        .order_by("-created_at", "-id"),
        "entries": history(book)[:AUDIT_HISTORY_LIMIT],
        "history_limit": AUDIT_HISTORY_LIMIT,
    }


for _tab in (
    tabs.Tab("overview", gettext_lazy("Header"), "ledger/book/_overview.html", order=10),
    tabs.Tab(
        "materials",
        gettext_lazy("Materials"),
        "ledger/book/_items.html",
        order=20,
        context=_items_tab(ItemKind.MATERIAL),
    ),
    tabs.Tab(
        "products",
        gettext_lazy("Products"),
        "ledger/book/_items.html",
        order=30,
        context=_items_tab(ItemKind.PRODUCT),
    ),
    tabs.Tab(
        "consumption",
        gettext_lazy("Consumption table"),
        "ledger/book/_consumption.html",
        order=40,
        context=_consumption_tab,
    ),
    tabs.Tab(
        "lists", gettext_lazy("Inventory lists"), "ledger/book/_lists.html", order=50, context=_lists_tab
    ),
    tabs.Tab(
        "balances", gettext_lazy("Balances"), "ledger/book/_balances.html", order=60, context=_balances_tab
    ),
    tabs.Tab(
        "history",
        gettext_lazy("Status and audit history"),
        "ledger/book/_history.html",
        order=1000,
        context=_history_tab,
    ),
):
    tabs.register(BOOK_PAGE, _tab)


def _enterprise_books(request, enterprise):
    qs = queries.books(request.user).filter(enterprise=enterprise).order_by("number")
    table = BookTable(qs, request=request, exclude=("enterprise",))
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    return {"books_table": table}


tabs.register(
    "registry.enterprise",
    tabs.Tab(
        "books",
        gettext_lazy("Bonded books"),
        "ledger/_enterprise_books.html",
        order=50,
        context=_enterprise_books,
    ),
)


def _book(request, pk):
    return get_object_or_404(queries.books(request.user), pk=pk)


@login_required
@scoped_object(Book)
def book_detail(request, pk):
    book = _book(request, pk)
    ctx = {
        "object": book,
        "book": book,
        "can_write": may_write(request.user, AREA) and book.status != BookStatus.CLOSED,
    }
    ctx.update(tabs.resolve(BOOK_PAGE, request, book))
    if getattr(request, "htmx", False):
        return render(request, "includes/tabs.html", ctx)
    return render(request, "ledger/book_detail.html", ctx)


# --- balance drill-down --------------------------------------------------------------------------------


def _labelled_totals(totals: dict) -> list[tuple[str, dict]]:
    """The direct-line totals per balance column under the column's name (进口, not "imports")."""
    labels = {c: label for c, label, _h in BALANCE_FIELDS}
    return [(labels.get(col, col), t) for col, t in totals.items()]


@login_required
@scoped_object(BookItem)
def balance_drilldown(request, pk):
    item = get_object_or_404(
        BookItem.objects.for_user(request.user).select_related("book", "book__enterprise"), pk=pk
    )
    balance = Balance.objects.filter(item=item).first()
    column = request.GET.get("column") or ""
    known = {c for c, *_x in BALANCE_FIELDS}
    if column not in known:
        column = ""
    cells = [(c, label, getattr(balance, c) if balance else 0) for c, label, _h in BALANCE_FIELDS]
    # the opening balance is not a posting: its view says so once and lists no lines
    show_direct = column not in queries.EXPLODED_COLUMNS and column != "opening"
    show_exploded = item.kind == ItemKind.MATERIAL and column in (
        "",
        "consumption",
        "tangible_loss",
        "intangible_loss",
        "expected_remaining",
        "scrap_balance",
    )
    direct_col = (
        column if column and column not in ("expected_remaining", "scrap_balance", "opening") else None
    )
    ctx = {
        "item": item,
        "book": item.book,
        "balance": balance,
        "cells": cells,
        "column": column,
        "column_label": dict((c, label) for c, label, _h in BALANCE_FIELDS).get(column, ""),
        "direct_page": _page(request, queries.direct_lines(item, direct_col), "dpage")
        if show_direct
        else None,
        "direct_totals": _labelled_totals(queries.direct_totals(item)) if show_direct else [],
        "exploded_page": _page(request, queries.exploded_lines(item), "xpage") if show_exploded else None,
        "versions": list(queries.versions_used(item)) if item.kind == ItemKind.MATERIAL else [],
    }
    return render(request, "ledger/balance_drilldown.html", ctx)


# --- inventory lists -----------------------------------------------------------------------------------


def _list(request, pk):
    qs = InventoryList.objects.for_user(request.user).select_related(
        "book", "book__zone", "enterprise", "rule", "reverses"
    )
    return get_object_or_404(qs, pk=pk)


def _list_actions(request, lst):
    writable = may_write(request.user, AREA)
    reversed_by = (
        InventoryList.objects.filter(reverses=lst).first() if lst.state == ListState.POSTED else None
    )
    return {
        "can_edit": writable and lst.state == ListState.DRAFT,
        "can_submit": writable and lst.state == ListState.DRAFT,
        "can_cancel": writable and lst.state in (ListState.DRAFT, ListState.SUBMITTED),
        "can_post": writable and lst.state == ListState.SUBMITTED,
        "can_reverse": writable
        and lst.state == ListState.POSTED
        and lst.direction == 1
        and reversed_by is None,
        "reversed_by": reversed_by,
    }


@login_required
@scoped_object(InventoryList)
def list_detail(request, pk):
    lst = _list(request, pk)
    lines = lst.lines.order_by("line_no")
    page = _page(request, lines)
    columns = detail_line()  # the line columns come from the one line specification (ledger/lines.py)
    ctx = {
        "object": lst,
        "lst": lst,
        "page": page,
        "line_headers": [(f.page_label, DETAIL_KINDS[f.detail]) for f in columns],
        "line_rows": [[detail_cell(line, f) for f in columns] for line in page],
        **_list_actions(request, lst),
    }
    return render(request, "ledger/list_detail.html", ctx)


def _items_datalist(book, kind=None):
    qs = (
        BookItem.objects.filter(book=book)
        .order_by("kind", "seq_no")
        .only("seq_no", "kind", "part_no", "name")
    )
    if kind:
        qs = qs.filter(kind=kind)
    return qs[:2000]


def _entry_page(request, book, header_form, formset, *, lst=None, status=200):
    lookup = reverse("ledger:item_lookup", kwargs={"pk": book.pk})
    for i, form in enumerate(formset.forms):
        form.fields["item_seq_no"].widget.attrs.update(
            {
                "hx-get": lookup,
                # rows shown again with a value (errors, edit) check themselves when the page loads
                "hx-trigger": "change, load" if form["item_seq_no"].value() not in (None, "") else "change",
                "hx-target": f"#item-info-{i}",
                "hx-include": f"#{header_form['item_kind'].id_for_label}",
                "hx-sync": "this:replace",
            }
        )
    ctx = {
        "book": book,
        "lst": lst,
        "header_form": header_form,
        "formset": formset,
        "items": _items_datalist(book),
    }
    return render(request, "ledger/list_form.html", ctx, status=status)


def _more_rows(request, book, lst):
    """Re-show the form with what was typed plus blank rows (nothing is validated or saved)."""
    data = request.POST
    try:
        total = min(int(data.get("lines-TOTAL_FORMS") or 0), MAX_ROWS)
    except ValueError:
        total = 0
    rows = [{k: data.get(f"lines-{i}-{k}", "") for k in (*LINE_FIELDS, "line_no")} for i in range(total)]
    rows = [r for r in rows if any(r[k] not in ("", None) for k in LINE_FIELDS)]
    header_form = InventoryListHeaderForm(initial={k: data.get(k, "") for k in HEADER_FIELDS})
    return _entry_page(request, book, header_form, line_formset(initial=rows), lst=lst)


@login_required
@scoped_object(Book)
def item_lookup(request, pk):
    """HTMX: the filed item behind a sequence number typed in the grid (inline check, read-only)."""
    book = _book(request, pk)
    seq = next((v for k, v in request.GET.items() if k.endswith("item_seq_no")), "").strip()
    kind = request.GET.get("item_kind") or ItemKind.MATERIAL
    item = None
    if seq.isdigit():
        item = (
            BookItem.objects.filter(book=book, kind=kind, seq_no=int(seq)).select_related("balance").first()
        )
    return render(request, "ledger/_item_info.html", {"item": item, "seq": seq, "kind": kind, "book": book})


def _numbered(lines: list[dict], lst) -> list[dict]:
    """Rows showing a stored line keep its number; new rows are numbered after the highest one
    (of the rows and of the stored lines, so a removed line's number is not given to a new one)."""
    used = [ln["line_no"] for ln in lines if ln.get("line_no")]
    if lst is not None:
        used.append(lst.lines.aggregate(m=Max("line_no"))["m"] or 0)
    top = max(used, default=0)
    for ln in lines:
        if not ln.get("line_no"):
            top += 1
            ln["line_no"] = top
    return lines


def _save_list(request, book, lst=None):
    """Parse the header and the grid; on success create or update the draft through the service."""
    if request.POST.get("then") == "rows":
        return _more_rows(request, book, lst)
    header_form = InventoryListHeaderForm(request.POST)
    formset = line_formset(request.POST)
    if header_form.is_valid() and formset.is_valid():
        header = {k: header_form.cleaned_data.get(k) or "" for k in HEADER_FIELDS}
        lines = _numbered([form.line() for _n, form in formset.filled()], lst)
        try:
            if lst is None:
                lst = services.create_inventory_list(book, header, lines, by=request.user)
            else:
                services.update_inventory_list(lst, header, lines, by=request.user, merge=True)
        except DomainError as exc:
            apply_list_error(exc, header_form, formset)
        else:
            if request.POST.get("then") == "submit":
                try:
                    services.submit_inventory_list(lst, by=request.user)
                except DomainError as exc:
                    messages.error(request, str(exc.message))
                else:
                    messages.success(request, _("List %(n)s was saved and submitted.") % {"n": lst.number})
                    return redirect("ledger:list_detail", pk=lst.pk)
            messages.success(request, _("List %(n)s was saved as a draft.") % {"n": lst.number})
            return redirect("ledger:list_detail", pk=lst.pk)
    return _entry_page(request, book, header_form, formset, lst=lst, status=400)


@login_required
@scoped_object(Book)
def list_create(request, pk):
    book = _book(request, pk)
    require_write(request.user, AREA, WRITE_DENIED)
    if request.method == "POST":
        return _save_list(request, book)
    header_form = InventoryListHeaderForm(initial={"supervision_mode": book.trade_mode or ""})
    formset = line_formset()
    return _entry_page(request, book, header_form, formset)


@login_required
@scoped_object(InventoryList)
def list_edit(request, pk):
    lst = _list(request, pk)
    require_write(request.user, AREA, WRITE_DENIED)
    if lst.state != ListState.DRAFT:
        messages.error(request, _("Only draft lists can be edited."))
        return redirect("ledger:list_detail", pk=lst.pk)
    if request.method == "POST":
        return _save_list(request, lst.book, lst)
    header_form = InventoryListHeaderForm(initial={k: getattr(lst, k) for k in HEADER_FIELDS})
    initial = list(
        lst.lines.order_by("line_no").values(
            "line_no",
            "item_seq_no",
            "qty",
            "legal_qty",
            "unit_price",
            "amount",
            "currency",
            "country",
            "consumption_version",
        )
    )
    formset = line_formset(initial=initial)
    return _entry_page(request, lst.book, header_form, formset, lst=lst)


def _state_action(request, pk, fn, ok_message):
    lst = _list(request, pk)
    require_write(request.user, AREA, WRITE_DENIED)
    try:
        fn(lst, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, ok_message % {"n": lst.number})
    return redirect("ledger:list_detail", pk=lst.pk)


@login_required
@require_POST
@scoped_object(InventoryList)
def list_submit(request, pk):
    return _state_action(request, pk, services.submit_inventory_list, _("List %(n)s was submitted."))


@login_required
@require_POST
@scoped_object(InventoryList)
def list_cancel(request, pk):
    return _state_action(request, pk, services.cancel_inventory_list, _("List %(n)s was cancelled."))


def _preview_rows(effect: list[dict]) -> list[dict]:
    labels = {c: label for c, label, _h in BALANCE_FIELDS}
    rows = []
    for e in sorted(effect, key=lambda r: (r["kind"] != ItemKind.MATERIAL, r["seq_no"])):
        cols = [
            {
                "column": c,
                "label": labels.get(c, c),
                "before": b,
                "delta": d,
                "after": a,
                "negative": c in ("expected_remaining", "scrap_balance") and a < 0,
            }
            for c, (b, d, a) in e["columns"].items()
        ]
        rows.append({**e, "cols": cols, "negative": any(c["negative"] for c in cols)})
    return rows


@login_required
@scoped_object(InventoryList)
def list_post(request, pk):
    """GET: the customs receipt form and the balance effect per item; POST: record customs'
    approval receipt (回执) and post (核扣) the list."""
    lst = _list(request, pk)
    require_write(request.user, AREA, WRITE_DENIED)
    form = ReceiptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.post_inventory_list(
                lst,
                by=request.user,
                receipt_number=form.cleaned_data["receipt_number"],
                receipt_date=form.cleaned_data["receipt_date"],
            )
        except DomainError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, str(exc.message))
            else:
                messages.error(request, str(exc.message))
                for d in exc.details[:20]:
                    messages.error(request, str(d.reason) if hasattr(d, "reason") else str(d))
                return redirect("ledger:list_post", pk=lst.pk)
        else:
            (messages.success if result.changed else messages.info)(request, result.message)
            for w in result.warnings:
                messages.warning(
                    request,
                    _("Item %(seq)s (%(part)s) is now below zero.") % {"seq": w["seq_no"], "part": w["part_no"]},
                )
            return redirect("ledger:list_detail", pk=lst.pk)
    if lst.state != ListState.SUBMITTED:
        messages.info(
            request,
            _("Only submitted lists can be posted (list %(n)s is %(s)s).")
            % {"n": lst.number, "s": lst.get_state_display()},
        )
        return redirect("ledger:list_detail", pk=lst.pk)
    error, rows = None, []
    try:
        rows = _preview_rows(services.preview_posting(lst))
    except DomainError as exc:
        error = exc
    ctx = {
        "lst": lst,
        "form": form,
        "rows": rows,
        "error": error,
        "refused": any(r["negative"] for r in rows) and services.posting.negative_policy() != "warn",
    }
    status = 400 if error or form.errors else 200
    return render(request, "ledger/list_post_confirm.html", ctx, status=status)


@login_required
@scoped_object(InventoryList)
def list_reverse(request, pk):
    lst = _list(request, pk)
    require_write(request.user, AREA, WRITE_DENIED)
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.reverse_inventory_list(
                lst,
                number=form.cleaned_data["number"],
                declaration_date=form.cleaned_data["declaration_date"],
                by=request.user,
            )
        except DomainError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, str(exc.message))
            for d in exc.details[:20]:
                form.add_error(None, str(getattr(d, "reason", d)))
        else:
            messages.success(request, result.message)
            return redirect("ledger:list_detail", pk=result.inventory_list.pk)
    return render(
        request, "ledger/list_reverse.html", {"lst": lst, "form": form}, status=400 if form.errors else 200
    )


# --- oversight -----------------------------------------------------------------------------------------


@login_required
def oversight(request):
    data = queries.oversight(request.user)
    first, last = data["month_first"], data["month_last"]
    ctx = {
        **data,
        "title": _("Ledger oversight"),
        "list_url": reverse("ledger:list_list"),
        "book_url": reverse("ledger:book_list"),
        "balance_url": reverse("ledger:balance_list"),
        "amber_window": f"{data['red_days'] + 1}-{data['amber_days']}",
        "posted_query": f"state=posted&posted_from={first.isoformat()}&posted_to={last.isoformat()}",
    }
    return render(request, "ledger/oversight.html", ctx)
