"""Write-off API: write-offs (create, lines, stocktake, state transitions, recompute) and difference
cases (list, resolve).  Scoped like the pages; writes go through ``services.writeoff``."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from zonebook.core.api import AuthenticatedPermission, ScopedViewSetMixin, SeqNoField

from ..filtersets.writeoff import DifferenceCaseFilterSet, WriteOffFilterSet
from ..models import WRITEOFF_LINE_COLUMNS, Book, DifferenceCase, WriteOff, WriteOffLine
from ..models.writeoff import ReasonCode, SettlementKind, WriteOffState
from ..services import writeoff as svc
from ..services.duty import CATEGORIES, simulate_domestic_sale


class WriteOffSerializer(serializers.ModelSerializer):
    book = serializers.PrimaryKeyRelatedField(queryset=Book.objects.all())
    book_number = serializers.CharField(source="book.number", read_only=True)
    list_numbers = serializers.ListField(
        child=serializers.CharField(max_length=18), required=False, write_only=True, allow_empty=True
    )

    class Meta:
        model = WriteOff
        fields = [
            "id",
            "book",
            "book_number",
            "report_no",
            "start",
            "end",
            "state",
            "threshold_percent",
            "previous",
            "list_count",
            "line_count",
            "material_count",
            "product_count",
            "import_amount",
            "export_amount",
            "shortage_amount",
            "surplus_amount",
            "over_threshold",
            "has_stocktake",
            "computed_at",
            "note",
            "closed_at",
            "list_numbers",
        ]
        read_only_fields = [
            f
            for f in fields
            if f not in ("book", "start", "end", "threshold_percent", "note", "list_numbers")
        ]
        extra_kwargs = {"threshold_percent": {"required": False}}

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["book"].queryset = Book.objects.for_user(request.user)
        return fields


class WriteOffLineSerializer(serializers.ModelSerializer):
    part_no = serializers.CharField(source="item.part_no", read_only=True)

    class Meta:
        model = WriteOffLine
        fields = ["item", "kind", "seq_no", "part_no", *WRITEOFF_LINE_COLUMNS, "closing_amount"]
        read_only_fields = fields


class StocktakeRowSerializer(serializers.Serializer):
    kind = serializers.CharField()
    seq_no = serializers.CharField()
    part_no = serializers.CharField(required=False, allow_blank=True)
    stock = serializers.CharField(required=False, allow_blank=True)
    in_transit = serializers.CharField(required=False, allow_blank=True)
    wip = serializers.CharField(required=False, allow_blank=True)
    finished = serializers.CharField(required=False, allow_blank=True)
    defective = serializers.CharField(required=False, allow_blank=True)
    version = serializers.CharField(required=False, allow_blank=True)


class StocktakeSerializer(serializers.Serializer):
    rows = StocktakeRowSerializer(many=True)
    source = serializers.CharField(required=False, allow_blank=True, max_length=200)


class TransitionSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=WriteOffState.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A choice stored as "" until it is made (e.g. the settlement of an open case): ``null`` in the
    API, so the value is always one of the schema's enum values or null."""

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


class DifferenceCaseSerializer(serializers.ModelSerializer):
    book_number = serializers.CharField(source="writeoff.book.number", read_only=True)
    settlement_kind = BlankAsNullChoiceField(
        choices=SettlementKind.choices,
        allow_null=True,
        read_only=True,
        help_text="The settlement chosen when the case was resolved; null while it is open.",
    )

    class Meta:
        model = DifferenceCase
        fields = [
            "id",
            "writeoff",
            "book_number",
            "item",
            "seq_no",
            "expected_remaining",
            "actual_remaining",
            "difference_qty",
            "difference_rate",
            "difference_amount",
            "reason_code",
            "proposed_kind",
            "proposed_qty",
            "proposed_amount",
            "provenance",
            "status",
            "settlement_kind",
            "resolution",
            "resolved_by",
            "resolved_at",
            "created_at",
        ]
        read_only_fields = fields


class ResolveSerializer(serializers.Serializer):
    reason_code = serializers.ChoiceField(choices=ReasonCode.choices)
    settlement_kind = serializers.ChoiceField(choices=SettlementKind.choices)
    resolution = serializers.CharField()


class LinePagination(PageNumberPagination):
    page_size = 200
    max_page_size = 2000
    page_size_query_param = "page_size"


class WriteOffViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Write-offs (报核): create (computed at once), ``lines``, ``stocktake``, ``transition``, ``recompute``."""

    write_area = "ledger"
    queryset = WriteOff.objects.select_related("book").order_by("-end", "book_id")
    serializer_class = WriteOffSerializer
    filterset_class = WriteOffFilterSet
    filter_backends = [DjangoFilterBackend]

    def perform_create(self, serializer):
        d = serializer.validated_data
        serializer.instance = svc.create_writeoff(
            d["book"],
            d["start"],
            d["end"],
            list_numbers=d.get("list_numbers"),
            threshold_percent=d.get("threshold_percent"),
            note=d.get("note", ""),
            by=self.request.user,
        )

    def _reply(self, wo, code=status.HTTP_200_OK):
        wo = get_object_or_404(self.get_queryset(), pk=wo.pk)
        return Response(WriteOffSerializer(wo, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=None, responses=WriteOffLineSerializer(many=True))
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        """Per-item lines: materials (every §6.3(c) column) and products (outflow totals), paginated."""
        wo = self.get_object()
        qs = WriteOffLine.objects.filter(writeoff=wo).select_related("item").order_by("kind", "seq_no")
        kind = request.query_params.get("kind")
        if kind in ("material", "product"):
            qs = qs.filter(kind=kind)
        pager = LinePagination()
        page = pager.paginate_queryset(qs, request, view=self)
        return pager.get_paginated_response(WriteOffLineSerializer(page, many=True).data)

    @extend_schema(request=StocktakeSerializer, responses=WriteOffSerializer)
    @action(detail=True, methods=["post"])
    def stocktake(self, request, pk=None):
        """Replace the stocktake (all or nothing) and recompute."""
        wo = self.get_object()
        ser = StocktakeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        rows = [{"row": n, **r} for n, r in enumerate(ser.validated_data["rows"], start=1)]
        svc.import_stocktake(wo, rows, source=ser.validated_data.get("source", "api"), by=request.user)
        return self._reply(wo)

    @extend_schema(request=TransitionSerializer, responses=WriteOffSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        wo = self.get_object()
        ser = TransitionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        svc.change_writeoff_state(
            wo, ser.validated_data["state"], by=request.user, note=ser.validated_data.get("note", "")
        )
        return self._reply(wo)

    @extend_schema(request=None, responses=WriteOffSerializer)
    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        wo = self.get_object()
        svc.compute_writeoff(wo, by=request.user)
        return self._reply(wo)


class DifferenceCaseViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Difference cases (差异) of the write-offs in scope; ``resolve`` records the settlement."""

    write_area = "ledger"
    queryset = DifferenceCase.objects.select_related("writeoff", "writeoff__book").order_by(
        "writeoff_id", "seq_no"
    )
    serializer_class = DifferenceCaseSerializer
    filterset_class = DifferenceCaseFilterSet
    filter_backends = [DjangoFilterBackend]

    @extend_schema(request=ResolveSerializer, responses=DifferenceCaseSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        case = self.get_object()
        ser = ResolveSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        svc.resolve_case(case, by=request.user, **ser.validated_data)
        case = get_object_or_404(self.get_queryset(), pk=case.pk)
        return Response(DifferenceCaseSerializer(case, context=self.get_serializer_context()).data)


class DutyCalcSerializer(serializers.Serializer):
    book = serializers.CharField(help_text="book number (备案号)")
    item_kind = serializers.ChoiceField(choices=["material", "product"], default="material")
    seq_no = SeqNoField()
    qty = serializers.DecimalField(max_digits=20, decimal_places=5, min_value=0)
    date = serializers.DateField(help_text="acceptance / tax-notice date")
    category = serializers.ChoiceField(choices=list(CATEGORIES), required=False, allow_blank=True)
    variant = serializers.ChoiceField(choices=["product", "materials"], required=False, allow_blank=True)
    value = serializers.DecimalField(max_digits=18, decimal_places=2, required=False, allow_null=True)
    exchange_rate = serializers.DecimalField(max_digits=12, decimal_places=6, required=False, default=1)
    scrap_hs = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        help_text="category scrap: HS code of the scrap as presented (value = its assessed price)",
    )


class DutyCalcViewSet(viewsets.ViewSet):
    """Domestic-sale calculator (内销试算): POST the sale; the taxes, deferred-tax interest, rules and balance
    effect come back (nothing is written).  The book must be in the caller's scope (else 404)."""

    permission_classes = [AuthenticatedPermission]
    api_area = "ledger"  # machine clients with the ledger area may use it

    @extend_schema(request=DutyCalcSerializer, responses=None)
    def create(self, request):
        ser = DutyCalcSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        book = get_object_or_404(Book.objects.for_user(request.user), number=d["book"].strip().upper())
        result = simulate_domestic_sale(
            book,
            item_kind=d["item_kind"],
            seq_no=d["seq_no"],
            qty=d["qty"],
            on=d["date"],
            category=d.get("category") or None,
            value=d.get("value"),
            exchange_rate=d.get("exchange_rate") or 1,
            variant=d.get("variant") or None,
            scrap_hs=d.get("scrap_hs") or None,
        )
        return Response(_jsonable(result))


def _jsonable(value):
    import datetime as dt
    from decimal import Decimal

    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "_meta"):
        return value.pk
    return value


def register(router):
    router.register("ledger/writeoffs", WriteOffViewSet, basename="ledger-writeoff")
    router.register("ledger/difference-cases", DifferenceCaseViewSet, basename="ledger-difference-case")
    router.register("ledger/duty-calc", DutyCalcViewSet, basename="ledger-duty-calc")
