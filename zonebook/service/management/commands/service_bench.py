"""Province-scale benchmark of the enterprise-service app (DESIGN.md §4, issue 18).

    manage.py service_bench generate   # +50,000 requests, +20,000 visits (set-based), open clocks
    manage.py service_bench run        # query counts and times of the request / visit lists,
                                       # p95 of the supervisor's overdue view, 简报 for 200 enterprises

Runs against the current database after the demo (zones, enterprises, users).  ``generate`` writes
with bulk inserts (bench data, no audit), marked with the number prefix ``SQB`` / topic ``[bench]``.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

REQUESTS = 50_000
VISITS = 20_000
BULLETIN_ENTERPRISES = 200
CHUNK = 5_000


class Command(BaseCommand):
    help = "Generate province-scale service data (generate) or measure the service pages and the 简报 (run)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["generate", "run"])
        parser.add_argument("--requests", type=int, default=REQUESTS)
        parser.add_argument("--visits", type=int, default=VISITS)
        parser.add_argument("--repeat", type=int, default=20)
        parser.add_argument("--skip-bulletin", action="store_true")
        parser.add_argument("--only-bulletin", action="store_true", help="measure only the 简报")
        parser.add_argument("--bulletin-runs", type=int, default=3,
                            help="compilations of the 简报: the first in this fresh process, then warm ones")

    def handle(self, action, **opts):
        if action == "generate":
            self.generate(opts["requests"], opts["visits"])
        else:
            self.run(opts["repeat"], bulletin=not opts["skip_bulletin"], only_bulletin=opts["only_bulletin"],
                     bulletin_runs=max(1, opts["bulletin_runs"]))

    # ------------------------------------------------------------------ data

    def generate(self, n_requests: int, n_visits: int) -> None:
        from zonebook.accounts.models import Unit, User
        from zonebook.registry.models import Enterprise
        from zonebook.service.models import Category, ServiceRequest, Visit
        from zonebook.sla.models import Deadline, SlaPolicy

        rng = random.Random(18)
        ents = list(Enterprise.objects.select_related("zone").only("id", "zone_id", "zone__province_code",
                                                                    "zone__city_code"))
        if not ents:
            raise CommandError("load the demo first (manage.py load_demo)")
        cats = list(Category.objects.filter(parent__isnull=False)) or list(Category.objects.all())
        units: dict[int, list[int]] = {}
        for u in Unit.objects.filter(zone__isnull=False).values("id", "zone_id"):
            units.setdefault(u["zone_id"], []).append(u["id"])
        officer = User.objects.filter(role__in=["zone_staff", "zone_leader"]).order_by("pk").first() or \
            User.objects.filter(role="system_admin").first()
        policy = SlaPolicy.objects.get(key="service.request.close")
        ct = ContentType.objects.get_for_model(ServiceRequest)
        now = timezone.now()
        start = ServiceRequest.objects.filter(number__startswith="SQB").count()
        t0 = time.perf_counter()
        with transaction.atomic():
            for lo in range(0, n_requests, CHUNK):
                rows, deadlines = [], []
                for i in range(lo, min(lo + CHUNK, n_requests)):
                    e = rng.choice(ents)
                    received = now - dt.timedelta(days=rng.uniform(0, 3 * 365))
                    open_ = rng.random() < 0.12
                    days = rng.choice([2, 3, 5, 8, 12, 16, 30])
                    zone_units = units.get(e.zone_id) or [None]
                    due = received + dt.timedelta(days=14)
                    r = ServiceRequest(
                        number=f"SQB{start + i:09d}", enterprise_id=e.pk, zone_id=e.zone_id, category=rng.choice(cats),
                        province_code=e.zone.province_code, city_code=e.zone.city_code,
                        title="[bench] 企业诉求", description="bench", channel=rng.choice(["liaison", "counter", "phone"]),
                        status=rng.choice(["dispatched", "in_progress", "result_review"]) if open_ else "closed",
                        received_at=received, lead_unit_id=rng.choice(zone_units), clock_policy=policy.key, due_at=due,
                        result="" if open_ else "已办结", solved=None if open_ else True,
                        closed_at=None if open_ else received + dt.timedelta(days=days),
                        closed_on_time=None if open_ else days <= 14,
                        satisfaction="" if open_ else rng.choice(["satisfied", "satisfied", "basically", "unsatisfied"]),
                    )
                    rows.append(r)
                ServiceRequest.objects.bulk_create(rows, batch_size=1000)
                created = ServiceRequest.objects.filter(number__in=[r.number for r in rows], status__in=[
                    "dispatched", "in_progress", "result_review"]).values_list("pk", "received_at", "due_at", "zone_id",
                                                                              "enterprise_id", "zone__province_code",
                                                                              "zone__city_code")
                for pk, received, due, zone_id, ent_id, prov, city in created:
                    deadlines.append(Deadline(content_type=ct, object_id=pk, policy=policy, started_at=received,
                                              due_at=due, legal_due_at=due, state="running", province_code=prov,
                                              city_code=city, zone_id=zone_id, enterprise_id=ent_id))
                Deadline.objects.bulk_create(deadlines, batch_size=1000)
            self.stdout.write(f"requests: {n_requests} in {time.perf_counter() - t0:.1f} s")
            t1 = time.perf_counter()
            through_o, through_e = Visit.officers.through, Visit.enterprises.through
            for lo in range(0, n_visits, CHUNK):
                batch = []
                picks = []
                for _i in range(lo, min(lo + CHUNK, n_visits)):
                    e = rng.choice(ents)
                    batch.append(Visit(zone_id=e.zone_id, date=(now - dt.timedelta(days=rng.uniform(0, 3 * 365))).date(),
                                       kind=rng.choice(["visit", "patrol", "call"]), topics="[bench] 走访",
                                       created_by=officer))
                    picks.append(e.pk)
                Visit.objects.bulk_create(batch, batch_size=1000)
                through_o.objects.bulk_create([through_o(visit_id=v.pk, user_id=officer.pk) for v in batch], batch_size=2000)
                through_e.objects.bulk_create([through_e(visit_id=v.pk, enterprise_id=p) for v, p in zip(batch, picks, strict=True)],
                                              batch_size=2000)
            self.stdout.write(f"visits: {n_visits} in {time.perf_counter() - t1:.1f} s")

    # ------------------------------------------------------------------ measurements

    def _page(self, client, url, repeat):
        times, queries = [], 0
        for _i in range(repeat):
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                r = client.get(url)
                times.append((time.perf_counter() - t) * 1000)
            if r.status_code != 200:
                raise CommandError(f"{url}: {r.status_code}")
            queries = len(ctx.captured_queries)
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        return queries, statistics.median(times), p95

    def run(self, repeat: int, bulletin: bool = True, only_bulletin: bool = False, bulletin_runs: int = 3) -> None:
        from zonebook.accounts.models import User
        from zonebook.service.models import ServiceRequest, Visit

        if "testserver" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        province = User.objects.filter(role="province_commerce", is_active=True).order_by("pk").first()
        if province is None:
            raise CommandError("no provincial user: load the demo first")
        client = Client()
        client.force_login(province)
        self.stdout.write(f"{connection.vendor}: {ServiceRequest.objects.count():,} requests, "
                          f"{Visit.objects.count():,} visits; province user {province.username}")
        if only_bulletin:
            self.bulletin(bulletin_runs)
            return
        self.stdout.write(f"{'page':<44}{'queries':>8}{'median ms':>11}{'p95 ms':>9}")
        for label, url in [
            ("request list (50 rows)", "/service/requests/"),
            ("request list, open + overdue filter", "/service/requests/?open=true&overdue=true"),
            ("visit list (50 rows)", "/service/visits/"),
            ("supervision: overdue view", "/service/supervision/"),
            ("request statistics by unit", "/service/statistics/?group=unit"),
        ]:
            client.get(url)  # warm-up
            q, med, p95 = self._page(client, url, repeat)
            self.stdout.write(f"{label:<44}{q:>8}{med:>11.1f}{p95:>9.1f}")
        if bulletin:
            self.bulletin(bulletin_runs)

    def bulletin(self, runs: int = 3) -> None:
        """简报 for 200 enterprises: 21 days of reports, compile (content) and render .docx + PDF."""
        from zonebook.documents.render import prepare, render_prepared
        from zonebook.registry.models import Enterprise, Zone
        from zonebook.service import monitoring
        from zonebook.service.models import Campaign, OperationReport

        admin = User_admin()
        zone = Zone.objects.order_by("pk").first()
        ents = list(Enterprise.objects.filter(zone=zone)[:BULLETIN_ENTERPRISES])
        with transaction.atomic():
            missing = BULLETIN_ENTERPRISES - len(ents)
            if missing > 0:
                base = Enterprise.objects.count()
                Enterprise.objects.bulk_create([
                    Enterprise(name=f"基准测试企业{base + i:04d}有限公司", uscc=f"91510100BENCH{base + i:05d}"[:18],
                               zone=zone) for i in range(missing)
                ])
                ents = list(Enterprise.objects.filter(zone=zone)[:BULLETIN_ENTERPRISES])
            today = timezone.localdate()
            campaign = Campaign.objects.create(title="[bench] 重点企业每日运行情况", zone=zone, start_date=today - dt.timedelta(days=20),
                                               end_date=today, office=str(zone))
            campaign.enterprises.set(ents)
            rng = random.Random(7)
            OperationReport.objects.bulk_create([
                OperationReport(campaign=campaign, enterprise=e, date=today - dt.timedelta(days=d),
                                state=rng.choice(["normal", "normal", "partial", "stopped"]), staff_expected=300,
                                staff_present=rng.randint(100, 300), output_value=Decimal(rng.randint(10, 900)),
                                imports_usd=Decimal(rng.randint(0, 90)), exports_usd=Decimal(rng.randint(0, 90)),
                                needs=rng.choice(["", "", "缺少普工", "物流受阻"]), submitted_at=timezone.now(),
                                submitted_by=admin, late=rng.random() < 0.05)
                for d in range(21) for e in ents if rng.random() > 0.02
            ], batch_size=2000)
            # the first compilation pays this process's imports (matplotlib, WeasyPrint) and font
            # loading once; a server's worker pays them once, then every 简报 costs the warm figure
            for n in range(runs):
                t, c = time.perf_counter(), time.process_time()
                doc = monitoring.bulletin(campaign, today)
                t_content = time.perf_counter() - t
                prep = prepare(doc)
                t_prep = time.perf_counter() - t
                docx = render_prepared(prep, "docx")
                t_docx = time.perf_counter() - t
                pdf = render_prepared(prep, "pdf")
                t_total, cpu = time.perf_counter() - t, time.process_time() - c
                self.stdout.write(
                    f"简报 for {len(ents)} enterprises (21 days), {'first (cold process)' if n == 0 else 'warm'}: "
                    f"content {t_content * 1000:.0f} ms, + charts {(t_prep - t_content) * 1000:.0f} ms, "
                    f"+ docx ({len(docx) // 1024} KiB) {(t_docx - t_prep) * 1000:.0f} ms, "
                    f"+ pdf ({len(pdf) // 1024} KiB, {prep.pdf_pages} pages) {(t_total - t_docx) * 1000:.0f} ms: "
                    f"total {t_total:.2f} s wall, {cpu:.2f} s CPU"
                )
            transaction.set_rollback(True)  # the bench campaign is not kept


def User_admin():  # noqa: N802 - a tiny helper kept next to its one use
    from zonebook.accounts.models import User

    return User.objects.filter(role="system_admin").order_by("pk").first()
