"""Service API: scoped viewsets with the list pages' FilterSets; every step goes through the services.

Enterprise users see their own enterprise's requests only (out of scope → 404) and never internal
notes.  The step rules (office, lead unit, unit head) are the services'; a refused role is 403.
"""

from __future__ import annotations

from django.db.models import Count
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from zonebook.core.api import ScopedViewSetMixin
from zonebook.core.errors import DomainError

from .. import services
from ..filtersets import LiaisonFilterSet, OperationReportFilterSet, RequestFilterSet, VisitFilterSet
from ..models import Campaign, Extension, Liaison, OperationReport, ServiceRequest, Visit
from ..tables import request_list_queryset
from . import serializers as s

ROLE_CODES = {"not_office", "not_lead_unit", "not_unit_head", "not_own_enterprise", "not_handler"}


class ServicePermission(permissions.IsAuthenticated):
    """Signed-in people (no machine clients); the services decide who may take which step."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and not getattr(request.user, "is_machine", False)


class OfficePermission(ServicePermission):
    """The office's records (visits, liaisons): on a detail route the scoped lookup comes first (an id
    out of scope is 404, never 403), then the role."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if view.kwargs.get(getattr(view, "lookup_url_kwarg", None) or view.lookup_field):
            return True
        return services.is_office(request.user)

    def has_object_permission(self, request, view, obj):
        return services.is_office(request.user)


def _run(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except DomainError as exc:
        if exc.code in ROLE_CODES:
            raise exceptions.PermissionDenied(str(exc.message)) from exc
        raise


class RequestViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """诉求 in the caller's scope; the filters of the request list page."""

    permission_classes = [ServicePermission]
    serializer_class = s.RequestSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = RequestFilterSet
    queryset = ServiceRequest.objects.all()

    def get_queryset(self):
        return request_list_queryset(self.request.user)

    def get_serializer_class(self):
        return {
            "create": s.RequestCreateSerializer,
            "dispatch_to": s.DispatchSerializer,
            "extension": s.ExtensionSerializer,
            "decide_extension": s.DecisionSerializer,
            "result": s.ResultSerializer,
            "review": s.DecisionSerializer,
            "revisit": s.RevisitSerializer,
        }.get(self.action, s.TextSerializer if self.action in STEP_ACTIONS else s.RequestSerializer)

    def _data(self, request):
        ser = self.get_serializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return ser.validated_data

    def _done(self, req):
        return Response(s.RequestSerializer(self.get_queryset().get(pk=req.pk)).data)

    def create(self, request):
        d = self._data(request)
        user = request.user
        enterprise = user.enterprise if services.is_enterprise_user(user) else d.get("enterprise")
        if enterprise is None:
            raise exceptions.ValidationError({"enterprise": ["This field is required."]})
        req = _run(services.receive, enterprise=enterprise, category=d["category"], title=d["title"],
                   description=d["description"], channel=d["channel"], contact_name=d["contact_name"],
                   contact_phone=d["contact_phone"], by=user)
        return Response(s.RequestSerializer(self.get_queryset().get(pk=req.pk)).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        """The request's history; internal notes only for the office and the units."""
        req = self.get_object()
        events = req.events.select_related("actor", "unit")
        if services.is_enterprise_user(request.user):
            events = events.filter(internal=False)
        return Response(s.EventSerializer(events, many=True).data)

    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_to(self, request, pk=None):
        req, d = self.get_object(), self._data(request)
        _run(services.dispatch, req, lead_unit=d["lead_unit"], co_units=d["co_units"], note=d["note"], by=request.user)
        return self._done(req)

    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        req = self.get_object()
        _run(services.sign, req, by=request.user)
        return self._done(req)

    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        req, d = self.get_object(), self._data(request)
        _run(services.return_request, req, reason=d["text"], by=request.user)
        return self._done(req)

    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        req, d = self.get_object(), self._data(request)
        _run(services.stage_reply, req, text=d["text"], next_date=d["next_date"], by=request.user)
        return self._done(req)

    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        req, d = self.get_object(), self._data(request)
        if services.is_enterprise_user(request.user):
            raise exceptions.PermissionDenied()
        _run(services.add_note, req, text=d["text"], by=request.user)
        return self._done(req)

    @action(detail=True, methods=["post"])
    def extension(self, request, pk=None):
        req, d = self.get_object(), self._data(request)
        _run(services.request_extension, req, days=d["days"], reason=d["reason"], by=request.user)
        return self._done(req)

    @action(detail=True, methods=["post"], url_path="decide-extension")
    def decide_extension(self, request, pk=None):
        req, d = self.get_object(), self._data(request)
        ext = req.extensions.filter(state=Extension.State.PENDING).first()
        if ext is None:
            raise exceptions.ValidationError({"detail": "There is no pending extension."})
        _run(services.decide_extension, ext, approve=d["approve"], note=d["note"], by=request.user)
        return self._done(req)

    @action(detail=True, methods=["post"])
    def result(self, request, pk=None):
        req, d = self.get_object(), self._data(request)
        _run(services.submit_result, req, result=d["result"], solved=d["solved"], by=request.user)
        return self._done(req)

    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        req, d = self.get_object(), self._data(request)
        _run(services.review_result, req, accept=d["approve"], note=d["note"], by=request.user)
        return self._done(req)

    @action(detail=True, methods=["post"])
    def revisit(self, request, pk=None):
        req, d = self.get_object(), self._data(request)
        _run(services.revisit, req, satisfaction=d["satisfaction"], attributable=d["attributable"],
             reason=d["reason"], by=request.user)
        return self._done(req)

    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        req, d = self.get_object(), self._data(request)
        _run(services.close, req, note=d["text"], by=request.user)
        return self._done(req)

    @action(detail=True, methods=["post"])
    def remind(self, request, pk=None):
        req, d = self.get_object(), self._data(request)
        _run(services.remind, req, text=d["text"], by=request.user)
        return self._done(req)


STEP_ACTIONS = {"sign", "return_", "reply", "note", "close", "remind", "events"}


class VisitViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """走访 / 园区巡查 (office only)."""

    permission_classes = [OfficePermission]
    serializer_class = s.VisitSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = VisitFilterSet
    queryset = Visit.objects.all()

    def get_queryset(self):
        return (super().get_queryset().annotate(problem_count=Count("problems", distinct=True))
                .prefetch_related("enterprises", "officers").order_by("-date", "-id"))

    def perform_create(self, serializer):
        d = serializer.validated_data
        problems = _run(services.parse_problems, "\n".join(d.get("problems") or []))
        visit = _run(services.record_visit, date=d["date"], kind=d["kind"], officers=d["officers"],
                     enterprises=d.get("enterprises", []), topics=d.get("topics", ""), findings=d.get("findings", ""),
                     problems=problems, by=self.request.user)
        serializer.instance = self.get_queryset().get(pk=visit.pk)


class LiaisonViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     viewsets.GenericViewSet):
    """定点联系 assignments with history (office only)."""

    permission_classes = [OfficePermission]
    serializer_class = s.LiaisonSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = LiaisonFilterSet
    queryset = Liaison.objects.all()

    def get_queryset(self):
        return super().get_queryset().select_related("enterprise", "officer")

    def perform_create(self, serializer):
        d = serializer.validated_data
        serializer.instance = _run(services.assign_liaison, enterprise=d["enterprise"], officer=d["officer"],
                                   role=d["role"], valid_from=d["valid_from"], note=d.get("note", ""),
                                   by=self.request.user)


class CampaignViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Operation-report campaigns (每日运行情况表) in scope; ``missing/?date=`` lists who has not reported."""

    permission_classes = [ServicePermission]
    serializer_class = s.CampaignSerializer
    queryset = Campaign.objects.all()

    def get_queryset(self):
        from ..models import Campaign

        return Campaign.objects.for_user(self.request.user).distinct().prefetch_related("enterprises")

    @action(detail=True, methods=["get"])
    def missing(self, request, pk=None):
        from django.utils.dateparse import parse_date

        from .. import monitoring

        campaign = self.get_object()
        day = parse_date(request.query_params.get("date") or "")
        if day is None:
            raise exceptions.ValidationError({"date": ["Give the date as YYYY-MM-DD."]})
        rows = monitoring.missing(campaign, day).values("id", "name")
        return Response(list(rows))


class OperationReportViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Daily (or monthly) operation reports; POST submits one — a second POST for the same campaign,
    enterprise and day updates it (``revision``), a late one is accepted and flagged."""

    permission_classes = [ServicePermission]
    serializer_class = s.OperationReportSerializer
    queryset = OperationReport.objects.all()
    filterset_class = OperationReportFilterSet
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        from ..models import OperationReport

        return OperationReport.objects.for_user(self.request.user).select_related("enterprise")

    def create(self, request, *args, **kwargs):
        from .. import monitoring
        from ..models import Campaign

        ser = self.get_serializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        campaign = Campaign.objects.for_user(request.user).filter(pk=d.pop("campaign").pk).distinct().first()
        if campaign is None:
            raise exceptions.NotFound()
        report = _run(monitoring.submit_report, campaign, d.pop("enterprise"), d.pop("date"), d, by=request.user)
        return Response(s.OperationReportSerializer(report).data, status=status.HTTP_201_CREATED)
