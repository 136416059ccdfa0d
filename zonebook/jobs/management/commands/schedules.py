"""``manage.py schedules [--run-due]``: list the declared schedules with their last run and next
slot; ``--run-due`` claims every due slot and runs it here, once (a cron fallback, and for tests)."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "List scheduled jobs with last and next run; --run-due runs the due slots once, in this process."

    def add_arguments(self, parser):
        parser.add_argument(
            "--run-due", action="store_true", help="claim the due slots and run their jobs in this process"
        )

    def handle(self, *args, run_due=False, **options):
        from zonebook.core.context import acting_as
        from zonebook.jobs import schedules

        if run_due:
            with acting_as("command"):
                runs = schedules.run_due(execute=True)
            for run in runs:
                run.job.refresh_from_db()
                self.stdout.write(f"ran {run.schedule} slot {self._local(run.slot)}: {run.job.state}")
            if not runs:
                self.stdout.write("nothing due")
            return
        rows = [("name", "schedule", "last slot", "last state", "next run")]
        for st in schedules.status():
            last = st.last_run
            rows.append(
                (
                    st.schedule.name,
                    str(st.schedule.spec),
                    self._local(last.slot) if last else "-",
                    (st.last_state or "-") + (f" ({st.failures_in_a_row}x)" if st.failed else ""),
                    "due now" if st.due_now else self._local(st.next_run),
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        for r in rows:
            self.stdout.write("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())

    @staticmethod
    def _local(when) -> str:
        from zonebook.jobs.schedules import schedule_tz

        return f"{when.astimezone(schedule_tz()):%Y-%m-%d %H:%M}" if when else "-"
