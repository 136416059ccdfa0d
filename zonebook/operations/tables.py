"""Columns of the operations lists, declared once for the page and the xlsx/csv export."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import BaseTable, QuantityColumn, cap
from zonebook.core.table_render import choice_label
from zonebook.notify import lights

from . import queries
from .models import Application, Container, GateEvent, GatePass

NO_BOOST = {"a": {"hx-boost": "false"}}


class ApplicationTable(BaseTable):
    light = tables.Column(verbose_name=cap(_("traffic light")), empty_values=(), orderable=False)
    number = tables.Column(verbose_name=cap(_("application number")),
                           linkify=("operations:application_detail", {"pk": tables.A("pk")}), attrs=NO_BOOST)
    type = tables.Column(verbose_name=cap(_("type")), accessor="type__name", order_by=("type__order",))
    subject = tables.Column(verbose_name=cap(_("subject")))
    enterprise = tables.Column(verbose_name=cap(_("enterprise")), accessor="enterprise__name",
                               order_by=("enterprise__name",))
    zone = tables.Column(verbose_name=cap(_("zone")), accessor="zone__short_name", orderable=False)
    status = tables.Column(verbose_name=cap(_("status")))
    channel = tables.Column(verbose_name=cap(_("channel")))
    submitted_at = tables.DateTimeColumn(verbose_name=cap(_("submitted at")), format="Y-m-d H:i")
    due_at = tables.DateColumn(verbose_name=cap(_("due")), format="Y-m-d")
    handler = tables.Column(verbose_name=cap(_("handler")), accessor="handler", orderable=False)

    class Meta(BaseTable.Meta):
        model = Application
        fields = ()
        sequence = ("light", "number", "type", "subject", "enterprise", "zone", "status", "channel", "submitted_at",
                    "due_at", "handler")

    def render_light(self, record):
        code = queries.light_for(record)
        return lights.light_badge(code) if code else "—"

    def render_handler(self, value):
        return value.get_full_name() or value.get_username()

    def value_handler(self, value):
        return value.get_full_name() or value.get_username() if value else ""

    def value_light(self, record):
        code = queries.light_for(record)
        return lights.light_info(code).label if code else ""


class GatePassTable(BaseTable):
    number = tables.Column(verbose_name=cap(_("pass number")),
                           linkify=("operations:pass_detail", {"pk": tables.A("pk")}), attrs=NO_BOOST)
    direction = tables.Column(verbose_name=cap(_("direction")))
    pass_type = tables.Column(verbose_name=cap(_("pass type")))
    bind_type = tables.Column(verbose_name=cap(_("binding")))
    vehicle = tables.Column(verbose_name=cap(_("vehicle")), accessor="vehicle__plate", order_by=("vehicle__plate",))
    enterprise = tables.Column(verbose_name=cap(_("enterprise")), accessor="enterprise__name", orderable=False)
    total_weight = QuantityColumn(verbose_name=cap(_("declared total weight (kg)")))
    weighed = QuantityColumn(verbose_name=cap(_("weighbridge weight (kg)")))
    status = tables.Column(verbose_name=cap(_("status")))
    created_at = tables.DateTimeColumn(verbose_name=cap(_("created at")), format="Y-m-d H:i")
    passed_at = tables.DateTimeColumn(verbose_name=cap(_("passed at")), format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = GatePass
        fields = ()
        sequence = ("number", "direction", "pass_type", "bind_type", "vehicle", "enterprise", "total_weight",
                    "weighed", "status", "created_at", "passed_at")


class GateEventTable(BaseTable):
    at = tables.DateTimeColumn(verbose_name=cap(_("time")), format="Y-m-d H:i:s")
    gate_id = tables.Column(verbose_name=cap(_("gate")))
    stage = tables.Column(verbose_name=cap(_("stage")))
    direction = tables.Column(verbose_name=cap(_("direction")))
    pass_number = tables.Column(verbose_name=cap(_("pass number")))
    pass_status = tables.Column(verbose_name=cap(_("pass status")), accessor="gate_pass__status", orderable=False)
    weight = QuantityColumn(verbose_name=cap(_("weighbridge weight (kg)")))
    result = tables.Column(verbose_name=cap(_("result")))
    reason = tables.Column(verbose_name=cap(_("reason")))
    usage = tables.Column(verbose_name=cap(_("one document, several vehicles (一票多车)")), empty_values=(),
                          orderable=False)
    event_id = tables.Column(verbose_name=cap(_("event id")))

    class Meta(BaseTable.Meta):
        model = GateEvent
        fields = ()
        sequence = ("at", "gate_id", "stage", "direction", "pass_number", "pass_status", "weight", "result", "reason",
                    "usage", "event_id")

    def value_usage(self, record):
        if not record.gate_pass_id or record.gate_pass.bind_type != "3" or not getattr(record, "passes_bound", 0):
            return ""
        return queries.usage_label(record.passes_passed, record.passes_bound)

    def render_usage(self, record):
        return self.value_usage(record) or "—"

    def render_pass_status(self, record):
        return choice_label(record.gate_pass, "status") if record.gate_pass_id else "—"

    def value_pass_status(self, record):
        return choice_label(record.gate_pass, "status") if record.gate_pass_id else ""


class ContainerTable(BaseTable):
    number = tables.Column(verbose_name=cap(_("container no.")),
                           linkify=("operations:container_detail", {"pk": tables.A("pk")}), attrs=NO_BOOST)
    size_type = tables.Column(verbose_name=cap(_("size/type")))
    tare_weight = QuantityColumn(verbose_name=cap(_("container tare (kg)")))
    owner = tables.Column(verbose_name=cap(_("owner/operator")))
    zone = tables.Column(verbose_name=cap(_("zone")), accessor="zone__name", order_by=("zone__name",))
    passes = tables.Column(verbose_name=cap(_("gate passes")), accessor="pass_count", orderable=False)
    active = tables.BooleanColumn(verbose_name=cap(_("active")))

    class Meta(BaseTable.Meta):
        model = Container
        fields = ()
        sequence = ("number", "size_type", "tare_weight", "owner", "zone", "passes", "active")
