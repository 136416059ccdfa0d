"""``manage.py run_scheduler [--interval SECONDS] [--once]``: the scheduler beside ``db_worker``.

Every few seconds it claims the due slots of the declared schedules (``jobs.schedules``) and
enqueues their Jobs, which the workers run.  Several schedulers may run at once (one per worker
host): each slot is claimed by one of them only.  Database errors are logged and retried at the
next tick, so a database restart does not stop the scheduler."""

from __future__ import annotations

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

logger = logging.getLogger("zonebook.jobs.schedules")


class Command(BaseCommand):
    help = "Start the jobs of due schedules (runs until stopped; --once: one tick)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=20.0, help="seconds between ticks (default 20)")
        parser.add_argument("--once", action="store_true", help="one tick, then exit")

    def handle(self, *args, interval=20.0, once=False, **options):
        from zonebook.core.context import acting_as
        from zonebook.jobs import schedules

        stopping = []
        if not once:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stopping.append(True))
            names = ", ".join(s.name for s in schedules.all_schedules()) or "none"
            self.stdout.write(f"scheduler {schedules.worker_id()} started; schedules: {names}")
        while True:
            try:
                with acting_as("scheduler"):
                    runs = schedules.run_due()
                for run in runs:
                    self.stdout.write(f"{run.schedule}: slot {run.slot.isoformat()} -> job {run.job_id}")
            except DatabaseError:
                logger.exception("scheduler tick failed; retrying at the next tick")
            if once:
                return
            deadline = time.monotonic() + max(1.0, interval)
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.5)
            if stopping:
                self.stdout.write("scheduler stopped")
                return
            close_old_connections()  # a connection broken by a database restart is reopened
