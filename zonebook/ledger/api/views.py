"""Ledger API: scoped viewsets with the list pages' FilterSets; writes go through the services.

Books, items, consumption and balances are read-only here (they are filed through imports and the
services); inventory lists are created as drafts with their lines, then submitted, previewed,
approved (posted) or reversed through actions.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from zonebook.core.api import ScopedViewSetMixin
from zonebook.core.errors import DomainError

from .. import queries, services
from ..filtersets.books import (
    BalanceFilterSet,
    BookFilterSet,
    BookItemFilterSet,
    ConsumptionFilterSet,
    InventoryListFilterSet,
)
from ..models import Balance, Book, BookItem, Consumption, InventoryList
from . import serializers as s


class LedgerViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    write_area = "ledger"
    filter_backends = [DjangoFilterBackend]


class ReadOnly(LedgerViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    pass


class BookViewSet(ReadOnly):
    """Bonded books (账册/手册) in the caller's scope; filters as on the book list page."""

    queryset = Book.objects.select_related("enterprise", "zone").order_by("number")
    serializer_class = s.BookSerializer
    filterset_class = BookFilterSet


class BookItemViewSet(ReadOnly):
    """Materials and products (料件/成品) of the books in scope."""

    queryset = BookItem.objects.select_related("book").order_by("book_id", "kind", "seq_no")
    serializer_class = s.BookItemSerializer
    filterset_class = BookItemFilterSet


class ConsumptionViewSet(ReadOnly):
    """Consumption lines (单损耗) with every version; ``in_force_on`` selects the versions valid on a date."""

    queryset = Consumption.objects.select_related("product", "material").order_by(
        "book_id", "product__seq_no", "version", "material__seq_no"
    )
    serializer_class = s.ConsumptionSerializer
    filterset_class = ConsumptionFilterSet


class BalanceViewSet(ReadOnly):
    """Balances (余额) per book item; ``level=negative|near_zero|low`` as on the oversight page."""

    queryset = Balance.objects.all()
    serializer_class = s.BalanceSerializer
    filterset_class = BalanceFilterSet

    def get_queryset(self):
        return queries.balances(self.request.user).order_by("book_id", "item__kind", "item__seq_no")


class InventoryListViewSet(
    LedgerViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin
):
    """Inventory lists (核注清单): create a draft with lines, then ``submit``, ``preview``, ``approve``, ``reverse``."""

    queryset = InventoryList.objects.all()
    serializer_class = s.InventoryListSerializer
    filterset_class = InventoryListFilterSet

    def get_queryset(self):
        qs = queries.inventory_lists(self.request.user).order_by("-declaration_date", "-id")
        if self.action != "list":
            qs = qs.prefetch_related("lines")
        return qs

    def get_serializer_class(self):
        if self.action == "list":
            return s.InventoryListSummarySerializer
        return s.InventoryListSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        book = data.pop("book")
        lines = [{k: v for k, v in line.items() if v not in (None, "")} for line in data.pop("lines", [])]
        serializer.instance = services.create_inventory_list(book, data, lines, by=self.request.user)

    def _reply(self, lst, code=status.HTTP_200_OK):
        lst = get_object_or_404(self.get_queryset(), pk=lst.pk)
        return Response(
            s.InventoryListSerializer(lst, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(request=None, responses=s.InventoryListSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        lst = self.get_object()
        services.submit_inventory_list(lst, by=request.user)
        return self._reply(lst)

    @extend_schema(request=None, responses=s.InventoryListSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        lst = self.get_object()
        services.cancel_inventory_list(lst, by=request.user)
        return self._reply(lst)

    @extend_schema(request=None, responses=s.EffectSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def preview(self, request, pk=None):
        """The balance effect posting would have (nothing is written)."""
        lst = self.get_object()
        effect = services.preview_posting(lst)
        data = [
            {
                **{k: e[k] for k in ("item_id", "seq_no", "kind", "part_no")},
                "columns": [
                    {"column": c, "before": b, "delta": d, "after": a}
                    for c, (b, d, a) in e["columns"].items()
                ],
            }
            for e in effect
        ]
        return Response(s.EffectSerializer(data, many=True).data)

    @extend_schema(request=s.ApproveSerializer, responses=s.PostingResultSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Post (核扣) a submitted list that customs approved, recording customs' approval receipt
        (``receipt_number`` and ``receipt_date``, both or neither); posting twice changes nothing
        (``changed`` false)."""
        lst = self.get_object()
        receipt = s.ApproveSerializer(data=request.data)
        receipt.is_valid(raise_exception=True)
        result = services.post_inventory_list(lst, by=request.user, **receipt.validated_data)
        lst = get_object_or_404(self.get_queryset(), pk=lst.pk)
        data = {
            "changed": result.changed,
            "message": result.message,
            "balances_changed": result.balances_changed,
            "inventory_list": lst,
        }
        return Response(s.PostingResultSerializer(data, context=self.get_serializer_context()).data)

    @extend_schema(request=s.BatchApproveSerializer, responses=s.BatchResultSerializer)
    @action(detail=False, methods=["post"], url_path="approve-batch")
    def approve_batch(self, request):
        """Approve and post many submitted lists at once (``{"lists": [id, …]}``, any books in
        scope): all or nothing, the negative-balance check runs list by list in date order."""
        ser = s.BatchApproveSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        wanted = ser.validated_data["lists"]
        visible = list(self.get_queryset().filter(pk__in=wanted).values_list("pk", flat=True))
        missing = sorted(set(wanted) - set(visible))
        if missing:  # out of scope is "no such list", never a hint that it exists
            raise DomainError(
                _("No such list: %(ids)s.") % {"ids": ", ".join(map(str, missing[:20]))},
                code="not_found",
                field="lists",
            )
        result = services.post_lists(visible, by=request.user)
        data = {
            "posted": result.posted,
            "message": result.message,
            "balances_changed": result.balances_changed,
            "warnings": [{k: str(v) for k, v in w.items()} for w in result.warnings],
        }
        return Response(s.BatchResultSerializer(data).data)

    @extend_schema(request=s.ReverseSerializer, responses=s.PostingResultSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Correct a posted list by a reversing list (same lines, opposite effect), posted at once."""
        lst = self.get_object()
        ser = s.ReverseSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        result = services.reverse_inventory_list(lst, **ser.validated_data, by=request.user)
        rev = get_object_or_404(self.get_queryset(), pk=result.inventory_list.pk)
        data = {
            "changed": result.changed,
            "message": result.message,
            "balances_changed": result.balances_changed,
            "inventory_list": rev,
        }
        return Response(
            s.PostingResultSerializer(data, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
