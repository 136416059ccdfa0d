"""Alerts API: the deadline register and plausibility flags (scoped, read-only), and the user's own
notifications (list, mark read, mark all read)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from zonebook.core.api import AuthenticatedPermission, ScopedViewSetMixin

from .. import queries, services
from ..filtersets import AlertFilterSet, NotificationFilterSet, PlausibilityFlagFilterSet
from ..models import Alert, Notification, PlausibilityFlag
from .serializers import AlertSerializer, MarkedSerializer, NotificationSerializer, PlausibilityFlagSerializer


class AlertViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Deadline alerts (book expiry, write-off deadline, domestic-sale tax due); open ones unless ``state``."""

    queryset = Alert.objects.all()
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    ordering_fields = ["due_date", "kind", "id"]
    ordering = ["due_date", "id"]

    def get_queryset(self):
        return queries.alerts(self.request.user)


class PlausibilityFlagViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Consumption plausibility flags; open ones unless ``state``.  Peer values are never listed."""

    queryset = PlausibilityFlag.objects.all()
    serializer_class = PlausibilityFlagSerializer
    filterset_class = PlausibilityFlagFilterSet
    ordering_fields = ["deviation", "id"]
    ordering = ["id"]

    def get_queryset(self):
        return queries.flags(self.request.user)


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The requesting user's own notifications."""

    queryset = Notification.objects.all()
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    permission_classes = [AuthenticatedPermission]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return Notification.objects.for_user(self.request.user)

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        n = self.get_object()
        return Response({"marked": int(services.mark_read(n))})

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.mark_all_read(request.user)})
