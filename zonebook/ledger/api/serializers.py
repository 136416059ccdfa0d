"""Ledger API serializers: they validate the shape of the input; the services validate and write."""

from __future__ import annotations

from rest_framework import serializers

from zonebook.core.api import IdField

from .. import lines as line_spec
from ..choices import IEMark, ItemKind
from ..models import BALANCE_COLUMNS, Balance, Book, BookItem, Consumption, InventoryList, InventoryListLine


class BookSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    zone_name = serializers.CharField(source="zone.short_name", read_only=True)

    class Meta:
        model = Book
        fields = [
            "id",
            "number",
            "kind",
            "enterprise",
            "enterprise_name",
            "zone",
            "zone_name",
            "customs_office",
            "trade_mode",
            "cycle_start",
            "cycle_end",
            "valid_until",
            "max_import_value",
            "currency",
            "writeoff_method",
            "status",
            "change_count",
            "note",
        ]
        read_only_fields = fields


class BookItemSerializer(serializers.ModelSerializer):
    book_number = serializers.CharField(source="book.number", read_only=True)

    class Meta:
        model = BookItem
        fields = [
            "id",
            "book",
            "book_number",
            "kind",
            "seq_no",
            "part_no",
            "hs_code",
            "name",
            "spec",
            "unit",
            "legal_unit1",
            "legal_unit2",
            "unit_price",
            "currency",
            "country",
            "filed_qty",
            "opening_qty",
            "opening_amount",
            "status",
        ]
        read_only_fields = fields


class ConsumptionSerializer(serializers.ModelSerializer):
    product_seq_no = serializers.IntegerField(source="product.seq_no", read_only=True)
    material_seq_no = serializers.IntegerField(source="material.seq_no", read_only=True)

    class Meta:
        model = Consumption
        fields = [
            "id",
            "book",
            "product",
            "product_seq_no",
            "material",
            "material_seq_no",
            "version",
            "valid_from",
            "valid_to",
            "net",
            "tangible_rate",
            "intangible_rate",
            "bonded_share",
            "unit_consumption",
            "declaration_status",
        ]
        read_only_fields = fields


class BalanceSerializer(serializers.ModelSerializer):
    book_number = serializers.CharField(source="book.number", read_only=True)
    kind = serializers.CharField(source="item.kind", read_only=True)
    seq_no = serializers.IntegerField(source="item.seq_no", read_only=True)
    part_no = serializers.CharField(source="item.part_no", read_only=True)

    class Meta:
        model = Balance
        fields = [
            "id",
            "book",
            "book_number",
            "item",
            "kind",
            "seq_no",
            "part_no",
            *BALANCE_COLUMNS,
            "updated_at",
        ]
        read_only_fields = fields


def line_serializer_class(spec=None) -> type[serializers.Serializer]:
    """The API's line serializer, its fields derived from the line specification (ledger/lines.py)."""
    fields = line_spec.serializer_fields(spec)

    class Meta:
        model = InventoryListLine
        fields = list(line_spec.api_line(spec))
        read_only_fields = [f.name for f in (spec or line_spec.SPEC) if f.api and not f.given]

    return type(
        "InventoryListLineSerializer",
        (serializers.ModelSerializer,),
        {**fields, "Meta": Meta, "__module__": __name__},
    )


InventoryListLineSerializer = line_serializer_class()


class InventoryListSerializer(serializers.ModelSerializer):
    """A list with its lines.  On create, ``book`` must be in the caller's scope; lines are required."""

    book = serializers.PrimaryKeyRelatedField(queryset=Book.objects.all())
    book_number = serializers.CharField(source="book.number", read_only=True)
    ie_mark = serializers.ChoiceField(choices=IEMark.choices)
    item_kind = serializers.ChoiceField(choices=ItemKind.choices)
    lines = InventoryListLineSerializer(many=True)

    class Meta:
        model = InventoryList
        fields = [
            "id",
            "number",
            "internal_number",
            "book",
            "book_number",
            "enterprise",
            "ie_mark",
            "supervision_mode",
            "item_kind",
            "declaration_date",
            "customs_declaration_no",
            "note",
            "state",
            "direction",
            "reverses",
            "submitted_at",
            "posted_at",
            "receipt_number",
            "receipt_date",
            "lines",
        ]
        read_only_fields = [
            "enterprise",
            "state",
            "direction",
            "reverses",
            "submitted_at",
            "posted_at",
            "receipt_number",
            "receipt_date",
        ]
        extra_kwargs = {"number": {"validators": []}, "internal_number": {"required": False}}

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["book"].queryset = Book.objects.for_user(request.user)
        return fields


class InventoryListSummarySerializer(InventoryListSerializer):
    """List endpoint: the header and counts, without the lines."""

    line_count = serializers.IntegerField(read_only=True)
    total_amount = serializers.DecimalField(max_digits=24, decimal_places=2, read_only=True)

    class Meta(InventoryListSerializer.Meta):
        fields = [f for f in InventoryListSerializer.Meta.fields if f != "lines"] + [
            "line_count",
            "total_amount",
        ]


class ReverseSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=18)
    declaration_date = serializers.DateField(required=False)


class PostingResultSerializer(serializers.Serializer):
    changed = serializers.BooleanField()
    message = serializers.CharField()
    balances_changed = serializers.IntegerField()
    inventory_list = InventoryListSerializer()


class ApproveSerializer(serializers.Serializer):
    """Customs' approval receipt (回执) recorded with the posting: both or neither."""

    receipt_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    receipt_date = serializers.DateField(required=False, allow_null=True, default=None)


class BatchApproveSerializer(serializers.Serializer):
    lists = serializers.ListField(child=IdField(), min_length=1, max_length=5000)


class BatchResultSerializer(serializers.Serializer):
    posted = serializers.IntegerField()
    message = serializers.CharField()
    balances_changed = serializers.IntegerField()
    warnings = serializers.ListField(child=serializers.DictField())


class EffectColumnSerializer(serializers.Serializer):
    column = serializers.CharField()
    before = serializers.DecimalField(max_digits=24, decimal_places=5)
    delta = serializers.DecimalField(max_digits=24, decimal_places=5)
    after = serializers.DecimalField(max_digits=24, decimal_places=5)


class EffectSerializer(serializers.Serializer):
    item_id = serializers.IntegerField()
    seq_no = serializers.IntegerField()
    kind = serializers.CharField()
    part_no = serializers.CharField()
    columns = EffectColumnSerializer(many=True)
