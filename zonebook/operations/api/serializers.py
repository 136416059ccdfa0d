from __future__ import annotations

from rest_framework import serializers

from zonebook.core.api import IdField

from ..choices import BindType, Direction, PassType, RelatedKind
from ..models import (
    Application,
    ApplicationLine,
    ApplicationStep,
    Container,
    GateEvent,
    GateException,
    GatePass,
    StockNote,
)


class ApplicationLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApplicationLine
        fields = ["seq", "hs_code", "name", "qty", "unit", "value", "currency"]


class ApplicationStepSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default="", read_only=True)

    class Meta:
        model = ApplicationStep
        fields = ["action", "from_status", "to_status", "by", "at", "note"]


class ApplicationSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="type.code", read_only=True)
    type_name = serializers.CharField(source="type.name", read_only=True)
    type_version = serializers.IntegerField(source="type_version.version", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = Application
        fields = ["id", "number", "type", "type_name", "type_version", "enterprise", "enterprise_name", "zone",
                  "status", "channel", "subject", "data", "book", "carry_over", "domestic_sale_calc", "submitted_at",
                  "due_at", "decided_at", "handling_days", "on_time", "reason"]
        read_only_fields = fields


class ApplicationDetailSerializer(ApplicationSerializer):
    lines = ApplicationLineSerializer(many=True, read_only=True)
    steps = ApplicationStepSerializer(many=True, read_only=True)

    class Meta(ApplicationSerializer.Meta):
        fields = [*ApplicationSerializer.Meta.fields, "lines", "steps"]
        read_only_fields = fields


class LineInSerializer(serializers.Serializer):
    hs_code = serializers.CharField(max_length=10)
    name = serializers.CharField(max_length=200)
    qty = serializers.DecimalField(max_digits=20, decimal_places=5)
    unit = serializers.CharField(max_length=10)
    value = serializers.DecimalField(max_digits=18, decimal_places=2, required=False, allow_null=True)


class ApplicationInSerializer(serializers.Serializer):
    type = serializers.SlugField(max_length=40)
    enterprise = IdField(required=False)
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True)
    data = serializers.DictField(required=False)
    lines = LineInSerializer(many=True, required=False)
    carry_over = IdField(required=False, allow_null=True)
    submit = serializers.BooleanField(required=False, default=False)


class ActSerializer(serializers.Serializer):
    action = serializers.CharField(max_length=12)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class StockNoteSerializer(serializers.ModelSerializer):
    lines = serializers.SerializerMethodField()
    passes_bound = serializers.IntegerField(read_only=True, default=0,
                                            help_text="gate passes (not cancelled) that carry the note (m)")
    passes_passed = serializers.IntegerField(read_only=True, default=0,
                                             help_text="of those, passes through the gate (n): 已过卡 n / m 车")

    class Meta:
        model = StockNote
        fields = ["id", "number", "zone", "enterprise", "direction", "application", "inventory_list", "passed",
                  "passes_bound", "passes_passed", "lines"]
        read_only_fields = fields

    def get_lines(self, obj) -> list[dict]:
        return [{"seq": ln.seq, "name": ln.name, "hs_code": ln.hs_code, "qty": str(ln.qty), "unit": ln.unit}
                for ln in obj.lines.all()]


class ContainerSerializer(serializers.ModelSerializer):
    pass_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Container
        fields = ["id", "zone", "number", "size_type", "tare_weight", "owner", "active", "pass_count"]
        read_only_fields = ["id", "zone", "pass_count"]
        validators = []  # the (zone, number) key is checked by the service


class StockNoteInSerializer(serializers.Serializer):
    enterprise = IdField()
    number = serializers.CharField(max_length=24)
    direction = serializers.ChoiceField(choices=Direction.choices)
    lines = serializers.ListField(child=serializers.DictField(), min_length=1)


class GatePassSerializer(serializers.ModelSerializer):
    vehicle_plate = serializers.CharField(source="vehicle.plate", read_only=True)

    class Meta:
        model = GatePass
        fields = ["id", "number", "zone", "enterprise", "direction", "pass_type", "bind_type", "vehicle",
                  "vehicle_plate", "container", "container_no", "container_weight", "goods_weight", "total_weight", "goods_kind",
                  "status", "created_at", "approved_at", "passed_at", "weighed"]
        read_only_fields = fields


class DocumentInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RelatedKind.choices)
    number = serializers.CharField(max_length=64)


class PassLineInSerializer(serializers.Serializer):
    document = serializers.IntegerField(min_value=0, max_value=1000, default=0)
    related_seq = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    qty = serializers.DecimalField(max_digits=20, decimal_places=5, min_value=0)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    unit = serializers.CharField(max_length=10, required=False, allow_blank=True)
    gross_weight = serializers.DecimalField(max_digits=14, decimal_places=3, required=False, min_value=0)


class GatePassInSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=24)
    direction = serializers.ChoiceField(choices=Direction.choices)
    pass_type = serializers.ChoiceField(choices=PassType.choices)
    bind_type = serializers.ChoiceField(choices=BindType.choices, default="2")
    vehicle = serializers.CharField(max_length=12, help_text="plate of a vehicle filed in the zone")
    enterprise = IdField(required=False, allow_null=True)
    container_no = serializers.CharField(max_length=20, required=False, allow_blank=True)
    container_weight = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=0, default=0)
    goods_weight = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=0, default=0)
    goods_kind = serializers.CharField(max_length=24, default="general")
    documents = DocumentInSerializer(many=True, required=False)
    lines = PassLineInSerializer(many=True, required=False)


class GateEventInSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=64)
    pass_number = serializers.CharField(max_length=24)
    gate_id = serializers.CharField(max_length=20)
    direction = serializers.ChoiceField(choices=Direction.choices)
    at = serializers.DateTimeField(required=False)
    weight = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=0, required=False, allow_null=True)
    photo_ref = serializers.CharField(max_length=200, required=False, allow_blank=True)


class GateExceptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = GateException
        fields = ["id", "kind", "detail", "expected", "measured", "state"]


class GateEventSerializer(serializers.ModelSerializer):
    exceptions = serializers.SerializerMethodField()
    pass_status = serializers.SerializerMethodField(help_text="the pass's status after the event (stucd)")

    def get_pass_status(self, obj) -> str | None:
        return obj.gate_pass.status if obj.gate_pass_id else None

    def get_exceptions(self, obj) -> list[dict]:
        rows = getattr(obj, "outcome_exceptions", None)  # set by the create answer (no query)
        if rows is None:
            rows = self.context["exceptions"] if "exceptions" in self.context else obj.exceptions.all()
        return GateExceptionSerializer(rows, many=True).data if rows else []

    class Meta:
        model = GateEvent
        fields = ["id", "event_id", "pass_number", "gate_pass", "pass_status", "gate_id", "stage", "direction", "at",
                  "weight", "photo_ref", "result", "reason_code", "reason", "exceptions"]
        read_only_fields = fields


class FlowDeclarationSerializer(serializers.ModelSerializer):
    class Meta:
        from ..models import FlowDeclaration

        model = FlowDeclaration
        fields = ["id", "kind", "side", "zone", "enterprise", "list_number", "counterpart_list", "counterpart_zone",
                  "hs_code", "qty", "unit", "declared_on", "state", "partner", "problem"]
        read_only_fields = fields


class FlowDeclarationInSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=Direction.choices)
    enterprise = IdField()
    list_number = serializers.CharField(max_length=64)
    counterpart_list = serializers.CharField(max_length=64)
    counterpart_zone = IdField()
    hs_code = serializers.CharField(max_length=10)
    qty = serializers.DecimalField(max_digits=20, decimal_places=5)
    unit = serializers.CharField(max_length=10)
    declared_on = serializers.DateField()


class EntryBatchSerializer(serializers.ModelSerializer):
    class Meta:
        from ..models import EntryBatch

        model = EntryBatch
        fields = ["id", "number", "zone", "enterprise", "inspection_no", "inspected_on", "inspection_result", "goods",
                  "hs_code", "qty", "unit", "remaining"]
        read_only_fields = fields


class EntryBatchInSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40)
    enterprise = IdField()
    inspection_no = serializers.CharField(max_length=40)
    inspected_on = serializers.DateField()
    inspection_result = serializers.CharField(max_length=200)
    goods = serializers.CharField(max_length=200)
    hs_code = serializers.CharField(max_length=10)
    qty = serializers.DecimalField(max_digits=20, decimal_places=5)
    unit = serializers.CharField(max_length=10)


class ReleaseSerializer(serializers.Serializer):
    qty = serializers.DecimalField(max_digits=20, decimal_places=5)
