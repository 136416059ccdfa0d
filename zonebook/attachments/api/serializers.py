from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import Attachment


class AttachmentSerializer(serializers.ModelSerializer):
    target = serializers.CharField(
        help_text="The record the file is attached to: ``app_label.model.id`` (e.g. ``registry.enterprise.12``)."
    )
    file = serializers.FileField(write_only=True, help_text=_("The file to attach."))
    mime = serializers.CharField(read_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    download_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id", "target", "file", "original_name", "kind", "mime", "size", "sha256", "description",
            "uploaded_by", "uploaded_at", "download_url", "thumbnail_url",
        ]
        read_only_fields = ["original_name", "kind", "size", "sha256", "uploaded_at"]

    def get_download_url(self, obj) -> str:
        return reverse("attachment-download", args=[obj.pk])

    def get_thumbnail_url(self, obj) -> str | None:
        return reverse("attachments:thumbnail", args=[obj.pk]) if obj.thumbnail else None
