"""Registry API: scoped viewsets with the list pages' FilterSets; writes go through the services."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from zonebook.core.api import ScopedViewSetMixin

from .. import services
from ..filtersets import (
    ContactFilterSet,
    EnterpriseFilterSet,
    ParkFilterSet,
    ZoneFilterSet,
    ZoneStatusEventFilterSet,
)
from ..models import Enterprise, EnterpriseContact, Park, Zone, ZoneStatusEvent
from ..tables import enterprise_list_queryset, zone_list_queryset
from . import serializers as s


class RegistryViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    write_area = "registry"
    filter_backends = [DjangoFilterBackend]


class ZoneViewSet(
    RegistryViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Zones (园区) in the caller's scope; filters as on the zone list page (``sort`` orders)."""

    queryset = Zone.objects.all()
    serializer_class = s.ZoneSerializer
    filterset_class = ZoneFilterSet

    def get_queryset(self):
        return zone_list_queryset(self.request.user).select_related("customs_office")

    def perform_create(self, serializer):
        serializer.instance = services.create_zone(serializer.validated_data, by=self.request.user)

    def perform_update(self, serializer):
        services.update_zone(serializer.instance, serializer.validated_data, by=self.request.user)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


class ParkViewSet(
    RegistryViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    queryset = Park.objects.all()
    serializer_class = s.ParkSerializer
    filterset_class = ParkFilterSet

    def get_queryset(self):
        return super().get_queryset().distinct()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        zone = data.pop("zone")
        serializer.instance = services.create_park(zone, data, by=self.request.user)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("zone", None)
        services.update_park(serializer.instance, data, by=self.request.user)
        serializer.instance.refresh_from_db()


class ZoneStatusEventViewSet(
    RegistryViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin
):
    """Dated status history of zones (append-only: no update or delete)."""

    queryset = ZoneStatusEvent.objects.all()
    serializer_class = s.ZoneStatusEventSerializer
    filterset_class = ZoneStatusEventFilterSet

    def get_queryset(self):
        return super().get_queryset().distinct()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        zone = data.pop("zone")
        serializer.instance = services.add_zone_status_event(zone, **data, by=self.request.user)


class EnterpriseViewSet(
    RegistryViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Enterprises in the caller's scope; filters as on the enterprise list page."""

    queryset = Enterprise.objects.all()
    serializer_class = s.EnterpriseSerializer
    filterset_class = EnterpriseFilterSet

    def get_queryset(self):
        return enterprise_list_queryset(self.request.user).select_related(
            "investor_country", "capital_currency"
        )

    def perform_create(self, serializer):
        serializer.instance = services.create_enterprise(serializer.validated_data, by=self.request.user)

    def perform_update(self, serializer):
        services.update_enterprise(serializer.instance, serializer.validated_data, by=self.request.user)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(request=s.EnterpriseStatusChangeSerializer, responses=s.EnterpriseSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        enterprise = self.get_object()
        ser = s.EnterpriseStatusChangeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.change_enterprise_status(enterprise, **ser.validated_data, by=request.user)
        enterprise = self.get_queryset().get(pk=enterprise.pk)
        return Response(s.EnterpriseSerializer(enterprise, context=self.get_serializer_context()).data)


class ContactViewSet(RegistryViewSet, viewsets.ModelViewSet):
    """Contact persons; phone numbers are masked unless the caller is scoped to that enterprise or zone."""

    queryset = EnterpriseContact.objects.select_related("enterprise")
    serializer_class = s.ContactSerializer
    filterset_class = ContactFilterSet

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        enterprise = data.pop("enterprise")
        serializer.instance = services.add_contact(enterprise, data, by=self.request.user)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("enterprise", None)
        services.update_contact(serializer.instance, data, by=self.request.user)
        serializer.instance.refresh_from_db()

    def perform_destroy(self, instance):
        services.delete_contact(instance, by=self.request.user)
