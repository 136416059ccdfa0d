"""Columns of the service lists, declared once for the page and the xlsx/csv export."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zonebook.core.lists import BaseTable, cap
from zonebook.core.table_render import choice_label
from zonebook.notify import lights as light_rule

from . import lights
from .models import Liaison, ServiceRequest, Visit


def person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def request_list_queryset(user):
    return ServiceRequest.objects.for_user(user).select_related(
        "enterprise", "zone", "category", "category__parent", "lead_unit"
    )


class RequestTable(BaseTable):
    number = tables.Column(verbose_name=cap(pgettext_lazy("service", "number")), linkify=True)
    received_at = tables.DateColumn(verbose_name=cap(_("received at")), format="Y-m-d")
    enterprise = tables.Column(verbose_name=cap(_("enterprise")), accessor="enterprise__name", order_by="enterprise__name")
    category = tables.Column(verbose_name=cap(_("category")), orderable=False)
    title = tables.Column(verbose_name=cap(_("subject")))
    channel = tables.Column(verbose_name=cap(_("channel")))
    status = tables.Column(verbose_name=cap(_("status")))
    lead_unit = tables.Column(verbose_name=cap(_("lead unit")), default="")
    due_at = tables.DateColumn(verbose_name=cap(_("due")), format="Y-m-d")
    light = tables.Column(verbose_name=_("Light"), accessor="pk", orderable=False)
    satisfaction = tables.Column(verbose_name=cap(_("satisfaction")), default="")

    class Meta(BaseTable.Meta):
        model = ServiceRequest
        fields = ()
        sequence = ("number", "received_at", "enterprise", "category", "title", "channel", "status", "lead_unit",
                    "due_at", "light", "satisfaction")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._policies = None

    def _light(self, record) -> str:
        if self._policies is None:
            self._policies = lights.policies()
        return lights.request_light(record, self._policies)

    def render_light(self, record):
        return lights.badge(self._light(record))

    def value_light(self, record):
        code = self._light(record)
        return str(light_rule.light_info(code).label) if code else ""

    def render_channel(self, record):
        return choice_label(record, "channel")

    def render_status(self, record):
        return choice_label(record, "status")

    def render_satisfaction(self, record):
        return choice_label(record, "satisfaction")


class VisitTable(BaseTable):
    date = tables.DateColumn(verbose_name=cap(_("date")), format="Y-m-d", linkify=True)
    kind = tables.Column(verbose_name=cap(_("kind")))
    zone = tables.Column(verbose_name=cap(_("zone")), accessor="zone__short_name", order_by="zone__name")
    enterprises = tables.Column(verbose_name=cap(_("enterprises")), accessor="pk", orderable=False)
    officers = tables.Column(verbose_name=cap(_("officers")), accessor="pk", orderable=False)
    topics = tables.Column(verbose_name=cap(_("topics")))
    problems = tables.Column(verbose_name=_("Problems raised"), accessor="problem_count", orderable=False)

    class Meta(BaseTable.Meta):
        model = Visit
        fields = ()
        sequence = ("date", "kind", "zone", "enterprises", "officers", "topics", "problems")

    def render_kind(self, record):
        return choice_label(record, "kind")

    def value_enterprises(self, record):
        return "、".join(e.name for e in record.enterprises.all())

    def render_enterprises(self, record):
        return self.value_enterprises(record)

    def value_officers(self, record):
        return "、".join(person(u) for u in record.officers.all())

    def render_officers(self, record):
        return self.value_officers(record)


class LiaisonTable(BaseTable):
    enterprise = tables.Column(verbose_name=cap(_("enterprise")), accessor="enterprise__name", order_by="enterprise__name")
    zone = tables.Column(verbose_name=cap(_("zone")), accessor="enterprise__zone__short_name", orderable=False)
    officer = tables.Column(verbose_name=cap(_("officer")), accessor="officer", orderable=False)
    role = tables.Column(verbose_name=cap(_("role")))
    valid_from = tables.DateColumn(verbose_name=cap(pgettext_lazy("period", "from")), format="Y-m-d")
    valid_to = tables.DateColumn(verbose_name=cap(pgettext_lazy("period", "until")), format="Y-m-d", default="")
    note = tables.Column(verbose_name=cap(_("note")), default="")

    class Meta(BaseTable.Meta):
        model = Liaison
        fields = ()
        sequence = ("enterprise", "zone", "officer", "role", "valid_from", "valid_to", "note")

    def render_officer(self, record):
        return person(record.officer)

    def value_officer(self, record):
        return person(record.officer)

    def render_role(self, record):
        return choice_label(record, "role")

    def render_enterprise(self, record):
        return format_html('<a href="{}">{}</a>', record.enterprise.get_absolute_url(), record.enterprise.name)
