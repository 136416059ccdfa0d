from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Alert, PlausibilityFlag


class AlertSerializer(serializers.ModelSerializer):
    book_number = serializers.CharField(source="book.number", read_only=True)
    enterprise = serializers.IntegerField(source="book.enterprise_id", read_only=True)
    enterprise_name = serializers.CharField(source="book.enterprise.name", read_only=True)
    zone = serializers.IntegerField(source="book.zone_id", read_only=True)
    light = serializers.CharField(read_only=True, help_text="red / amber / green, from the days left")
    days_left = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "kind",
            "book",
            "book_number",
            "enterprise",
            "enterprise_name",
            "zone",
            "due_date",
            "days_left",
            "light",
            "basis_date",
            "period",
            "list_count",
            "amount",
            "state",
            "first_seen_at",
            "refreshed_at",
            "resolved_at",
            "note",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_days_left(self, obj) -> int:
        return (obj.due_date - timezone.localdate()).days


class PlausibilityFlagSerializer(serializers.ModelSerializer):
    book_number = serializers.CharField(source="book.number", read_only=True)
    enterprise = serializers.IntegerField(source="book.enterprise_id", read_only=True)
    enterprise_name = serializers.CharField(source="book.enterprise.name", read_only=True)

    class Meta:
        model = PlausibilityFlag
        fields = [
            "id",
            "kind",
            "metric",
            "book",
            "book_number",
            "enterprise",
            "enterprise_name",
            "consumption",
            "previous",
            "writeoff",
            "writeoff_line",
            "product",
            "material",
            "version",
            "province_code",
            "product_hs",
            "material_hs",
            "value",
            "reference",
            "deviation",
            "threshold",
            "peer_count",
            "state",
            "first_seen_at",
            "refreshed_at",
            "cleared_at",
        ]
        read_only_fields = fields
