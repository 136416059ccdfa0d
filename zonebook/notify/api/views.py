"""Notifications API: the requesting user's own notifications (list, read one, mark read, read all)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from zonebook.core.api import AuthenticatedPermission

from .. import services
from ..filtersets import NotificationFilterSet
from ..models import Notification
from .serializers import MarkedSerializer, NotificationSerializer


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The requesting user's own notifications (another user's are 404)."""

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
