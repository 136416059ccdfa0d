"""Stats API: scoped values and ranking with the pages' FilterSets; the ``stats show`` figures."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from zonebook.core.api import ScopedViewSetMixin

from .. import services
from ..filtersets import FigureFilterSet, ObservationFilterSet
from ..models import Entity, Figure, Indicator, Observation


class ObservationSerializer(serializers.ModelSerializer):
    entity = serializers.SlugRelatedField(slug_field="code", read_only=True)
    indicator = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit = serializers.CharField(source="indicator.unit", read_only=True)
    currency = serializers.CharField(source="indicator.currency", read_only=True)
    period = serializers.DateField(format="%Y-%m")

    class Meta:
        model = Observation
        fields = ["id", "entity", "indicator", "period", "basis", "value", "unit", "currency", "provenance",
                  "source_ref", "fx_rate", "fx_note", "updated_at"]


class FigureSerializer(serializers.ModelSerializer):
    entity = serializers.SlugRelatedField(slug_field="code", read_only=True)
    indicator = serializers.SlugRelatedField(slug_field="code", read_only=True)
    period = serializers.DateField(format="%Y-%m")

    class Meta:
        model = Figure
        fields = ["entity", "indicator", "period", "basis", "value", "prior", "yoy_pct", "share_pct", "share_pp",
                  "rank_nation", "n_nation", "rank_region", "n_region", "rank_province", "n_province", "rank_type",
                  "n_type"]


class StatsViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    write_area = "stats"
    filter_backends = [DjangoFilterBackend]


class ObservationViewSet(StatsViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Statistical values (official and derived, with provenance) in the caller's scope."""

    queryset = Observation.objects.select_related("entity", "indicator").order_by("entity__name", "indicator__order", "ym")
    serializer_class = ObservationSerializer
    filterset_class = ObservationFilterSet


class FigureViewSet(StatsViewSet, mixins.ListModelMixin):
    """Derived figures (YoY, shares, ranks) of the entities in the caller's scope."""

    queryset = Figure.objects.select_related("entity", "indicator").order_by("ym", "rank_nation")
    serializer_class = FigureSerializer
    filterset_class = FigureFilterSet


class FiguresViewSet(viewsets.ViewSet):
    """The figures of ``manage.py stats show``: value with unit, YoY, share of the parent, ranks and
    target completion of one entity, indicator and month."""

    write_area = "stats"

    @extend_schema(
        parameters=[
            OpenApiParameter("entity", str, required=True), OpenApiParameter("indicator", str, required=True),
            OpenApiParameter("period", str, required=True, description="YYYY-MM"),
            OpenApiParameter("basis", str, enum=["cum", "month"]),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def list(self, request):
        entity = Entity.objects.for_user(request.user).filter(code=request.query_params.get("entity", "")).first()
        if entity is None:
            raise Http404(_("Not found."))
        indicator = Indicator.objects.filter(code=request.query_params.get("indicator", "")).first()
        if indicator is None:
            raise Http404(_("Not found."))
        try:
            period = services.parse_period(request.query_params.get("period", ""))
        except services.StatsError as e:
            raise ApiValidationError({"period": e.messages}) from None
        basis = request.query_params.get("basis") or None
        if basis not in (None, "cum", "month"):
            raise ApiValidationError({"basis": [_("Unknown basis %(basis)s.") % {"basis": basis}]})
        return Response(services.figures(entity, indicator, period, basis).as_dict())
