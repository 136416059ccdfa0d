"""Operations API: applications (create, submit, act), stock notes, gate passes (create, approve) and
gate events (the gate system's machine token, zone-scoped, idempotent by event id)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from zonebook.core.api import ScopedViewSetMixin
from zonebook.core.errors import DomainError
from zonebook.registry.models import Enterprise

from .. import gate, queries, services
from ..filtersets import ApplicationFilterSet, ContainerFilterSet, GateEventFilterSet, GatePassFilterSet
from ..models import Application, ApplicationType, Container, GateEvent, GatePass, StockNote, Vehicle
from . import serializers as s


class ApplicationViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Business applications in the user's scope; ``POST`` files a draft (``submit: true`` submits it)."""

    queryset = Application.objects.all()
    serializer_class = s.ApplicationSerializer
    filterset_class = ApplicationFilterSet
    write_area = "ops"
    ordering = ["-submitted_at", "-id"]

    def get_queryset(self):
        return queries.applications(self.request.user).prefetch_related("lines", "steps__by") \
            if self.action == "retrieve" else queries.applications(self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return s.ApplicationInSerializer
        if self.action == "act":
            return s.ActSerializer
        return s.ApplicationDetailSerializer if self.action == "retrieve" else s.ApplicationSerializer

    def create(self, request, *args, **kwargs):
        ser = s.ApplicationInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        app_type = get_object_or_404(ApplicationType, code=d["type"], active=True)
        user = request.user
        if user.role == "enterprise":
            enterprise = user.enterprise
        else:
            enterprise = get_object_or_404(Enterprise.objects.for_user(user), pk=d.get("enterprise") or 0)
        try:
            app = services.create_application(app_type=app_type, enterprise=enterprise, data=d.get("data") or {},
                                              lines=d.get("lines") or [], by=user, carry_over=d.get("carry_over"),
                                              subject=d.get("subject", ""))
            if d.get("submit"):
                app = services.submit(app, by=user)
        except PermissionDenied:
            raise
        app = queries.applications(user).get(pk=app.pk)
        return Response(s.ApplicationSerializer(app).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        app = self.get_object()
        app = services.submit(app, by=request.user)
        return Response(s.ApplicationSerializer(queries.applications(request.user).get(pk=app.pk)).data)

    @action(detail=True, methods=["post"])
    def act(self, request, pk=None):
        app = self.get_object()
        ser = s.ActSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        app = services.act(app, ser.validated_data["action"], by=request.user, note=ser.validated_data.get("note", ""))
        return Response(s.ApplicationSerializer(queries.applications(request.user).get(pk=app.pk)).data)


class StockNoteViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """出入库单 (SAS111)."""

    queryset = StockNote.objects.all()
    serializer_class = s.StockNoteSerializer
    write_area = "ops"

    def get_serializer_class(self):
        return s.StockNoteInSerializer if self.action == "create" else s.StockNoteSerializer

    def get_queryset(self):
        return queries.with_note_usage(super().get_queryset()).prefetch_related("lines")

    def create(self, request, *args, **kwargs):
        ser = s.StockNoteInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        enterprise = get_object_or_404(Enterprise.objects.for_user(request.user), pk=d["enterprise"])
        try:
            note = gate.add_stock_note(enterprise=enterprise, number=d["number"], direction=d["direction"],
                                       lines=d["lines"], by=request.user)
        except (KeyError, ArithmeticError, ValueError) as exc:
            raise DomainError(f"invalid line: {exc}", code="invalid", field="lines") from exc
        note = queries.with_note_usage(StockNote.objects.filter(pk=note.pk)).prefetch_related("lines").get()
        return Response(s.StockNoteSerializer(note).data, status=status.HTTP_201_CREATED)


class ContainerViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """集装箱备案: the zone's container register (ISO 6346 numbers); ``POST`` files one (zone account)."""

    queryset = Container.objects.all()
    serializer_class = s.ContainerSerializer
    filterset_class = ContainerFilterSet
    write_area = "ops"
    ordering = ["number"]

    def get_queryset(self):
        return queries.containers(self.request.user)

    def create(self, request, *args, **kwargs):
        ser = s.ContainerSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        if request.user.scope_level != "zone":
            raise PermissionDenied("Containers are filed by a zone account.")
        d = ser.validated_data
        c = gate.add_container(zone=request.user.zone, number=d["number"], size_type=d["size_type"],
                               tare_weight=d["tare_weight"], owner=d["owner"], by=request.user)
        return Response(s.ContainerSerializer(c).data, status=status.HTTP_201_CREATED)


class GatePassViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """核放单 (SAS121): create with documents and lines, approve."""

    queryset = GatePass.objects.all()
    serializer_class = s.GatePassSerializer
    filterset_class = GatePassFilterSet
    write_area = "ops"

    def get_serializer_class(self):
        return s.GatePassInSerializer if self.action == "create" else s.GatePassSerializer

    def get_queryset(self):
        return queries.gate_passes(self.request.user)

    def create(self, request, *args, **kwargs):
        ser = s.GatePassInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        user = request.user
        if not user.zone_id:
            raise DomainError("a zone account creates gate passes", code="zone_required")
        vehicle = get_object_or_404(Vehicle.objects.for_user(user), zone_id=user.zone_id, plate=d["vehicle"].upper())
        enterprise = (get_object_or_404(Enterprise.objects.for_user(user), pk=d["enterprise"])
                      if d.get("enterprise") else None)
        gp = gate.create_pass(zone=user.zone, number=d["number"], direction=d["direction"], pass_type=d["pass_type"],
                              vehicle=vehicle, by=user, enterprise=enterprise, bind_type=d["bind_type"],
                              container_no=d.get("container_no", ""), container_weight=d["container_weight"],
                              goods_weight=d["goods_weight"], goods_kind=d["goods_kind"],
                              documents=d.get("documents") or [], lines=d.get("lines") or [])
        return Response(s.GatePassSerializer(gp).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        gp = gate.approve_pass(self.get_object(), by=request.user)
        return Response(s.GatePassSerializer(gp).data)


_EVENT_ANSWER = None


def _event_answer() -> s.GateEventSerializer:
    """One answer serializer per process with its fields built once: a ModelSerializer introspects
    the model for every new instance (~0.5 ms of the gate event's CPU); its ``to_representation``
    keeps no state between calls (the exceptions come on the event, not in the context)."""
    global _EVENT_ANSWER
    if _EVENT_ANSWER is None:
        answer = s.GateEventSerializer()
        _ = answer.fields
        _EVENT_ANSWER = answer
    return _EVENT_ANSWER


class GateEventViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """过卡 events.  ``POST`` by the gate system (Bearer machine token of the zone, area ``ops``):
    201 released, 202 held for the officer (a gate exception), 404 no such pass in the token's zone,
    409 pass not approved / cancelled / already used; a retry with the same ``event_id`` gets the same
    answer (200 instead of 201 for a release)."""

    queryset = GateEvent.objects.all()
    serializer_class = s.GateEventSerializer
    filterset_class = GateEventFilterSet
    write_area = "ops"

    def get_serializer_class(self):
        return s.GateEventInSerializer if self.action == "create" else s.GateEventSerializer

    def get_queryset(self):
        return super().get_queryset().prefetch_related("exceptions")

    def create(self, request, *args, **kwargs):
        ser = s.GateEventInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        user = request.user
        if not user.zone_id:
            raise DomainError("gate events come from a zone's gate system", code="zone_required")
        outcome = gate.record_event(zone=user.zone, event_id=d["event_id"], pass_number=d["pass_number"],
                                    gate_id=d["gate_id"], direction=d["direction"], at=d.get("at"),
                                    weight=d.get("weight"), photo_ref=d.get("photo_ref", ""), by=user)
        outcome.event.outcome_exceptions = outcome.exceptions
        data = _event_answer().to_representation(outcome.event)
        data["duplicate"] = not outcome.created
        return Response(data, status=outcome.http_status)


class FlowDeclarationViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """保税货物流转: one side of a flow; paired with its counterpart on arrival."""

    from ..models import FlowDeclaration

    queryset = FlowDeclaration.objects.all()
    serializer_class = s.FlowDeclarationSerializer
    write_area = "ops"

    def get_serializer_class(self):
        return s.FlowDeclarationInSerializer if self.action == "create" else s.FlowDeclarationSerializer

    def create(self, request, *args, **kwargs):
        from zonebook.registry.models import Zone

        from .. import flows

        ser = s.FlowDeclarationInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        enterprise = get_object_or_404(Enterprise.objects.for_user(request.user), pk=d["enterprise"])
        cz = get_object_or_404(Zone.objects.all(), pk=d["counterpart_zone"])
        decl = flows.declare(side=d["side"], enterprise=enterprise, list_number=d["list_number"],
                             counterpart_list=d["counterpart_list"], counterpart_zone=cz, hs_code=d["hs_code"],
                             qty=d["qty"], unit=d["unit"], declared_on=d["declared_on"], by=request.user)
        decl.refresh_from_db()
        return Response(s.FlowDeclarationSerializer(decl).data, status=status.HTTP_201_CREATED)


class EntryBatchViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """入区一次检验、出区分批核销: batches and their partial exits (``release``)."""

    from ..models import EntryBatch

    queryset = EntryBatch.objects.all()
    serializer_class = s.EntryBatchSerializer
    write_area = "ops"

    def get_serializer_class(self):
        if self.action == "create":
            return s.EntryBatchInSerializer
        return s.ReleaseSerializer if self.action == "release" else s.EntryBatchSerializer

    def create(self, request, *args, **kwargs):
        from .. import flows

        ser = s.EntryBatchInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        enterprise = get_object_or_404(Enterprise.objects.for_user(request.user), pk=d.pop("enterprise"))
        batch = flows.create_batch(enterprise=enterprise, by=request.user, **d)
        return Response(s.EntryBatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        from .. import flows

        batch = self.get_object()
        ser = s.ReleaseSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        flows.release(batch, ser.validated_data["qty"], by=request.user)
        batch.refresh_from_db()
        return Response(s.EntryBatchSerializer(batch).data)
