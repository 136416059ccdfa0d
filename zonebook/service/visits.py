"""走访情况汇总表 (visit summary table) per officer and per enterprise for a period, enterprises not
visited for N days, and the liaison's own enterprises — set-based queries, plus the summary as a
``documents.content.Document`` in the office layout."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.utils import timezone

from zonebook.documents.content import Column, Document, Paragraph, Section, Table
from zonebook.registry.models import Enterprise

from .models import Liaison, ServiceRequest, Status, Visit


def _period(date_from: dt.date, date_to: dt.date) -> Q:
    return Q(date__gte=date_from, date__lte=date_to)


def by_officer(user, date_from: dt.date, date_to: dt.date) -> list[dict]:
    """Per officer: visits, enterprises covered, problems raised, solved, open (one query)."""
    visits = Visit.objects.for_user(user).filter(_period(date_from, date_to)).values("pk")
    through = Visit.officers.through
    closed = Q(visit__problems__status=Status.CLOSED)
    rows = (
        through.objects.filter(visit_id__in=visits)
        .values("user_id", "user__username", "user__first_name", "user__last_name")
        .annotate(
            visits=Count("visit_id", distinct=True),
            enterprises=Count("visit__enterprises", distinct=True),
            problems=Count("visit__problems", distinct=True),
            solved=Count("visit__problems", filter=closed & Q(visit__problems__solved=True), distinct=True),
            open=Count("visit__problems", filter=~closed & Q(visit__problems__isnull=False), distinct=True),
        )
        .order_by("-visits", "user__username")
    )
    out = []
    for r in rows:
        name = f"{r['user__last_name']}{r['user__first_name']}".strip() or r["user__username"]
        out.append({**r, "name": name})
    return out


def by_enterprise(user, date_from: dt.date, date_to: dt.date, *, only_visited: bool = True) -> list[dict]:
    """Per enterprise: visits in the period, last visit ever, problems raised on visits in the period,
    solved, open (one query)."""
    in_period = Q(visits__date__gte=date_from, visits__date__lte=date_to)
    problems = ServiceRequest.objects.filter(
        enterprise=OuterRef("pk"), visit__isnull=False, visit__date__gte=date_from, visit__date__lte=date_to
    ).order_by()
    def count(extra: Q):
        return Subquery(problems.filter(extra).values("enterprise").annotate(c=Count("id")).values("c")[:1])
    qs = (
        Enterprise.objects.for_user(user)
        .annotate(
            n_visits=Count("visits", filter=in_period, distinct=True),
            last_visit=Max("visits__date"),
            n_problems=count(Q()),
            n_solved=count(Q(status=Status.CLOSED, solved=True)),
            n_open=count(~Q(status=Status.CLOSED)),
        )
        .select_related("zone")
        .order_by("-n_visits", "name")
    )
    if only_visited:
        qs = qs.filter(n_visits__gt=0)
    return [
        {"enterprise": e, "name": e.name, "zone": e.zone.short_name or e.zone.name, "visits": e.n_visits,
         "last_visit": e.last_visit, "problems": e.n_problems or 0, "solved": e.n_solved or 0, "open": e.n_open or 0}
        for e in qs
    ]


def not_visited(user, days: int, today: dt.date | None = None):
    """Enterprises (in scope, in operation) whose last visit lies more than ``days`` days back, or never."""
    today = today or timezone.localdate()
    limit = today - dt.timedelta(days=days)
    return (
        Enterprise.objects.for_user(user)
        .annotate(last_visit=Max("visits__date"))
        .filter(Q(last_visit__lt=limit) | Q(last_visit__isnull=True))
        .select_related("zone")
        .order_by("last_visit", "name")
    )


def my_enterprises(officer, today: dt.date | None = None) -> list[dict]:
    """The liaison's current enterprises with last visit, open requests and overdue ones (one query)."""
    today = today or timezone.localdate()
    now = timezone.now()
    current = Liaison.objects.filter(officer=officer, valid_from__lte=today).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today)
    )
    open_q = ~Q(service_requests__status=Status.CLOSED)
    qs = (
        Enterprise.objects.filter(pk__in=current.values("enterprise_id"))
        .annotate(
            last_visit=Max("visits__date"),
            open_requests=Count("service_requests", filter=open_q, distinct=True),
            overdue_requests=Count(
                "service_requests",
                filter=open_q & Q(service_requests__due_at__lt=now)
                & ~Q(service_requests__status=Status.REVISIT),
                distinct=True,
            ),
            liaison_role=Subquery(current.filter(enterprise=OuterRef("pk")).values("role")[:1]),
        )
        .select_related("zone")
        .order_by("name")
    )
    return list(qs)


def officer_name(user_id) -> str:
    u = get_user_model().objects.filter(pk=user_id).first()
    return (u.get_full_name() or u.get_username()) if u else ""


def summary_document(office: str, date_from: dt.date, date_to: dt.date, officers: list[dict],
                     enterprises: list[dict], *, today: dt.date | None = None) -> Document:
    """走访情况汇总表 in the office layout: totals, the per-officer and the per-enterprise table."""
    today = today or timezone.localdate()
    n_visits = sum(r["visits"] for r in enterprises) if enterprises else 0
    covered = sum(1 for r in enterprises if r["visits"])
    problems = sum(r["problems"] for r in enterprises)
    solved = sum(r["solved"] for r in enterprises)
    period = f"{date_from.year}年{date_from.month}月{date_from.day}日至{date_to.year}年{date_to.month}月{date_to.day}日"
    summary = (
        f"{period}，共走访企业{covered}家、{n_visits}家次，收集问题{problems}个，已解决{solved}个，"
        f"正在办理{problems - solved}个。"
    )
    t_off = Table(
        [Column("序号", align="center"), Column("走访人员", align="left"), Column("走访次数"), Column("覆盖企业（家）"),
         Column("收集问题（个）"), Column("已解决"), Column("未办结")],
        [[i, r["name"], r["visits"], r["enterprises"], r["problems"], r["solved"], r["open"]]
         for i, r in enumerate(officers, 1)],
        caption="表1 按走访人员汇总",
    )
    t_ent = Table(
        [Column("序号", align="center"), Column("企业名称", align="left"), Column("所在园区", align="left"),
         Column("走访次数"), Column("最近走访", align="center"), Column("收集问题（个）"), Column("已解决"), Column("未办结")],
        [[i, r["name"], r["zone"], r["visits"], f"{r['last_visit']:%Y-%m-%d}" if r["last_visit"] else "—",
          r["problems"], r["solved"], r["open"]] for i, r in enumerate(enterprises, 1)],
        caption="表2 按企业汇总",
        total=["", "合计", "", n_visits, "", problems, solved, problems - solved],
    )
    return Document(
        kind="visit_summary", title="走访情况汇总表", office=office, date=today, subtitle=f"（{period}）",
        sections=[Section("总体情况", [Paragraph(summary)]), Section("按人员统计", [t_off]),
                  Section("按企业统计", [t_ent])],
    )
