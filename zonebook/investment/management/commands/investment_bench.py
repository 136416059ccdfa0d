"""``manage.py investment_bench`` — the figures of issue 19 on province-scale data.

Adds (inside a transaction that is rolled back: nothing is left behind) 5,000 projects with their
milestones over three years and 20,000 investors to the zones of the demo province (run after
``load_demo``), then measures:

* the project statistics page (``/investment/statistics/``, by zone, city and industry): p50 / p95 over
  ``--runs`` requests (goal p95 ≤ 200 ms);
* the number of queries of the project list, task list and statistics pages;
* the time to build the 调度 .docx for 100 policy tasks (content + ``documents.render``).

The bench rows are bulk-inserted (a generator, not user input); the measured code is the real one.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Generate 5k projects and 20k investors (rolled back) and measure the investment pages."

    def add_arguments(self, parser):
        parser.add_argument("--projects", type=int, default=5_000)
        parser.add_argument("--investors", type=int, default=20_000)
        parser.add_argument("--runs", type=int, default=40)
        parser.add_argument("--tasks", type=int, default=100)
        parser.add_argument("--seed", type=int, default=19)
        parser.add_argument("--province", default="510000")

    def handle(self, *args, projects, investors, runs, tasks, seed, province, **opts):
        from zonebook.accounts.models import User

        user = User.objects.filter(role="province_commerce", province_code=province, is_active=True).first()
        if user is None:
            raise CommandError(f"No provincial user of {province}: run load_demo first.")
        try:
            with transaction.atomic():
                self._run(user, projects, investors, runs, tasks, seed, province)
                raise _Rollback
        except _Rollback:
            self.stdout.write("bench rows rolled back")

    def _generate(self, rng, n_projects, n_investors, province):
        from zonebook.investment import calc
        from zonebook.investment.models import Investor, Milestone, Project
        from zonebook.registry.models import Code, Zone

        zones = list(Zone.objects.filter(province_code=province))
        if not zones:
            raise CommandError(f"No zones in province {province}: run load_demo first.")
        industries = list(
            Code.objects.filter(table__key="industry", level=2).values_list("pk", flat=True)
        ) or [None]
        t0 = time.perf_counter()
        Investor.objects.bulk_create(
            [
                Investor(
                    name=f"基准客商{i:05d}",
                    province_code=province,
                    country=rng.choice(["中国", "美国", "日本"]),
                    transfer_target=i % 7 == 0,
                    industry_id=rng.choice(industries),
                )
                for i in range(n_investors)
            ],
            batch_size=2000,
        )
        inv_ids = list(Investor.objects.filter(name__startswith="基准客商").values_list("pk", flat=True))
        today = timezone.localdate()
        rows, plans = [], []
        for i in range(n_projects):
            zone = zones[i % len(zones)]
            year = today.year - rng.randint(0, 2)
            signed = min(dt.date(year, rng.randint(1, 12), rng.randint(1, 28)), today)
            usd = rng.random() < 0.3
            rate = Decimal("6.9") if usd else Decimal(1)
            amount = Decimal(rng.randint(1000, 200000))
            funds = (amount * Decimal(rng.randint(0, 80)) / 100).quantize(Decimal("0.01"))
            kinds = ["lead", "talks", "signed"]
            reg = signed + dt.timedelta(days=rng.randint(10, 90))
            start = reg + dt.timedelta(days=rng.randint(10, 120))
            if reg <= today and rng.random() < 0.85:
                kinds.append("registered")
                if start <= today and rng.random() < 0.75:
                    kinds.append("started")
            cny = calc.to_cny(amount, rate)
            rows.append(
                Project(
                    number=f"BENCH{i:06d}",
                    name=f"基准项目{i}",
                    zone=zone,
                    investor_id=rng.choice(inv_ids),
                    industry_id=rng.choice(industries),
                    currency="USD" if usd else "CNY",
                    fx_rate=rate,
                    contracted_investment=amount,
                    funds_in_place=funds,
                    contracted_cny=cny,
                    funds_in_place_cny=calc.to_cny(funds, rate),
                    counted=True,
                    counted_amount=cny,
                    source_region=rng.choice(["foreign", "out_of_province", "out_of_city"]),
                    stage=calc.stage_from(kinds),
                    signed_on=signed,
                    registered_on=reg if "registered" in kinds else None,
                    started_on=start if "started" in kinds else None,
                )
            )
            plans.append((signed, reg, start, kinds))
        Project.objects.bulk_create(rows, batch_size=2000)
        ids = dict(Project.objects.filter(number__startswith="BENCH").values_list("number", "pk"))
        ms = []
        for p, (signed, reg, start, kinds) in zip(rows, plans, strict=True):
            dates = {
                "lead": signed - dt.timedelta(days=60),
                "talks": signed - dt.timedelta(days=30),
                "signed": signed,
                "registered": reg,
                "started": start,
            }
            for k in kinds:
                ms.append(
                    Milestone(
                        project_id=ids[p.number], kind=k, seq=calc.MILESTONE_ORDER.index(k), date=dates[k]
                    )
                )
        Milestone.objects.bulk_create(ms, batch_size=5000)
        return len(rows), len(ms), n_investors, time.perf_counter() - t0

    def _run(self, user, n_projects, n_investors, runs, n_tasks, seed, province):
        rng = random.Random(seed)
        n_p, n_m, n_i, secs = self._generate(rng, n_projects, n_investors, province)
        self.stdout.write(f"generated {n_p} projects, {n_m} milestones, {n_i} investors in {secs:.1f} s")
        c = Client()
        c.force_login(user)
        year = timezone.localdate().year
        lines = []
        for group in ("zone", "city", "industry"):
            url = f"/investment/statistics/?year={year}&month=12&group={group}"
            assert c.get(url).status_code == 200  # warm-up
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                r = c.get(url)
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200
            times.sort()
            p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
            lines.append(
                f"statistics page by {group:<9} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms"
                f"   (goal p95 ≤ 200 ms, {runs} requests)"
            )
        for url in (
            "/investment/",
            "/investment/tasks/",
            f"/investment/statistics/?year={year}&month=12",
            "/investment/investors/",
            "/investment/databases/transfers/",
        ):
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                assert c.get(url).status_code == 200
                ms = (time.perf_counter() - t) * 1000
            lines.append(f"{url:<45} {len(ctx.captured_queries):3d} queries  {ms:7.1f} ms")
        lines.append(self._dispatch(user, n_tasks, rng))
        for line in lines:
            self.stdout.write(line)

    def _dispatch(self, user, n_tasks, rng):
        from zonebook.accounts.models import Unit
        from zonebook.documents.render import render
        from zonebook.investment import policy

        units = list(Unit.objects.filter(province_code=user.province_code)[:6])
        if len(units) < 2:
            return "dispatch .docx: skipped (no units; run load_demo)"
        doc = policy.create_document(
            {"title": "基准调度文件", "issuer": "四川省商务厅", "issued_on": dt.date(2026, 1, 1)}, by=user
        )
        for i in range(n_tasks):
            policy.add_task(
                doc,
                {
                    "number": str(i + 1),
                    "text": f"第{i + 1}项任务：推进加工贸易转型升级，完善配套。",
                    "deadline": dt.date(2026, 12, 31),
                    "recurrence": "",
                },
                lead_units=[units[i % len(units)]],
                responsible_units=rng.sample(units, 2),
                by=user,
            )
        t = time.perf_counter()
        content = policy.dispatch_document(
            doc, policy.tasks_with_lights(doc.tasks.order_by("id")), office="四川省商务厅"
        )
        data = render(content, "docx")
        secs = time.perf_counter() - t
        return f"dispatch .docx for {n_tasks} tasks: {secs * 1000:.0f} ms ({len(data) // 1024} KiB)"
