from __future__ import annotations

from rest_framework import serializers

from ..models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    kind_label = serializers.CharField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_label",
            "title",
            "body",
            "params",
            "url",
            "object_type",
            "object_id",
            "created_at",
            "read_at",
        ]
        read_only_fields = fields


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
