"""Bulletins API: the scoped list (the page's FilterSet) with every visible version and its file
links; ``POST …/{id}/publish/`` publishes a version (same rules as the page)."""

from __future__ import annotations

from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from zonebook.core.api import ScopedViewSetMixin

from .. import services
from ..build import BulletinError
from ..filtersets import BulletinFilterSet
from ..models import Bulletin, BulletinVersion


class VersionSerializer(serializers.ModelSerializer):
    built_by = serializers.StringRelatedField()
    published_by = serializers.StringRelatedField()
    docx_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = BulletinVersion
        fields = ["version", "draft", "reviewed", "review_note", "built_at", "built_by", "published_at", "published_by",
                  "docx_size", "pdf_size", "docx_url", "pdf_url"]

    def _url(self, obj, fmt) -> str:
        request = self.context.get("request")
        url = reverse("bulletins:download", args=[obj.bulletin_id, obj.version, fmt])
        return request.build_absolute_uri(url) if request else url

    def get_docx_url(self, obj) -> str:
        return self._url(obj, "docx")

    def get_pdf_url(self, obj) -> str:
        return self._url(obj, "pdf")


class BulletinSerializer(serializers.ModelSerializer):
    scope = serializers.SlugRelatedField(slug_field="code", source="entity", read_only=True)
    scope_name = serializers.CharField(source="entity.name", read_only=True)
    period = serializers.CharField(source="period_label", read_only=True)
    published_version = serializers.IntegerField(source="published_version.version", read_only=True, allow_null=True)
    versions = serializers.SerializerMethodField()

    class Meta:
        model = Bulletin
        fields = ["id", "scope", "scope_name", "frequency", "period", "title", "number", "published_version",
                  "published_at", "versions"]

    @extend_schema(responses=VersionSerializer(many=True))
    def get_versions(self, obj) -> list[dict]:
        versions = [v for v in obj.versions.all() if obj.all_versions or v.published_at is not None]
        return VersionSerializer(versions, many=True, context=self.context).data


class PublishSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)


class BulletinViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Bulletins (通报) in the caller's scope with their versions (a city reading a province bulletin
    sees its published versions only)."""

    queryset = Bulletin.objects.select_related("entity", "published_version").order_by("-period", "entity__code")
    serializer_class = BulletinSerializer
    filterset_class = BulletinFilterSet
    filter_backends = [DjangoFilterBackend]
    write_area = "stats"

    def get_queryset(self):
        from django.db.models import BooleanField, Exists, OuterRef, Prefetch, Value

        qs = super().get_queryset().prefetch_related(
            Prefetch("versions", queryset=BulletinVersion.objects.select_related("built_by", "published_by")))
        scopes = services.scopes_for(self.request.user)
        if scopes.query.is_empty():
            return qs.annotate(all_versions=Value(False, output_field=BooleanField()))
        return qs.annotate(all_versions=Exists(scopes.filter(pk=OuterRef("entity_id"))))

    @extend_schema(request=PublishSerializer, responses=BulletinSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        bulletin = self.get_object()
        ser = PublishSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        version = bulletin.versions.filter(version=ser.validated_data["version"]).first()
        if version is None:
            raise NotFound()
        try:
            services.publish(version, by=request.user)
        except BulletinError as exc:
            raise ApiValidationError({"version": [str(exc)]}) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=bulletin.pk)).data)
