"""Evaluation API: scheme versions (with categories, indicators, adjustments and notes), runs, and the
results of the caller's scope (a zone office gets its own zone's rows with their national and group
positions); one FilterSet with the pages."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, serializers, viewsets

from zonebook.core.api import ScopedViewSetMixin

from ..filtersets import ResultFilterSet, RunFilterSet
from ..models import Adjustment, Category, EntityResult, EvaluationRun, SchemeIndicator, SchemeVersion


class SchemeIndicatorSerializer(serializers.ModelSerializer):
    indicator = serializers.SlugRelatedField(slug_field="code", read_only=True)
    name = serializers.CharField(source="indicator.name", read_only=True)
    unit = serializers.CharField(source="indicator.unit", read_only=True)
    key = serializers.CharField(read_only=True)

    class Meta:
        model = SchemeIndicator
        fields = ["key", "indicator", "name", "unit", "measure", "weight", "group_weights", "direction", "normaliser",
                  "benchmark", "missing_rule", "note"]


class SchemeCategorySerializer(serializers.ModelSerializer):
    indicators = SchemeIndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = Category
        fields = ["code", "name", "weight", "indicators"]


class SchemeAdjustmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Adjustment
        fields = ["code", "name", "kind", "points", "cap"]


class SchemeVersionSerializer(serializers.ModelSerializer):
    scheme = serializers.SlugRelatedField(slug_field="code", read_only=True)
    scheme_name = serializers.CharField(source="scheme.name", read_only=True)
    categories = SchemeCategorySerializer(many=True, read_only=True)
    adjustments = SchemeAdjustmentSerializer(many=True, read_only=True)

    class Meta:
        model = SchemeVersion
        fields = ["id", "scheme", "scheme_name", "version", "label", "doc_no", "valid_from", "notes",
                  "weights_sum_100", "decimals", "groups", "grade_rules", "categories", "adjustments"]


class EvaluationRunSerializer(serializers.ModelSerializer):
    scheme = serializers.CharField(source="version.scheme.code", read_only=True)
    version = serializers.IntegerField(source="version.version", read_only=True)
    previous = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = EvaluationRun
        fields = ["code", "name", "scheme", "version", "exercise_year", "data_year", "entity_set", "n_entities",
                  "inputs_hash", "previous", "created_at"]


class EvaluationResultSerializer(serializers.ModelSerializer):
    run = serializers.SlugRelatedField(slug_field="code", read_only=True)
    entity = serializers.SlugRelatedField(slug_field="code", read_only=True)
    entity_name = serializers.CharField(source="entity.name", read_only=True)
    rank_change = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = EntityResult
        fields = ["run", "entity", "entity_name", "group", "base_score", "adjustment", "total", "disqualified",
                  "rank_nation", "n_nation", "rank_group", "n_group", "grade", "grade_group", "prev_total",
                  "prev_rank", "rank_change", "categories", "details", "rules_applied"]


class EvaluationViewSet(viewsets.GenericViewSet):
    write_area = "stats"
    filter_backends = [DjangoFilterBackend]


class VersionViewSet(EvaluationViewSet, mixins.ListModelMixin):
    """Scheme versions with their categories, indicators, weights, rules and assumptions."""

    queryset = (SchemeVersion.objects.select_related("scheme")
                .prefetch_related("categories__indicators__indicator", "adjustments").order_by("scheme__code", "version"))
    serializer_class = SchemeVersionSerializer


class RunViewSet(EvaluationViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Evaluation runs (scheme version, exercise and data year, fingerprint of the data used)."""

    queryset = EvaluationRun.objects.select_related("version__scheme", "previous").order_by("-exercise_year", "code")
    serializer_class = EvaluationRunSerializer
    filterset_class = RunFilterSet
    lookup_field = "code"


class ResultViewSet(ScopedViewSetMixin, EvaluationViewSet, mixins.ListModelMixin):
    """Results of the entities in the caller's scope (``?run=CODE``)."""

    queryset = EntityResult.objects.select_related("run", "entity").order_by("run_id", "rank_nation", "entity_id")
    serializer_class = EvaluationResultSerializer
    filterset_class = ResultFilterSet
