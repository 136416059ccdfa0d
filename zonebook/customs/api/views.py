"""Customs API: a customs client drops INV101 messages and receipts (processed by the worker);
the receipt queue is read with the page's FilterSet."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, serializers, status, viewsets
from rest_framework.response import Response

from zonebook.core.api import ScopedViewSetMixin

from .. import jobs, xmlio
from ..filtersets import ReceiptFilterSet
from ..models import Receipt


class DropSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="One XML message (INV101, INV201, INV202) or a zip of many.")

    def validate_file(self, f):
        name = (f.name or "").lower()
        if not name.endswith(xmlio.XML_EXTENSIONS):
            raise serializers.ValidationError(_("Send an .xml message or a .zip of messages."))
        return f


class DropResultSerializer(serializers.Serializer):
    job = serializers.IntegerField()
    status_url = serializers.CharField()


class InboxViewSet(viewsets.ViewSet):
    """POST a file of customs messages: it is stored and processed by the worker (202 with the job)."""

    write_area = "ledger"
    parser_classes = [parsers.MultiPartParser]
    serializer_class = DropSerializer

    @extend_schema(request=DropSerializer, responses={202: DropResultSerializer})
    def create(self, request):
        ser = DropSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        f = ser.validated_data["file"]
        path = jobs.save_drop(f.chunks(), f.name)
        job = jobs.start(path, f.name, request.user)
        return Response(
            {"job": job.pk, "status_url": reverse("jobs:detail", kwargs={"pk": job.pk})},
            status=status.HTTP_202_ACCEPTED,
        )


class ReceiptSerializer(serializers.ModelSerializer):
    book = serializers.CharField(source="book.number", read_only=True)

    class Meta:
        model = Receipt
        fields = [
            "id",
            "message_id",
            "message_type",
            "book",
            "list_number",
            "internal_number",
            "status",
            "deduction",
            "receipt_time",
            "received_at",
            "state",
            "effect",
            "reason",
            "inventory_list",
        ]


class ReceiptViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Customs receipts; by default the queue (waiting or held), ``state=applied`` for the others."""

    queryset = Receipt.objects.select_related("book")
    serializer_class = ReceiptSerializer
    filterset_class = ReceiptFilterSet
    write_area = "ledger"
    ordering = ["received_at", "id"]
