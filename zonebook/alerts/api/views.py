"""Alerts API: the deadline register and plausibility flags (scoped, read-only).  The user's own
notifications are served by ``zonebook.notify`` (``/api/notifications/``)."""

from __future__ import annotations

from rest_framework import viewsets

from zonebook.core.api import ScopedViewSetMixin

from .. import queries
from ..filtersets import AlertFilterSet, PlausibilityFlagFilterSet
from ..models import Alert, PlausibilityFlag
from .serializers import AlertSerializer, PlausibilityFlagSerializer


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
