"""``manage.py stats show --entity CODE --indicator CODE --period YYYY-MM [--basis cum|month] [--format json]``
prints a figure with its unit, YoY, share of the parent, target completion and ranks, so figures can
be checked without the UI.  ``manage.py stats recompute`` rebuilds the derived figures."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from zonebook.core.context import acting_as
from zonebook.stats import services
from zonebook.stats.models import Entity, Indicator


def _pct(p: dict, suffix: str = "%") -> str:
    if p["value"] is None:
        return f"— ({p['reason_text']})" if p["reason_text"] else "—"
    from decimal import Decimal

    return f"{Decimal(p['value']).quantize(Decimal('0.1'))} {suffix}"


class Command(BaseCommand):
    help = "Statistics: show one figure with YoY, share, target completion and ranks; recompute derived figures."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="print the figures of one entity, indicator and month")
        show.add_argument("--entity", required=True, help="entity code (e.g. CD-EPZ, P510000, CN)")
        show.add_argument("--indicator", required=True, help="indicator code (e.g. TRADE_USD)")
        show.add_argument("--period", required=True, help="YYYY-MM")
        show.add_argument("--basis", choices=["cum", "month"], default=None, help="year-to-date (default) or month")
        show.add_argument("--format", choices=["text", "json"], default="text")
        rec = sub.add_parser("recompute", help="rebuild every derived observation and figure")
        rec.add_argument("--year", type=int, action="append", dest="years",
                         help="only the derived values of this year and the figures they feed (repeatable)")

    def handle(self, *args, **opts):
        from django.utils import translation

        with translation.override("en"):  # the labels below are English; reasons follow them
            self._handle(**opts)

    def _handle(self, **opts):
        if opts["action"] == "recompute":
            with acting_as("command"):
                counts = services.recompute(years=opts.get("years"))
            self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
            return
        entity = Entity.objects.filter(code=opts["entity"]).first()
        if entity is None:
            raise CommandError(f"no entity with code {opts['entity']!r}")
        indicator = Indicator.objects.filter(code=opts["indicator"]).first()
        if indicator is None:
            raise CommandError(f"no indicator with code {opts['indicator']!r}")
        try:
            period = services.parse_period(opts["period"])
        except services.StatsError as e:
            raise CommandError(" ".join(e.messages)) from None
        f = services.figures(entity, indicator, period, opts["basis"]).as_dict()
        if opts["format"] == "json":
            self.stdout.write(json.dumps(f, ensure_ascii=False, indent=2))
            return
        ind = f["indicator"]
        w = self.stdout.write
        w(f"{f['entity']['name']} ({f['entity']['code']}) · {ind['name']} ({ind['code']}) · {f['period']} · {f['basis']}")
        w(f"value:        {f['value'] if f['value'] is not None else '—'} {ind['unit']}  [{f['provenance'] or '—'}]")
        w(f"prior year:   {f['prior_year'] if f['prior_year'] is not None else '—'} {ind['unit']}")
        w(f"YoY:          {_pct(f['yoy_pct'])}")
        w(f"2-year avg:   {_pct(f['two_year_avg_pct'])}")
        if f["parent"]:
            w(f"share of {f['parent']['name']}: {_pct(f['share_of_parent_pct'])} "
              f"(change {_pct(f['share_change_pp'], 'pp')})")
        for name, r in f["ranks"].items():
            w(f"rank ({name}): " + (f"{r['rank']} of {r['of']}" if r else "—"))
        for t in f["targets"]:
            comp = t["completion_pct"] if t["completion_pct"] is not None else "—"
            w(f"target {t['years']}: {t['target']} {ind['unit']} · completion {comp} % · time progress "
              f"{t['time_progress_pct']} % · ahead {t['ahead_pp'] if t['ahead_pp'] is not None else '—'} pp · {t['light'] or '—'}")
        if not f["targets"]:
            w("target:       — (no target set)")
        for d in f["definition_breaks"]:
            w(f"warning: the comparison with last year crosses a definition break ({d})")
