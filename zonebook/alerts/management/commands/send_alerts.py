"""``manage.py send_alerts [--date YYYY-MM-DD] [--no-refresh]``: refresh the alert register and the
plausibility flags, then send the in-app notifications (idempotent; run it daily from cron)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Refresh alerts and plausibility flags and notify the responsible users (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="compute as of this date (default: today)")
        parser.add_argument(
            "--no-refresh", action="store_true", help="only notify from the current registers"
        )

    def handle(self, *args, date=None, no_refresh=False, **options):
        from zonebook.core.context import acting_as

        from ...services import send_due_alerts

        try:
            today = dt.date.fromisoformat(date) if date else None
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        with acting_as("command"):
            result = send_due_alerts(today, refresh=not no_refresh)
        self.stdout.write(", ".join(f"{k}={v}" for k, v in result.items()))
