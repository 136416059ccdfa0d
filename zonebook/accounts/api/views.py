"""Units API (read): the caller's units in scope with head, leaders and members."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, serializers, viewsets

from zonebook.core.api import ScopedViewSetMixin

from .. import units as svc
from ..filtersets import UnitFilterSet
from ..models import Unit, UnitMembership, User


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name"]

    def get_name(self, obj) -> str:
        return obj.get_full_name() or obj.username


class MembershipSerializer(serializers.ModelSerializer):
    user = PersonSerializer(read_only=True)

    class Meta:
        model = UnitMembership
        fields = ["id", "user", "role_in_unit", "title", "valid_from", "valid_to"]


class UnitSerializer(serializers.ModelSerializer):
    head = PersonSerializer(read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "name",
            "short_name",
            "kind",
            "parent",
            "scope_level",
            "province_code",
            "city_code",
            "zone",
            "head",
            "valid_from",
            "valid_to",
            "is_active",
        ]


class UnitDetailSerializer(UnitSerializer):
    members = MembershipSerializer(source="memberships", many=True, read_only=True)
    leaders = serializers.SerializerMethodField()

    class Meta(UnitSerializer.Meta):
        fields = [*UnitSerializer.Meta.fields, "members", "leaders"]

    def get_leaders(self, obj) -> list[dict]:
        return PersonSerializer(svc.unit_leaders(obj), many=True).data


class UnitViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Units (单位/部门) in the caller's scope, current ones unless ``inactive=true``; the detail adds
    members and the leaders above the head (the escalation step after the head)."""

    queryset = Unit.objects.select_related("head").order_by("name")
    filter_backends = [DjangoFilterBackend]
    filterset_class = UnitFilterSet

    def get_serializer_class(self):
        return UnitDetailSerializer if self.action == "retrieve" else UnitSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "retrieve":
            qs = qs.prefetch_related("memberships__user")
        return qs
