"""Carry-over (深加工结转) pages: application list, create form, detail, matching view (对碰) with
linking, pairing and auto-matching, state transitions, the queue (对碰队列) and the book tab.

Thin views: objects come from ``Model.objects.for_user(request.user)`` first (out of scope → 404; a
carry-over is in scope for users of either side), writes then need ``require_write(user, "ledger")`` (403) and
go through ``services.carryover``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zonebook.audit.services import history
from zonebook.core import tabs
from zonebook.core.errors import DomainError
from zonebook.core.lists import FilteredListView
from zonebook.core.permissions import may_write, require_write
from zonebook.core.views import scoped_object

from ..filtersets.carryover import CarryOverFilterSet, CarryOverQueueFilterSet
from ..forms.carryover import CarryOverCreateForm, LinkListForm, MatchForm, NoteForm
from ..models import CarryOver, CarryOverLink, CarryOverMatch
from ..models.carryover import CARRYOVER_TRANSITIONS, CarryOverSide, CarryOverState
from ..services import carryover as svc
from ..tables.carryover import CarryOverTable, QueueTable
from ..view_helpers import AREA, WRITE_DENIED, message_errors


def can_act(user) -> bool:
    """Carry-over actions after creation: the parties (ledger) and zone offices (ledger oversight)."""
    return svc.may_write(user)


def check_act(request):
    if not can_act(request.user):
        raise PermissionDenied(_("Your role may not change carry-over applications."))

PER_PAGE = 100


def _carryover(request, pk):
    qs = CarryOver.objects.for_user(request.user).select_related(
        "transferor_book",
        "transferor_book__enterprise",
        "transferee_book",
        "transferee_book__enterprise",
        "transferor_item",
        "transferee_item",
    )
    return get_object_or_404(qs, pk=pk)


# --- lists ------------------------------------------------------------------------------------------------


class CarryOverList(FilteredListView):
    model = CarryOver
    filterset_class = CarryOverFilterSet
    table_class = CarryOverTable
    template_name = "ledger/carryover/list.html"
    title = gettext_lazy("Carry-overs (深加工结转)")
    export_filename = gettext_lazy("carry-overs")
    export_code = "ledger.carryover.exported"

    def get_queryset(self):
        qs = CarryOver.objects.for_user(self.request.user).select_related("transferor_book", "transferee_book")
        return svc.with_party_details(qs, self.request.user).order_by("-valid_from", "number")

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_write=may_write(self.request.user, AREA), **kwargs)


class QueueList(FilteredListView):
    model = CarryOverLink
    filterset_class = CarryOverQueueFilterSet
    table_class = QueueTable
    template_name = "ledger/carryover/queue.html"
    title = gettext_lazy("Carry-over matching queue (对碰队列)")
    export_filename = gettext_lazy("carry-over-queue")
    export_code = "ledger.carryover.queue_exported"

    def get_queryset(self):
        return (
            svc.queue(self.request.user)
            .select_related("carry_over", "inventory_list__book__enterprise")
            .order_by("declaration_date", "id")
        )


carryover_list = CarryOverList.as_view()
queue_list = QueueList.as_view()


# --- create -----------------------------------------------------------------------------------------------


@login_required
def carryover_create(request):
    require_write(request.user, AREA, WRITE_DENIED)
    initial = {}
    book_pk = request.GET.get("book")
    if book_pk and book_pk.isdigit():
        from ..models import Book

        book = Book.objects.for_user(request.user).filter(pk=int(book_pk)).first()
        if book is not None:
            initial["transferor_book"] = book.number
    form = CarryOverCreateForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            co = svc.create_carryover(form.cleaned_data, by=request.user)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("Carry-over application %(n)s was created as a draft.") % {"n": co})
            return redirect("ledger:carryover_detail", pk=co.pk)
    return render(request, "ledger/carryover/create.html", {"form": form}, status=400 if form.errors else 200)


# --- detail and matching ------------------------------------------------------------------------------------


def _halves(co):
    return co.links.select_related("inventory_list", "line", "match").order_by(
        "period", "side", "declaration_date", "id"
    )[: PER_PAGE * 2]


@login_required
@scoped_object(CarryOver)
def carryover_detail(request, pk):
    co = _carryover(request, pk)
    writable = can_act(request.user)
    mine = svc.own_sides(request.user, co.transferor_book_id, co.transferee_book_id)
    targets = sorted(CARRYOVER_TRANSITIONS[co.state]) if writable else []
    if CarryOverState.APPROVED in targets and not svc.may_approve(co, request.user):
        targets.remove(CarryOverState.APPROVED)
    ctx = {
        "co": co,
        "object": co,
        # a draft shows the counterpart's enterprise and item only to that side (and to users of both);
        # once approved both parties read the whole application, as on the paper form
        "show_out": CarryOverSide.SHIPMENT in mine or co.state != CarryOverState.DRAFT,
        "show_in": CarryOverSide.RECEIPT in mine or co.state != CarryOverState.DRAFT,
        "summary": svc.period_summary(co),
        "matches": co.matches.order_by("period", "id")[:PER_PAGE],
        "transitions": [(s, CarryOverState(s).label) for s in targets],
        "can_write": writable,
        "entries": history(co)[:50],
    }
    return render(request, "ledger/carryover/detail.html", ctx)


@login_required
@scoped_object(CarryOver)
def carryover_matching(request, pk):
    """The matching view (对碰): months with their aggregates and problems, the halves with check boxes,
    the link-a-list form, auto-matching and manual pairing."""
    co = _carryover(request, pk)
    writable = can_act(request.user) and co.state == CarryOverState.APPROVED
    today = timezone.localdate()
    halves = list(_halves(co))
    for h in halves:  # one displayed page
        h.age = (today - h.declaration_date).days
    ctx = {
        "co": co,
        "summary": svc.period_summary(co),
        "problems": svc.matching_problems(co),
        "halves": halves,
        "link_form": LinkListForm(),
        "can_match": writable,
        "SHIP": CarryOverSide.SHIPMENT,
        "RECV": CarryOverSide.RECEIPT,
    }
    return render(request, "ledger/carryover/matching.html", ctx)


@login_required
@require_POST
@scoped_object(CarryOver)
def carryover_link(request, pk):
    co = _carryover(request, pk)
    check_act(request)
    form = LinkListForm(request.POST)
    if form.is_valid():
        try:
            links = svc.link_list(co, form.cleaned_data["list_number"], by=request.user)
        except DomainError as exc:
            message_errors(request, exc)
        else:
            over = sum(lk.over_plan_qty for lk in links)
            messages.success(
                request,
                _("List %(l)s was linked to %(n)s (%(c)d line(s)).")
                % {"l": form.cleaned_data["list_number"].upper(), "n": co.number, "c": len(links)},
            )
            if over:
                messages.warning(
                    request,
                    _("%(q)s of it lies beyond the planned quantity and is queued as over plan.")
                    % {"q": over},
                )
    else:
        for e in form.errors.get("list_number", []):
            messages.error(request, e)
    return redirect("ledger:carryover_matching", pk=co.pk)


@login_required
@require_POST
@scoped_object(CarryOver)
def carryover_unlink(request, pk):
    co = _carryover(request, pk)
    check_act(request)
    from ..models import InventoryList

    lst = InventoryList.objects.filter(
        pk=request.POST.get("list") or 0, book_id__in=[co.transferor_book_id, co.transferee_book_id]
    ).first()
    if lst is not None:
        try:
            svc.unlink_list(co, lst, by=request.user)
        except DomainError as exc:
            message_errors(request, exc)
        else:
            messages.success(request, _("List %(l)s was unlinked.") % {"l": lst.number})
    return redirect("ledger:carryover_matching", pk=co.pk)


@login_required
@require_POST
@scoped_object(CarryOver)
def carryover_match(request, pk):
    co = _carryover(request, pk)
    check_act(request)
    form = MatchForm(request.POST)
    try:
        m = svc.match_halves(co, form.shipments, form.receipts, by=request.user)
    except DomainError as exc:
        message_errors(request, exc)
    else:
        messages.success(
            request,
            _("Paired: shipped %(s)s, received %(r)s.") % {"s": m.shipped_qty, "r": m.received_qty},
        )
    return redirect("ledger:carryover_matching", pk=co.pk)


@login_required
@require_POST
@scoped_object(CarryOver)
def carryover_auto_match(request, pk):
    co = _carryover(request, pk)
    check_act(request)
    if co.state != CarryOverState.APPROVED:
        messages.error(request, _("Only approved applications are matched."))
    else:
        made = svc.auto_match([co], by=request.user)
        messages.success(request, _("%(c)d month(s) were paired automatically.") % {"c": len(made)})
    return redirect("ledger:carryover_matching", pk=co.pk)


@login_required
@require_POST
@scoped_object(CarryOverMatch)
def carryover_unmatch(request, pk):
    m = get_object_or_404(CarryOverMatch.objects.for_user(request.user).select_related("carry_over"), pk=pk)
    check_act(request)
    try:
        svc.unmatch(m, by=request.user)
    except DomainError as exc:
        message_errors(request, exc)
    else:
        messages.success(request, _("The pairing was undone; its halves are back in the queue."))
    return redirect("ledger:carryover_matching", pk=m.carry_over_id)


@login_required
@require_POST
@scoped_object(CarryOver)
def carryover_transition(request, pk, target):
    co = _carryover(request, pk)
    check_act(request)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        svc.change_carryover_state(co, target, by=request.user, note=note)
    except DomainError as exc:
        message_errors(request, exc)
    else:
        messages.success(
            request,
            _("Application %(n)s is now %(s)s.") % {"n": co.number, "s": CarryOverState(target).label},
        )
    return redirect("ledger:carryover_detail", pk=co.pk)


# --- the book page's carry-over tab -------------------------------------------------------------------------


def _book_carryovers_tab(request, book):
    qs = (
        CarryOver.objects.filter(Q(transferor_book=book) | Q(transferee_book=book))
        .select_related("transferor_book", "transferee_book", "transferor_item", "transferee_item")
        .order_by("-valid_from", "number")
    )
    return {"carryovers": qs[:50], "can_write_carryover": may_write(request.user, AREA)}


tabs.register(
    "ledger.book",
    tabs.Tab(
        "carryovers",
        gettext_lazy("Carry-overs (深加工结转)"),
        "ledger/carryover/_book_tab.html",
        order=75,
        context=_book_carryovers_tab,
    ),
)
