"""Investment API: projects (list, detail, create, update, milestones), investors, events, policy tasks
(with progress reports) and the statistics — scoped and filtered like the pages."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from zonebook.core.api import AuthenticatedPermission, ScopedViewSetMixin, WriteAreaPermission

from .. import policy, queries
from .. import services as svc
from ..filtersets import EventFilterSet, InvestorFilterSet, ProjectFilterSet, TaskFilterSet
from ..models import InvestmentEvent, Investor, MilestoneKind, PolicyTask, Project


class MilestoneSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MilestoneKind.choices)
    date = serializers.DateField()
    evidence = serializers.CharField(required=False, allow_blank=True, max_length=300)
    correction_reason = serializers.CharField(required=False, allow_blank=True, max_length=300)
    # a first signing refused as a capital increase entered as new (code increase_as_new, the original's
    # id in the error): record it as that project's capital increase, or say why it is a separate project
    as_increase_of = serializers.IntegerField(required=False, allow_null=True)
    separate_reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ProjectSerializer(serializers.ModelSerializer):
    milestones = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id",
            "number",
            "name",
            "kind",
            "parent",
            "investor",
            "industry",
            "build_kind",
            "zone",
            "park",
            "enterprise",
            "currency",
            "fx_rate",
            "planned_investment",
            "contracted_investment",
            "funds_in_place",
            "contracted_cny",
            "funds_in_place_cny",
            "source_region",
            "source_place",
            "fortune500",
            "china500",
            "lead_unit",
            "officer",
            "event",
            "transfer_mode",
            "transfer_from",
            "enclave",
            "processing_trade",
            "exclusion_category",
            "in_monthly_ledger",
            "counted",
            "counted_amount",
            "count_note",
            "dedup_warning",
            "stage",
            "signed_on",
            "registered_on",
            "started_on",
            "city_screening",
            "province_screening",
            "milestones",
        ]
        read_only_fields = [
            "contracted_cny",
            "funds_in_place_cny",
            "counted",
            "counted_amount",
            "count_note",
            "dedup_warning",
            "stage",
            "signed_on",
            "registered_on",
            "started_on",
            "city_screening",
            "province_screening",
            "milestones",
        ]
        extra_kwargs = {"number": {"required": False}}

    def get_fields(self):
        """Related choices from the user's scope (also what the browsable API's form offers)."""
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        from zonebook.accounts.models import Unit, User
        from zonebook.registry.models import Enterprise, Park, Zone

        for name, model in (
            ("zone", Zone),
            ("park", Park),
            ("enterprise", Enterprise),
            ("investor", Investor),
            ("lead_unit", Unit),
            ("parent", Project),
            ("event", InvestmentEvent),
            ("officer", User),
        ):
            f = fields.get(name)
            if f is not None and not f.read_only:
                f.queryset = model.objects.for_user(user) if user is not None else model.objects.none()
        return fields

    def get_milestones(self, obj) -> list[dict]:
        return [
            {"kind": m.kind, "date": m.date.isoformat(), "evidence": m.evidence} for m in obj.milestones.all()
        ]

    def _scoped(self, attrs):
        user = self.context["request"].user
        from zonebook.accounts.models import Unit
        from zonebook.registry.models import Enterprise, Park, Zone

        for name, model in (
            ("zone", Zone),
            ("park", Park),
            ("enterprise", Enterprise),
            ("investor", Investor),
            ("lead_unit", Unit),
            ("parent", Project),
            ("event", InvestmentEvent),
        ):
            obj = attrs.get(name)
            if obj is not None and not model.objects.for_user(user).filter(pk=obj.pk).exists():
                raise serializers.ValidationError({name: "not found"})
        return attrs

    def validate(self, attrs):
        return self._scoped(attrs)


class ProjectViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Investment projects (招商项目) in scope; ``milestones`` records a milestone (POST)."""

    write_area = svc.AREA
    permission_classes = [WriteAreaPermission]
    queryset = (
        Project.objects.select_related("zone").prefetch_related("milestones").order_by("-signed_on", "number")
    )
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilterSet
    filter_backends = [DjangoFilterBackend]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = svc.create_project(serializer.validated_data, by=self.request.user)

    def perform_update(self, serializer):
        svc.update_project(serializer.instance, serializer.validated_data, by=self.request.user)

    @extend_schema(request=MilestoneSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def milestones(self, request, pk=None):
        project = self.get_object()
        s = MilestoneSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        svc.record_milestone(
            project,
            d["kind"],
            d["date"],
            by=request.user,
            evidence=d.get("evidence", ""),
            correction_reason=d.get("correction_reason", ""),
            as_increase_of=d.get("as_increase_of"),
            separate_reason=d.get("separate_reason", ""),
        )
        project = self.get_queryset().get(pk=project.pk)
        return Response(
            ProjectSerializer(project, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


class InvestorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Investor
        fields = [
            "id",
            "name",
            "kind",
            "country",
            "home_region",
            "uscc",
            "industry",
            "parent_group",
            "fortune500",
            "china500",
            "contact_name",
            "products",
            "transfer_target",
            "relocation_intent",
            "processing_trade_share",
            "workforce",
            "priority",
            "zone",
            "city_code",
            "province_code",
        ]
        read_only_fields = ["zone", "city_code", "province_code"]


class InvestorViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Investors (客商资源库; ``transfer_target=true``: 目标转移企业库)."""

    write_area = svc.AREA
    permission_classes = [WriteAreaPermission]
    queryset = Investor.objects.order_by("name")
    serializer_class = InvestorSerializer
    filterset_class = InvestorFilterSet
    filter_backends = [DjangoFilterBackend]

    def perform_create(self, serializer):
        serializer.instance = svc.create_investor(serializer.validated_data, by=self.request.user)


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvestmentEvent
        fields = [
            "id",
            "kind",
            "title",
            "date",
            "end_date",
            "place",
            "participants",
            "leads",
            "investors",
            "zone",
        ]
        read_only_fields = ["zone", "investors"]


class EventViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Receptions, visits, trips and promotion events."""

    write_area = svc.AREA
    queryset = InvestmentEvent.objects.order_by("-date", "-id")
    serializer_class = EventSerializer
    filterset_class = EventFilterSet
    filter_backends = [DjangoFilterBackend]


class TaskSerializer(serializers.ModelSerializer):
    units = serializers.SerializerMethodField()

    class Meta:
        model = PolicyTask
        fields = [
            "id",
            "document",
            "number",
            "section",
            "text",
            "goal",
            "deadline",
            "recurrence",
            "done",
            "units",
        ]

    def get_units(self, obj) -> list[dict]:
        return [{"unit": tu.unit_id, "name": tu.unit.name, "role": tu.role} for tu in obj.task_units.all()]


class ReportSerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1)
    period = serializers.DateField()
    text = serializers.CharField()


class PolicyTaskViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Policy tasks with their lead and responsible units; ``report`` submits a unit's progress report
    (404 when the user belongs to none of the task's units)."""

    write_area = svc.AREA
    queryset = PolicyTask.objects.prefetch_related("task_units__unit").order_by("document_id", "id")
    serializer_class = TaskSerializer
    filterset_class = TaskFilterSet
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        return (
            policy.visible_tasks(self.request.user)
            .prefetch_related("task_units__unit")
            .order_by("document_id", "id")
        )

    @extend_schema(request=ReportSerializer, responses={201: None})
    @action(detail=True, methods=["post"], permission_classes=[AuthenticatedPermission])
    def report(self, request, pk=None):
        task = self.get_object()
        s = ReportSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        unit = policy.reportable_units(task, request.user).filter(pk=s.validated_data["unit"]).first()
        if unit is None:
            raise Http404
        r = policy.submit_report(
            task, unit, period=s.validated_data["period"], text=s.validated_data["text"], by=request.user
        )
        return Response({"id": r.pk, "on_time": r.on_time}, status=status.HTTP_201_CREATED)


class StatisticsViewSet(viewsets.ViewSet):
    """Project statistics of the user's scope: ``?year=&month=&group=zone|city|industry|source_region``."""

    @extend_schema(
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT),
            OpenApiParameter("month", OpenApiTypes.INT),
            OpenApiParameter("group", OpenApiTypes.STR, enum=["zone", "city", "industry", "source_region"]),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def list(self, request):
        today = timezone.localdate()
        try:
            year = int(request.query_params.get("year") or today.year)
            month = int(request.query_params.get("month") or 12)
        except ValueError:
            return Response({"detail": "year and month are whole numbers"}, status=400)
        if not (1990 <= year <= 2100 and 1 <= month <= 12):
            return Response({"detail": "year 1990-2100, month 1-12"}, status=400)
        stats = queries.project_statistics(
            Project.objects.for_user(request.user), year, month, request.query_params.get("group") or "zone"
        )
        for r in stats["rows"]:
            r.pop("zone__name", None)
        return Response(stats)
