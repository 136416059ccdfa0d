"""效能督查: every overdue time limit of the requests in the reader's scope, with the responsible unit,
the stage, the deadline and the latest feedback — and the documents generated from it (催办通知书 for
one request, a circular draft for the whole list) as ``documents.content.Document``.

Overdue rows are the running ``sla.Deadline`` rows past their due time (the SLA engine's scoped
table, one indexed range), mapped to their requests: a request's close / complex clock, or the
sign-off, first-reply or redo clock of one of its dispatches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from django.utils import timezone

from zonebook.documents.content import Column, Document, Paragraph, Section, Table
from zonebook.sla.models import Deadline, Escalation

from . import lights
from .models import Assignment, EventKind, RequestEvent, ServiceRequest

FEEDBACK_KINDS = (EventKind.STAGE_REPLY, EventKind.CO_REPLY, EventKind.RESULT, EventKind.EXTENSION_REQUESTED)


@dataclass
class OverdueRow:
    deadline: Deadline
    request: ServiceRequest
    unit: object  # accounts.Unit or None (still with the office)
    stage: str
    overdue_days: int
    feedback: RequestEvent | None
    reminders: int
    escalated: bool = False


def overdue_deadlines(user, now: dt.datetime | None = None):
    """The running service clocks past due in ``user``'s scope, oldest due first (a queryset)."""
    now = now or timezone.now()
    cts = ContentType.objects.get_for_models(ServiceRequest, Assignment)
    return (
        Deadline.objects.for_user(user)
        .filter(state=Deadline.State.RUNNING, due_at__lt=now, content_type__in=list(cts.values()))
        .select_related("policy")
        .order_by("due_at", "id")
    )


def rows_for(deadlines, now: dt.datetime | None = None) -> list[OverdueRow]:
    """The page's rows for a slice of ``overdue_deadlines`` (a fixed number of queries)."""
    now = now or timezone.now()
    deadlines = list(deadlines)
    if not deadlines:
        return []
    ct_req = ContentType.objects.get_for_model(ServiceRequest)
    asg_ids = [d.object_id for d in deadlines if d.content_type_id != ct_req.pk]
    assignments = {a.pk: a for a in Assignment.objects.filter(pk__in=asg_ids).select_related("lead_unit")}
    req_ids = {d.object_id for d in deadlines if d.content_type_id == ct_req.pk}
    req_ids |= {a.request_id for a in assignments.values()}
    requests = {
        r.pk: r for r in ServiceRequest.objects.filter(pk__in=req_ids).select_related(
            "enterprise", "zone", "category", "category__parent", "lead_unit"
        )
    }
    feedback: dict[int, RequestEvent] = {}
    for ev in RequestEvent.objects.filter(request_id__in=req_ids, kind__in=FEEDBACK_KINDS).order_by("request_id", "at"):
        feedback[ev.request_id] = ev  # the latest wins
    reminders = dict(
        RequestEvent.objects.filter(request_id__in=req_ids, kind=EventKind.REMINDED).order_by()
        .values_list("request_id").annotate(n=Count("id"))
    )
    escalated = set(
        Escalation.objects.filter(deadline_id__in=[d.pk for d in deadlines], state=Escalation.State.FIRED)
        .values_list("deadline_id", flat=True)
    )
    out = []
    for d in deadlines:
        if d.content_type_id == ct_req.pk:
            req, unit = requests.get(d.object_id), None
            if req is not None:
                unit = req.lead_unit
        else:
            a = assignments.get(d.object_id)
            req, unit = (requests.get(a.request_id), a.lead_unit) if a else (None, None)
        if req is None:
            continue
        left = lights.remaining(d.policy, d.due_at, now)
        out.append(OverdueRow(d, req, unit, d.policy.name, -left if left < 0 else 0, feedback.get(req.pk),
                              reminders.get(req.pk, 0), d.pk in escalated))
    return out


# ------------------------------------------------------------------ documents


def _office_name(zone) -> str:
    from zonebook.accounts.models import Unit

    unit = Unit.objects.filter(zone=zone, kind="zone_office").first()
    return unit.name if unit else f"{zone.name}管理委员会"


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def reminder_notice(row: OverdueRow, *, today: dt.date | None = None) -> Document:
    """催办通知书 for one overdue request, to its responsible unit."""
    today = today or timezone.localdate()
    req = row.request
    due = timezone.localtime(row.deadline.due_at).date()
    unit = str(row.unit) if row.unit else str(req.first_receiver or "")
    office = _office_name(req.zone)
    lines = [
        Paragraph(
            f"你单位承办的{req.enterprise.name}“{req.title}”诉求（编号{req.number}，{req.category}），"
            f"{row.stage}应于{_cn_date(due)}前完成，截至{_cn_date(today)}已超期{row.overdue_days}个工作日。"
            f"请接到本通知后立即办理，于2个工作日内将办理情况书面反馈{office}；"
            f"逾期仍未办结的，将按规定予以通报。"
        ),
    ]
    if row.feedback is not None:
        lines.append(Paragraph(
            f"最近一次反馈（{_cn_date(timezone.localtime(row.feedback.at).date())}）：{row.feedback.text}"
        ))
    table = Table(
        [Column("编号", align="left"), Column("企业", align="left"), Column("诉求事项", align="left"),
         Column("受理时间", align="center"), Column("时限", align="left"), Column("应完成日期", align="center"),
         Column("超期（工作日）")],
        [[req.number, req.enterprise.name, req.title, f"{timezone.localtime(req.received_at):%Y-%m-%d}",
          row.stage, f"{due:%Y-%m-%d}", row.overdue_days]],
    )
    return Document(
        kind="reminder", title="催办通知书", office=office, date=today, recipients=unit,
        sections=[Section("催办事项", [*lines, table])],
        cc="效能督查组、分管领导",
    )


def office_for(user) -> str:
    """The issuing office of a user's documents: the zone office, else the user's scope."""
    zone = getattr(user, "zone", None)
    return _office_name(zone) if zone is not None else user.scope_label()


def circular_draft(rows: list[OverdueRow], *, title_scope: str, office: str = "", today: dt.date | None = None) -> Document:
    """通报 draft from the overdue list: totals, the units named, and the full table."""
    today = today or timezone.localdate()
    by_unit: dict[str, int] = {}
    for r in rows:
        name = str(r.unit) if r.unit else "受理窗口（未派单）"
        by_unit[name] = by_unit.get(name, 0) + 1
    ranked = sorted(by_unit.items(), key=lambda kv: (-kv[1], kv[0]))
    n_requests = len({r.request.pk for r in rows})
    summary = (
        f"截至{_cn_date(today)}，{title_scope}企业诉求中共有{len(rows)}项时限超期，涉及诉求{n_requests}件、"
        f"承办单位{len(by_unit)}个。"
    )
    if ranked:
        summary += "超期较多的单位：" + "、".join(f"{name}（{n}项）" for name, n in ranked[:3]) + "。"
    table = Table(
        [Column("序号", align="center"), Column("承办单位", align="left"), Column("诉求编号", align="left"),
         Column("企业", align="left"), Column("事项", align="left"), Column("时限", align="left"),
         Column("应完成日期", align="center"), Column("超期（工作日）"), Column("催办次数")],
        [[i, str(r.unit or "受理窗口"), r.request.number, r.request.enterprise.name, r.request.title, r.stage,
          f"{timezone.localtime(r.deadline.due_at):%Y-%m-%d}", r.overdue_days, r.reminders]
         for i, r in enumerate(rows, 1)],
    )
    return Document(
        kind="circular", title="关于企业诉求办理超期情况的通报（代拟稿）", date=today, office=office or title_scope,
        sections=[
            Section("基本情况", [Paragraph(summary)]),
            Section("超期事项清单", [table]),
            Section("下步要求", [Paragraph(
                "请上述单位于3个工作日内办结超期事项并书面说明超期原因；对再次超期或多次延期的，"
                "效能督查组将约谈单位主要负责人，并纳入年度目标考核。"
            )]),
        ],
    )
