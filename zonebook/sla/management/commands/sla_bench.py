"""``manage.py sla_bench`` — the SLA engine's figures (issue 15):

* ``add_working_days`` for N items (default 100k) with the cached calendar (target ≤ 1 s);
* an escalation run over M open items (default 50k, each with one step due; target ≤ 5 s).

The escalation data is created inside a transaction that is rolled back: nothing is left behind.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from zonebook.notify.models import Notification
from zonebook.sla import services, workcal
from zonebook.sla.models import Deadline, Escalation, SlaPolicy


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Measure add_working_days over many items and one escalation run over many open items."

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, default=100_000)
        parser.add_argument("--open", type=int, default=50_000)
        parser.add_argument("--seed", type=int, default=15)

    def handle(self, *args, items, open, seed, **opts):
        rnd = random.Random(seed)
        workcal.clear()
        t0 = time.perf_counter()
        cal = workcal.get_calendar()
        build = time.perf_counter() - t0
        base = dt.date(2025, 1, 1)
        starts = [base + dt.timedelta(days=rnd.randrange(730)) for _ in range(items)]
        ns = [rnd.randrange(1, 61) for _ in range(items)]
        t0 = time.perf_counter()
        dues = cal.add_working_days_many(starts, ns)
        many = time.perf_counter() - t0
        sample = rnd.sample(range(items), min(items, 1000))
        assert all(dues[i] == cal.add_working_days(starts[i], ns[i]) for i in sample)
        self.stdout.write(f"calendar build (package + overrides, {cal._first}-{cal._last}): {build * 1000:.0f} ms")
        self.stdout.write(f"add_working_days x {items}: {many * 1000:.0f} ms (target <= 1000 ms)")
        try:
            with transaction.atomic():
                self._escalations(open)
                raise _Rollback
        except _Rollback:
            pass

    def _escalations(self, count: int) -> None:
        policy = SlaPolicy.objects.create(key="bench.sla", name="bench", legal_limit=10)
        step = policy.steps.create(order=1, delay=0, target="handler")
        later = policy.steps.create(order=2, delay=5, target="leader")
        ct = ContentType.objects.get_for_model(SlaPolicy)
        # 50 handlers: every fired step notifies its handler (the notify app's notifier is installed)
        User = get_user_model()
        handlers = User.objects.bulk_create([User(username=f"bench-sla-handler-{i}") for i in range(50)])
        if handlers[0].pk is None:
            handlers = list(User.objects.filter(username__startswith="bench-sla-handler-").order_by("pk"))
        now = timezone.now()
        due = now - dt.timedelta(hours=1)
        t0 = time.perf_counter()
        deadlines = Deadline.objects.bulk_create(
            [Deadline(content_type=ct, object_id=i, policy=policy, started_at=due - dt.timedelta(days=14),
                      due_at=due, legal_due_at=due, handler=handlers[i % len(handlers)]) for i in range(1, count + 1)],
            batch_size=5000,
        )
        Escalation.objects.bulk_create(
            [Escalation(deadline=d, step=s, target=s.target, fire_at=due if s is step else now + dt.timedelta(days=7))
             for d in deadlines for s in (step, later)],
            batch_size=5000,
        )
        setup = time.perf_counter() - t0
        if connection.vendor == "postgresql":  # what autovacuum does for committed data
            with connection.cursor() as cur:
                for model in (Deadline, Escalation, SlaPolicy):
                    cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        t0 = time.perf_counter()
        result = services.run_escalations(now)
        run = time.perf_counter() - t0
        assert result["fired"] == count, result
        self.stdout.write(f"escalation set-up: {count} open deadlines, {2 * count} steps in {setup * 1000:.0f} ms")
        notices = Notification.objects.filter(kind="sla.escalated").count()
        self.stdout.write(
            f"escalation run over {count} open items: {result['fired']} fired, {notices} digest notices "
            f"to {len(handlers)} handlers, "
            f"in {run * 1000:.0f} ms (target <= 5000 ms)"
        )
