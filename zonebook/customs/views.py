"""Customs pages: the INV101 messages received, the receipt queue (waiting / held, with age), INV101 export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zonebook.core.errors import DomainError
from zonebook.core.lists import FilteredListView
from zonebook.core.permissions import may_write, require_write
from zonebook.core.views import scoped_object
from zonebook.ledger.choices import ListSource, ListState
from zonebook.ledger.models import InventoryList

from . import export, services
from .filtersets import MessageFilterSet, ReceiptFilterSet
from .models import InventoryMessage, Receipt, ReceiptState
from .tables import MessageTable, ReceiptTable

AREA = "ledger"
DRAFTS_SHOWN = 20


class MessageList(FilteredListView):
    model = InventoryMessage
    filterset_class = MessageFilterSet
    table_class = MessageTable
    template_name = "customs/message_list.html"
    title = gettext_lazy("Customs messages (INV101)")
    export_filename = gettext_lazy("customs-messages")
    export_code = "customs.message.exported"

    def get_queryset(self):
        return (
            InventoryMessage.objects.for_user(self.request.user)
            .exclude(inventory_list__state=ListState.IMPORTING)  # (an import still running)
            .select_related("book", "enterprise", "inventory_list")
        )

    def get_context_data(self, **kwargs):
        user = self.request.user
        drafts = (
            InventoryList.objects.for_user(user)
            .filter(state__in=export.EXPORTABLE, source=ListSource.MANUAL, direction=1)
            .select_related("book")
            .order_by("-declaration_date", "-id")[:DRAFTS_SHOWN]
        )
        return super().get_context_data(drafts=drafts, can_write=may_write(user, AREA), **kwargs)


class ReceiptQueue(FilteredListView):
    model = Receipt
    filterset_class = ReceiptFilterSet
    table_class = ReceiptTable
    template_name = "customs/queue.html"
    title = gettext_lazy("Customs receipt queue")
    export_filename = gettext_lazy("customs-receipts")
    export_code = "customs.receipt.exported"

    def get_queryset(self):
        return Receipt.objects.for_user(self.request.user).select_related("book")

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_write=may_write(self.request.user, AREA), **kwargs)


@login_required
@require_POST
def queue_retry(request):
    """Try every waiting or held receipt in the user's scope again."""
    require_write(request.user, AREA)
    todo = list(
        Receipt.objects.for_user(request.user).exclude(state=ReceiptState.APPLIED).select_related("book")
    )
    result = services.retry(todo, by=request.user)
    messages.info(
        request,
        _("%(a)d receipt(s) applied, %(h)d held, %(w)d still waiting for their list.")
        % {"a": result.applied, "h": result.held, "w": result.waiting},
    )
    return redirect("customs:queue")


@login_required
@scoped_object(InventoryList)
def list_inv101(request, pk):
    """The list as an INV101 message (draft or declared lists), checked by the import's rules."""
    lst = get_object_or_404(
        InventoryList.objects.for_user(request.user).select_related("book", "enterprise"), pk=pk
    )
    if lst.state not in (ListState.DRAFT, ListState.SUBMITTED):
        messages.error(request, _("Only draft or declared lists are exported as INV101."))
        return redirect("ledger:list_detail", pk=lst.pk)
    try:
        data = export.export_inv101(lst, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        for d in exc.details[:10]:
            messages.error(request, f"{d.column}: {d.value} {d.reason}")
        return redirect("customs:message_list")
    response = HttpResponse(data, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="INV101_{lst.number}.xml"'
    return response
