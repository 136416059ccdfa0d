"""Home dashboard card of province and city users: the latest run of each scheme with the best-placed
entities of the user's scope."""

from __future__ import annotations

from .models import EntityResult, EvaluationRun


def latest_panel(request) -> dict:
    latest = {}
    for r in EvaluationRun.objects.select_related("version__scheme").order_by("-exercise_year", "-created_at")[:20]:
        latest.setdefault(r.version.scheme_id, r)
    runs = list(latest.values())[:3]
    rows = []
    results = (EntityResult.objects.for_user(request.user).filter(run__in=runs).select_related("entity")
               .order_by("run_id", "rank_nation"))
    by_run: dict = {}
    for res in results:
        by_run.setdefault(res.run_id, [])
        if len(by_run[res.run_id]) < 3:
            by_run[res.run_id].append(res)
    for r in runs:
        rows.append({"run": r, "top": by_run.get(r.pk, [])})
    return {"rows": rows}
