"""Attachments API: the same scope as the pages (an attachment is visible with its parent record);
uploads and deletes go through ``attachments.services`` (checked, audited)."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, parsers, permissions, viewsets
from rest_framework.decorators import action

from zonebook.core.api import MultiPartParser

from .. import services, uploads
from ..filtersets import AttachmentFilterSet
from ..models import Attachment
from ..views import file_response, parent_for
from .serializers import AttachmentSerializer


class AttachmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Files attached to records in the caller's scope.  ``POST`` (multipart: ``target``, ``file``,
    ``description``) attaches a file; the parent's write areas decide who may upload and delete."""

    queryset = Attachment.objects.all()
    serializer_class = AttachmentSerializer
    filterset_class = AttachmentFilterSet
    filter_backends = [DjangoFilterBackend]
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser, parsers.FormParser]

    def get_queryset(self):
        return Attachment.objects.for_user(self.request.user).select_related("content_type", "uploaded_by")

    def initialize_request(self, request, *args, **kwargs):
        if request.method == "POST":
            uploads.limit(request)  # before anything parses the body (the session CSRF check reads it)
        return super().initialize_request(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        error = uploads.too_large_error(request._request) if request.data is not None else None
        if error is not None:
            raise error
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        parent = parent_for(self.request.user, serializer.validated_data["target"])
        serializer.instance = services.attach(
            parent,
            serializer.validated_data["file"],
            by=self.request.user,
            description=serializer.validated_data.get("description", ""),
        )

    def perform_destroy(self, instance):
        services.delete(instance, by=self.request.user)

    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})  # the file's sniffed type
    @action(detail=True, methods=["get"], url_path="download", url_name="download")
    def download(self, request, pk=None):
        att = self.get_object()
        services.record_download(att, by=request.user)
        return file_response(att)
