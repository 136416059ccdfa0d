"""Service API serializers: they validate input; the services write (and audit)."""

from __future__ import annotations

from rest_framework import serializers

from zonebook.accounts.models import Unit, User
from zonebook.core.api import IdField
from zonebook.registry.api.serializers import ScopedPrimaryKeyRelatedField
from zonebook.registry.models import Enterprise

from ..models import (
    Category,
    Channel,
    Liaison,
    LiaisonRole,
    RequestEvent,
    Satisfaction,
    ServiceRequest,
    Visit,
    VisitKind,
)


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    unit = serializers.StringRelatedField()

    class Meta:
        model = RequestEvent
        fields = ["id", "at", "kind", "actor", "unit", "text", "internal", "next_date"]


class RequestSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    category_code = serializers.CharField(source="category.code", read_only=True)
    lead_unit_name = serializers.CharField(source="lead_unit.name", read_only=True, default=None)

    class Meta:
        model = ServiceRequest
        fields = ["id", "number", "enterprise", "enterprise_name", "zone", "category", "category_code", "title",
                  "description", "channel", "status", "received_at", "lead_unit", "lead_unit_name", "due_at",
                  "extension_days", "result", "solved", "result_at", "satisfaction", "revisited_at",
                  "not_attributable", "closed_at", "closed_on_time", "reopen_count"]
        read_only_fields = fields


class RequestCreateSerializer(serializers.Serializer):
    enterprise = ScopedPrimaryKeyRelatedField(queryset=Enterprise.objects.all(), required=False)
    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.filter(active=True))
    title = serializers.CharField(max_length=200)
    description = serializers.CharField()
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, default="")
    contact_name = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)
    contact_phone = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)


class DispatchSerializer(serializers.Serializer):
    lead_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    co_units = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), many=True, required=False, default=list)
    note = serializers.CharField(required=False, default="", allow_blank=True)


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, default="", allow_blank=True)
    next_date = serializers.DateField(required=False, allow_null=True, default=None)


class ExtensionSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=60)
    reason = serializers.CharField(required=False, default="", allow_blank=True)


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=300)


class ResultSerializer(serializers.Serializer):
    result = serializers.CharField(required=False, default="", allow_blank=True)
    solved = serializers.BooleanField(required=False, default=False)


class RevisitSerializer(serializers.Serializer):
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)
    attributable = serializers.BooleanField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, default="", allow_blank=True)


class VisitSerializer(serializers.ModelSerializer):
    enterprises = ScopedPrimaryKeyRelatedField(queryset=Enterprise.objects.all(), many=True, required=False)
    officers = ScopedPrimaryKeyRelatedField(queryset=User.objects.all(), many=True)
    kind = serializers.ChoiceField(choices=VisitKind.choices)
    problems = serializers.ListField(child=serializers.CharField(), required=False, write_only=True, default=list,
                                     help_text="Lines 'CATEGORY-CODE problem'; each becomes a request.")
    problem_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Visit
        fields = ["id", "zone", "date", "kind", "enterprises", "officers", "topics", "findings", "problems",
                  "problem_count", "created_at"]
        read_only_fields = ["zone", "created_at"]


class LiaisonSerializer(serializers.ModelSerializer):
    enterprise = ScopedPrimaryKeyRelatedField(queryset=Enterprise.objects.all())
    officer = ScopedPrimaryKeyRelatedField(queryset=User.objects.all())
    role = serializers.ChoiceField(choices=LiaisonRole.choices)
    id = IdField(read_only=True)

    class Meta:
        model = Liaison
        fields = ["id", "enterprise", "officer", "role", "valid_from", "valid_to", "note"]
        read_only_fields = ["valid_to"]


class CampaignSerializer(serializers.ModelSerializer):
    class Meta:
        from ..models import Campaign

        model = Campaign
        fields = ["id", "title", "zone", "frequency", "start_date", "end_date", "due_time", "due_day", "enterprises"]
        read_only_fields = fields


class OperationReportSerializer(serializers.ModelSerializer):
    enterprise = ScopedPrimaryKeyRelatedField(queryset=Enterprise.objects.all())

    class Meta:
        from ..models import OperationReport

        model = OperationReport
        fields = ["id", "campaign", "enterprise", "date", "state", "staff_expected", "staff_present", "output_value",
                  "imports_usd", "exports_usd", "damage", "needs", "submitted_at", "late", "revision"]
        read_only_fields = ["submitted_at", "late", "revision"]
        validators = []  # a second submission for the same day updates the report (the service decides)
