"""``manage.py workdays add START N`` / ``manage.py workdays between A B`` — the installation's
working-day calendar (State Council arrangement + local overrides) from the command line."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from zonebook.sla import workcal


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}")


class Command(BaseCommand):
    help = "Working-day arithmetic: 'add START N' prints the N-th working day after START; 'between A B' counts working days in (A, B]."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="the N-th working day after START (N may be negative)")
        add.add_argument("start")
        add.add_argument("n", type=int)
        between = sub.add_parser("between", help="working days after A up to and including B")
        between.add_argument("a")
        between.add_argument("b")

    def handle(self, *args, action, **opts):
        if action == "add":
            day, provisional = workcal.add_working_days(_date(opts["start"]), opts["n"])
            out = day.isoformat()
        else:
            count, provisional = workcal.working_days_between(_date(opts["a"]), _date(opts["b"]))
            out = str(count)
        self.stdout.write(out + (" provisional" if provisional else ""))
