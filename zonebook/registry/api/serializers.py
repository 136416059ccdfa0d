"""Registry API serializers: they validate input; the services write (and audit)."""

from __future__ import annotations

from rest_framework import serializers

from .. import calc, services
from ..models import Code, Enterprise, EnterpriseContact, Park, Zone, ZoneStatusEvent
from ..models.enterprise import validate_uscc


def _codes(table: str):
    return Code.objects.of(table)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id that must be inside the requesting user's scope."""

    def get_queryset(self):
        request = self.context.get("request")
        qs = super().get_queryset()
        return qs.for_user(request.user) if request is not None else qs.none()


class CodeField(serializers.SlugRelatedField):
    """A code-table entry written and read by its code (e.g. "C39" for an industry)."""

    def __init__(self, table: str, **kwargs):
        kwargs.setdefault("slug_field", "code")
        kwargs.setdefault("queryset", _codes(table))
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class ZoneSerializer(serializers.ModelSerializer):
    kind = CodeField("zone_type", allow_null=False, required=True)
    customs_office = CodeField("customs_office")

    class Meta:
        model = Zone
        fields = [
            "id",
            "name",
            "short_name",
            "kind",
            "level",
            "province_code",
            "city_code",
            "planned_area_km2",
            "fenced_area_km2",
            "boundaries",
            "approval_doc",
            "approval_date",
            "acceptance_date",
            "customs_office",
            "status",
            "status_date",
            "integrated_into",
            "is_converted",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "status_date", "integrated_into", "created_at", "updated_at"]


class ParkSerializer(serializers.ModelSerializer):
    zone = ScopedPrimaryKeyRelatedField(queryset=Zone.objects.all())

    class Meta:
        model = Park
        fields = ["id", "zone", "name", "bonded", "area_km2", "address", "boundaries"]


class ZoneStatusEventSerializer(serializers.ModelSerializer):
    zone = ScopedPrimaryKeyRelatedField(queryset=Zone.objects.all())
    successor = ScopedPrimaryKeyRelatedField(queryset=Zone.objects.all(), required=False, allow_null=True)

    class Meta:
        model = ZoneStatusEvent
        fields = ["id", "zone", "event", "date", "doc_no", "successor", "note", "created_at"]
        read_only_fields = ["created_at"]


class EnterpriseSerializer(serializers.ModelSerializer):
    zone = ScopedPrimaryKeyRelatedField(queryset=Zone.objects.all())
    park = ScopedPrimaryKeyRelatedField(queryset=Park.objects.all(), required=False, allow_null=True)
    industry = CodeField("industry")
    ownership = CodeField("ownership")
    investor_country = CodeField("country")
    credit_class = CodeField("credit_class")
    capital_currency = CodeField("currency")

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "uscc",
            "customs_code",
            "zone",
            "park",
            "industry",
            "ownership",
            "investor_country",
            "fortune500",
            "credit_class",
            "processing_trade",
            "processing_mode",
            "registered_capital",
            "capital_currency",
            "address",
            "established",
            "status",
            "status_date",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "status_date", "created_at", "updated_at"]
        # Uniqueness is checked by the service (model full_clean) so the message names the field.
        extra_kwargs = {"uscc": {"validators": [validate_uscc]}}

    def validate_uscc(self, value):
        return calc.normalize_code(value)

    def validate_customs_code(self, value):
        return calc.normalize_code(value or "")


class EnterpriseStatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Enterprise._meta.get_field("status").choices)
    date = serializers.DateField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ContactSerializer(serializers.ModelSerializer):
    enterprise = ScopedPrimaryKeyRelatedField(queryset=Enterprise.objects.all())
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)

    class Meta:
        model = EnterpriseContact
        fields = ["id", "enterprise", "name", "position", "phone", "email", "is_customs_contact"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not services.phone_visible(user, instance.enterprise):
            data["phone"] = calc.mask_phone(instance.phone)
        return data
