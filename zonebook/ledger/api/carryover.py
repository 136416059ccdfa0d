"""Carry-over (深加工结转) API: applications (list, detail, create, transition, link, match, auto-match,
halves, pairings) and the matching queue.  Scoped like the pages (either side's users see an
application); writes go through ``services.carryover``."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from zonebook.core.api import IdField, ScopedViewSetMixin, ScopedWritePermission, SeqNoField
from zonebook.core.errors import DomainError
from zonebook.core.permissions import may_write

from ..filtersets.carryover import CarryOverFilterSet, CarryOverQueueFilterSet
from ..models import CarryOver, CarryOverLink, CarryOverMatch
from ..models.carryover import CarryOverState, QueueStatus
from ..services import carryover as svc


class CarryOverSerializer(serializers.ModelSerializer):
    transferor_book_number = serializers.CharField(source="transferor_book.number", read_only=True)
    transferee_book_number = serializers.CharField(source="transferee_book.number", read_only=True)
    transferor_seq_no = serializers.IntegerField(source="transferor_item.seq_no", read_only=True)
    transferee_seq_no = serializers.IntegerField(source="transferee_item.seq_no", read_only=True)

    class Meta:
        model = CarryOver
        fields = [
            "id",
            "number",
            "transferor_book",
            "transferor_book_number",
            "transferor_item",
            "transferor_seq_no",
            "transferee_book",
            "transferee_book_number",
            "transferee_item",
            "transferee_seq_no",
            "planned_qty",
            "unit",
            "compare_legal",
            "valid_from",
            "valid_to",
            "state",
            "shipped_qty",
            "received_qty",
            "matched_shipped_qty",
            "matched_received_qty",
            "over_plan_qty",
            "open_halves",
            "note",
            "created_at",
            "approved_at",
            "closed_at",
        ]
        read_only_fields = fields


class CarryOverCreateSerializer(serializers.Serializer):
    """Books by number (备案号) and items by sequence number, as on the paper application."""

    number = serializers.CharField(required=False, allow_blank=True, max_length=20)
    transferor_book = serializers.CharField(
        max_length=12, help_text="transfer-out book number (转出方备案号)"
    )
    transferor_seq_no = SeqNoField(help_text="product sequence no. (成品序号)")
    transferee_book = serializers.CharField(max_length=12, help_text="transfer-in book number (转入方备案号)")
    transferee_seq_no = SeqNoField(help_text="material sequence no. (料件序号)")
    planned_qty = serializers.DecimalField(max_digits=20, decimal_places=5)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class CarryOverTransitionSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=CarryOverState.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class CarryOverLinkSerializer(serializers.Serializer):
    list_number = serializers.CharField(max_length=18)


class CarryOverMatchSerializer(serializers.Serializer):
    shipments = serializers.ListField(child=IdField(), allow_empty=True, max_length=5000)
    receipts = serializers.ListField(child=IdField(), allow_empty=True, max_length=5000)


class CarryOverHalfSerializer(serializers.ModelSerializer):
    list_number = serializers.CharField(source="inventory_list.number", read_only=True)
    line_no = serializers.IntegerField(source="line.line_no", read_only=True)

    class Meta:
        model = CarryOverLink
        fields = [
            "id",
            "side",
            "list_number",
            "line_no",
            "declaration_date",
            "period",
            "declared_qty",
            "qty",
            "open_qty",
            "over_plan_qty",
            "match",
        ]
        read_only_fields = fields


class CarryOverPairingSerializer(serializers.ModelSerializer):
    class Meta:
        model = CarryOverMatch
        fields = [
            "id",
            "period",
            "shipped_qty",
            "received_qty",
            "difference",
            "shipment_lists",
            "receipt_lists",
            "first_date",
            "last_date",
            "auto",
            "created_at",
        ]
        read_only_fields = fields


class CarryOverQueueRowSerializer(serializers.ModelSerializer):
    carry_over_number = serializers.CharField(source="carry_over.number", read_only=True)
    unit = serializers.CharField(source="carry_over.unit", read_only=True)
    book_number = serializers.CharField(source="inventory_list.book.number", read_only=True)
    list_number = serializers.CharField(source="inventory_list.number", read_only=True)
    age_days = serializers.SerializerMethodField()
    queue_status = serializers.ChoiceField(choices=QueueStatus.choices, read_only=True)

    class Meta:
        model = CarryOverLink
        fields = [
            "id",
            "carry_over",
            "carry_over_number",
            "side",
            "book_number",
            "list_number",
            "declaration_date",
            "age_days",
            "qty",
            "open_qty",
            "over_plan_qty",
            "unit",
            "queue_status",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_age_days(self, obj) -> int:
        return (timezone.localdate() - obj.declaration_date).days


class CarryOverHalfPagination(PageNumberPagination):
    page_size = 200
    max_page_size = 2000
    page_size_query_param = "page_size"


class CarryOverWritePermission(ScopedWritePermission):
    """Creating needs ledger write access (an enterprise); the later actions (transition, link, match)
    also admit zone offices (ledger oversight).  The services decide who approves and which lists
    each side may link."""

    def _may_write(self, request, view) -> bool:
        if getattr(view, "action", None) == "create":
            return may_write(request.user, "ledger")
        return svc.may_write(request.user)


class CarryOverViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Carry-over applications (深加工结转申报表) of either side in scope: create (draft), ``transition``,
    ``link`` a posted list, ``match`` chosen halves, ``auto_match`` by month, ``halves``, ``pairings``."""

    write_area = "ledger"
    permission_classes = [CarryOverWritePermission]
    queryset = CarryOver.objects.select_related(
        "transferor_book", "transferee_book", "transferor_item", "transferee_item"
    ).order_by("-valid_from", "number")
    serializer_class = CarryOverSerializer
    filterset_class = CarryOverFilterSet
    filter_backends = [DjangoFilterBackend]

    def get_serializer_class(self):
        return CarryOverCreateSerializer if self.action == "create" else CarryOverSerializer

    def _reply(self, co, code=status.HTTP_200_OK):
        co = get_object_or_404(self.get_queryset(), pk=co.pk)
        return Response(CarryOverSerializer(co, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=CarryOverCreateSerializer, responses={201: CarryOverSerializer})
    def create(self, request, *args, **kwargs):
        ser = CarryOverCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        data = {"number": d.get("number", ""), "planned_qty": d["planned_qty"], "note": d.get("note", "")}
        data.update(valid_from=d["valid_from"], valid_to=d["valid_to"])
        found, errors = svc.resolve_parties(d, request.user)
        if errors:
            seq = {"transferor_item": "transferor_seq_no", "transferee_item": "transferee_seq_no"}
            field, message = errors[0]
            code = {None: "out_of_scope", "transferor_book": "counterpart", "transferee_book": "counterpart"}
            raise DomainError(message, code=code.get(field, "not_found"), field=seq.get(field, field))
        data.update(found)
        co = svc.create_carryover(data, by=request.user)
        return self._reply(co, status.HTTP_201_CREATED)

    @extend_schema(request=CarryOverTransitionSerializer, responses=CarryOverSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        co = self.get_object()
        ser = CarryOverTransitionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        svc.change_carryover_state(
            co, ser.validated_data["state"], by=request.user, note=ser.validated_data.get("note", "")
        )
        return self._reply(co)

    @extend_schema(request=CarryOverLinkSerializer, responses=CarryOverSerializer)
    @action(detail=True, methods=["post"])
    def link(self, request, pk=None):
        co = self.get_object()
        ser = CarryOverLinkSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        svc.link_list(co, ser.validated_data["list_number"], by=request.user)
        return self._reply(co)

    @extend_schema(request=CarryOverMatchSerializer, responses=CarryOverPairingSerializer)
    @action(detail=True, methods=["post"])
    def match(self, request, pk=None):
        co = self.get_object()
        ser = CarryOverMatchSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        m = svc.match_halves(
            co, ser.validated_data["shipments"], ser.validated_data["receipts"], by=request.user
        )
        return Response(CarryOverPairingSerializer(m).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=CarryOverPairingSerializer(many=True))
    @action(detail=True, methods=["post"], url_path="auto-match", pagination_class=None)
    def auto_match(self, request, pk=None):
        co = self.get_object()
        made = svc.auto_match([co], by=request.user)
        return Response(CarryOverPairingSerializer(made, many=True).data)

    @extend_schema(request=None, responses=CarryOverHalfSerializer(many=True))
    @action(detail=True, methods=["get"])
    def halves(self, request, pk=None):
        co = self.get_object()
        qs = co.links.select_related("inventory_list", "line").order_by(
            "period", "side", "declaration_date", "id"
        )
        pager = CarryOverHalfPagination()
        page = pager.paginate_queryset(qs, request, view=self)
        return pager.get_paginated_response(CarryOverHalfSerializer(page, many=True).data)

    @extend_schema(request=None, responses=CarryOverPairingSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def pairings(self, request, pk=None):
        co = self.get_object()
        return Response(CarryOverPairingSerializer(co.matches.order_by("period", "id"), many=True).data)


class CarryOverQueueViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The matching queue (对碰队列): unmatched halves, partial-pairing residues and over-plan shipments,
    with their age in days; the same filters as the queue page."""

    queryset = CarryOverLink.objects.all()
    serializer_class = CarryOverQueueRowSerializer
    filterset_class = CarryOverQueueFilterSet
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        return (
            svc.queue(self.request.user)
            .select_related("carry_over", "inventory_list__book")
            .order_by("declaration_date", "id")
        )


def register(router):
    router.register("ledger/carryovers", CarryOverViewSet, basename="ledger-carryover")
    router.register("ledger/carryover-queue", CarryOverQueueViewSet, basename="ledger-carryover-queue")
