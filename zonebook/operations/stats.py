"""Application statistics: counts per type per year and month, handling time in working days (average
and p90, stored per application when its SLA clock stops), on-time rate per type and per handler, and
the zone office's annual table (2008年共审批基建物资进区3,500单次 …)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count
from django.db.models.functions import ExtractMonth

from . import calc
from .choices import Status
from .models import Application, ApplicationType

DECIDED = (Status.COMPLETED, Status.REFUSED)


def year_qs(user, year: int):
    return Application.objects.for_user(user).filter(submitted_at__year=year)


def monthly_counts(user, year: int) -> list[dict]:
    """One row per type: its counts per month 1-12 and the year's total (one GROUP BY query)."""
    grid = defaultdict(lambda: [0] * 12)
    for row in (year_qs(user, year).annotate(m=ExtractMonth("submitted_at")).values("type_id", "m")
                .annotate(n=Count("id")).order_by()):
        grid[row["type_id"]][row["m"] - 1] = row["n"]
    types = ApplicationType.objects.order_by("order", "code")
    return [{"type": t, "months": grid[t.pk], "total": sum(grid[t.pk])} for t in types if t.pk in grid]


def handling(user, year: int) -> dict:
    """Handling figures of the applications decided (办结 or 不予受理) among those submitted in ``year``:
    per type and per handler — count, average and p90 working days, on-time rate."""
    rows = list(year_qs(user, year).filter(status__in=DECIDED, handling_days__isnull=False)
                .values_list("type_id", "handler_id", "handler__username", "handler__first_name", "handler__last_name",
                             "handling_days", "on_time"))
    by_type, by_handler, names = defaultdict(list), defaultdict(list), {}
    for type_id, handler_id, username, first, last, days, on_time in rows:
        by_type[type_id].append((days, on_time))
        by_handler[handler_id].append((days, on_time))
        names[handler_id] = f"{first} {last}".strip() or username or "—"

    def figures(items):
        days = [d for d, _ in items]
        return {"n": len(items), "avg": calc.mean(days), "p90": calc.percentile(days, 90),
                "on_time": calc.rate(sum(1 for _, ok in items if ok), len(items))}

    types = {t.pk: t for t in ApplicationType.objects.all()}
    return {
        "types": [{"type": types[k], **figures(v)} for k, v in sorted(by_type.items(), key=lambda kv: types[kv[0]].order)],
        "handlers": [{"handler": names[k], **figures(v)} for k, v in sorted(by_handler.items(), key=lambda kv: names[kv[0]])],
        "all": figures([x for v in by_type.values() for x in v]),
    }


def annual_table(user, year: int) -> list[dict]:
    """The office's annual table: per type, the applications approved (办结) that year (one query)."""
    counts = dict(year_qs(user, year).filter(status=Status.COMPLETED).values("type_id").annotate(n=Count("id"))
                  .order_by().values_list("type_id", "n"))
    return [{"type": t, "count": counts.get(t.pk, 0), "unit": t.unit_word}
            for t in ApplicationType.objects.order_by("order", "code") if counts.get(t.pk)]


def annual_sentence(year: int, rows: list[dict]) -> str:
    """“2008年共审批基建物资进区3,500单次；设备退运708单次；…”"""
    parts = [f"{r['type'].name}{r['count']:,}{r['unit']}" for r in rows]
    return f"{year}年共审批" + "；".join(parts) + "。" if parts else ""


def annual_xlsx(user, year: int, zone_name: str = "") -> bytes:
    from zonebook.core.exports import XlsxBook

    rows = annual_table(user, year)
    book = XlsxBook(constant_memory=False)
    ws = book.sheet(f"{year}年业务审批")
    ws.note(f"{zone_name}{year}年业务审批情况统计表", bold=True, size=14, span=4, align="center")
    ws.header(["序号", "业务类型", "审批数量", "计量单位"])
    ws.set_decimals([0, None, 0, None])
    for i, r in enumerate(rows, start=1):
        ws.row([i, r["type"].name, r["count"], r["unit"]])
    ws.row(["", "合计", sum(r["count"] for r in rows), ""], bold=True)
    ws.skip()
    ws.note(annual_sentence(year, rows))
    return book.bytes()
