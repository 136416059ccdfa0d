"""Columns of the investment lists, declared once for the page and the export."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from zonebook.core.formatting import number
from zonebook.core.lists import BaseTable, YesNoColumn, cap
from zonebook.core.table_render import choice_label

from .models import InvestmentEvent, Investor, PolicyTask, Project

NUM = {"td": {"class": "text-end text-nowrap"}, "th": {"class": "text-end"}}
NO_BOOST = {"a": {"hx-boost": "false"}}


class WanColumn(tables.Column):
    """An amount in 万元 with thousands separators on the page (the raw Decimal in exports)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return number(value, 2)

    def value(self, value):
        return value


def project_clock_light(project) -> str:
    """The worst light of the project's open post-signing clocks (prefetched ``deadlines``), by the SLA
    engine's light rule on the days left of its calendar-day policies."""
    from django.utils import timezone

    from zonebook.notify.lights import SEVERITY
    from zonebook.sla.services import light_of

    today = timezone.localdate()
    worst = ""
    for d in project.deadlines.all():
        if d.state == "stopped":
            continue
        remaining = (timezone.localtime(d.due_at).date() - today).days
        if timezone.now() > d.due_at:
            remaining = min(remaining, -1)
        code = light_of(remaining, d.policy.limit, d.policy.warn_pct, d.policy.red_pct)
        if SEVERITY.get(code, 0) > SEVERITY.get(worst, 0):
            worst = code
    return worst


class ProjectTable(BaseTable):
    number = tables.Column(
        verbose_name=cap(_("project number")),
        linkify=("investment:project_detail", {"pk": tables.A("pk")}),
        attrs=NO_BOOST,
    )
    name = tables.Column(verbose_name=cap(_("project name")))
    investor = tables.Column(
        verbose_name=cap(_("investor")), accessor="investor__name", order_by=("investor__name",)
    )
    zone = tables.Column(verbose_name=cap(_("zone")), accessor="zone__short_name", order_by=("zone__name",))
    industry = tables.Column(verbose_name=cap(_("industry")), accessor="industry__name", orderable=False)
    kind = tables.Column(verbose_name=cap(_("counting kind")))
    contracted_investment = WanColumn(verbose_name=cap(_("contracted investment (10k)")))
    currency = tables.Column(verbose_name=cap(_("currency")))
    contracted_cny = WanColumn(verbose_name=cap(_("contracted investment (10k RMB)")))
    funds_in_place_cny = WanColumn(verbose_name=cap(_("funds in place (10k RMB)")))
    counted_amount = WanColumn(verbose_name=cap(_("counted amount (10k RMB)")))
    signed_on = tables.DateColumn(verbose_name=cap(_("signed on")), format="Y-m-d")
    stage = tables.Column(verbose_name=cap(_("stage")))
    city_screening = tables.Column(verbose_name=cap(_("city screening")))
    light = tables.Column(verbose_name=cap(_("light")), empty_values=(), orderable=False)
    dedup_warning = tables.Column(verbose_name=cap(_("duplicate warning")), orderable=False)

    class Meta(BaseTable.Meta):
        model = Project
        fields = ()
        sequence = (
            "number",
            "name",
            "investor",
            "zone",
            "industry",
            "kind",
            "contracted_investment",
            "currency",
            "contracted_cny",
            "funds_in_place_cny",
            "counted_amount",
            "signed_on",
            "stage",
            "city_screening",
            "dedup_warning",
        )

    def render_kind(self, record):
        return choice_label(record, "kind")

    def render_stage(self, record):
        return choice_label(record, "stage")

    def render_city_screening(self, record):
        return choice_label(record, "city_screening")

    def render_light(self, record):
        from zonebook.notify.lights import light_badge

        code = project_clock_light(record)
        return light_badge(code) if code else "—"

    def value_light(self, record):
        from zonebook.notify.lights import light_info

        code = project_clock_light(record)
        return str(light_info(code).label) if code else ""

    def render_dedup_warning(self, value):
        return "⚠" if value else ""


class TransferProjectTable(ProjectTable):
    """重大转移项目库."""

    transfer_mode = tables.Column(verbose_name=cap(_("transfer mode")))
    transfer_from = tables.Column(verbose_name=cap(_("transferred from")))
    enclave = YesNoColumn(verbose_name=cap(_("enclave or co-built park (飞地)")))
    processing_trade = YesNoColumn(verbose_name=cap(_("processing trade")))
    jobs = tables.Column(verbose_name=cap(_("expected jobs")), attrs=NUM)

    class Meta(ProjectTable.Meta):
        sequence = (
            "number",
            "name",
            "investor",
            "zone",
            "industry",
            "transfer_mode",
            "transfer_from",
            "enclave",
            "processing_trade",
            "jobs",
            "contracted_cny",
            "funds_in_place_cny",
            "signed_on",
            "stage",
        )
        exclude = (
            "kind",
            "contracted_investment",
            "currency",
            "counted_amount",
            "city_screening",
            "dedup_warning",
        )

    def render_transfer_mode(self, record):
        return choice_label(record, "transfer_mode")


class InvestorTable(BaseTable):
    name = tables.Column(
        verbose_name=cap(_("name")),
        linkify=("investment:investor_detail", {"pk": tables.A("pk")}),
        attrs=NO_BOOST,
    )
    kind = tables.Column(verbose_name=cap(_("kind")))
    country = tables.Column(verbose_name=cap(_("country or region")))
    home_region = tables.Column(verbose_name=cap(_("home province or city")))
    parent_group = tables.Column(verbose_name=cap(_("parent group")))
    industry = tables.Column(verbose_name=cap(_("industry")), accessor="industry__name", orderable=False)
    fortune500 = YesNoColumn(verbose_name=cap(_("Fortune Global 500")))
    contact_name = tables.Column(verbose_name=cap(_("contact person")))
    project_count = tables.Column(verbose_name=cap(_("projects")), attrs=NUM)
    contact_count = tables.Column(verbose_name=cap(_("contacts")), attrs=NUM)

    class Meta(BaseTable.Meta):
        model = Investor
        fields = ()
        sequence = (
            "name",
            "kind",
            "country",
            "home_region",
            "parent_group",
            "industry",
            "fortune500",
            "contact_name",
            "project_count",
            "contact_count",
        )

    def render_kind(self, record):
        return choice_label(record, "kind")


class TargetEnterpriseTable(InvestorTable):
    """目标转移企业库: the investor columns plus the transfer signals."""

    products = tables.Column(verbose_name=cap(_("main products")))
    relocation_intent = tables.Column(verbose_name=cap(_("relocation intent")))
    processing_trade_share = tables.Column(verbose_name=cap(_("processing-trade share (%)")), attrs=NUM)
    workforce = tables.Column(verbose_name=cap(_("workforce")), attrs=NUM)
    priority = tables.Column(verbose_name=cap(_("priority (1 = highest)")), attrs=NUM)

    class Meta(InvestorTable.Meta):
        sequence = (
            "name",
            "parent_group",
            "home_region",
            "industry",
            "products",
            "relocation_intent",
            "processing_trade_share",
            "workforce",
            "priority",
            "contact_name",
            "project_count",
        )
        exclude = ("kind", "country", "fortune500", "contact_count")


class EventTable(BaseTable):
    date = tables.DateColumn(verbose_name=cap(_("date")), format="Y-m-d")
    kind = tables.Column(verbose_name=cap(_("kind")))
    title = tables.Column(verbose_name=cap(_("title")))
    place = tables.Column(verbose_name=cap(_("place")))
    participants = tables.Column(verbose_name=cap(_("participants")))
    leads = tables.Column(verbose_name=cap(_("leads gathered")), attrs=NUM)
    signed_projects = tables.Column(verbose_name=cap(_("projects signed")), attrs=NUM)

    class Meta(BaseTable.Meta):
        model = InvestmentEvent
        fields = ()
        sequence = ("date", "kind", "title", "place", "participants", "leads", "signed_projects")

    def render_kind(self, record):
        return choice_label(record, "kind")


class TaskTable(BaseTable):
    number = tables.Column(
        verbose_name=cap(_("task number")),
        linkify=("investment:task_detail", {"pk": tables.A("pk")}),
        attrs=NO_BOOST,
    )
    text = tables.Column(verbose_name=cap(_("task")))
    lead_units = tables.Column(verbose_name=cap(_("lead unit")), empty_values=(), orderable=False)
    responsible_units = tables.Column(
        verbose_name=cap(_("responsible units")), empty_values=(), orderable=False
    )
    deadline = tables.DateColumn(verbose_name=cap(_("deadline")), format="Y-m-d")
    recurrence = tables.Column(verbose_name=cap(_("reporting")))
    light = tables.Column(verbose_name=cap(_("light")), empty_values=(), orderable=False)
    report_count = tables.Column(verbose_name=cap(_("reports")), attrs=NUM)
    done = YesNoColumn(verbose_name=cap(_("completed")))

    class Meta(BaseTable.Meta):
        model = PolicyTask
        fields = ()
        sequence = (
            "number",
            "text",
            "lead_units",
            "responsible_units",
            "deadline",
            "recurrence",
            "light",
            "report_count",
            "done",
        )

    def _units(self, record, role):
        return "、".join(tu.unit.name for tu in record.task_units.all() if tu.role == role)

    def render_text(self, value):
        return value if len(value) <= 80 else value[:80] + "…"

    def value_text(self, value):
        return value

    def render_lead_units(self, record):
        return self._units(record, "lead")

    value_lead_units = render_lead_units

    def render_responsible_units(self, record):
        return self._units(record, "responsible")

    value_responsible_units = render_responsible_units

    def render_recurrence(self, record):
        return choice_label(record, "recurrence")

    def render_light(self, record):
        from zonebook.notify.lights import light_badge

        return light_badge(record.light) if getattr(record, "light", "") else "—"

    def value_light(self, record):
        from zonebook.notify.lights import light_info

        return light_info(record.light).label if getattr(record, "light", "") else ""
