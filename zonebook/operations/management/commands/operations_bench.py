"""``manage.py operations_bench``: province-scale gate and application data, and the figures of issue 17.

* generates (set-based, ``bulk_create``) ``--passes`` gate passes (default 300,000) with one released
  event each over 12 zones, and ``--applications`` business applications of one year (default 67,896
  = the seed's 2008 figures × 12 zones) with their handling figures;
* measures the gate-event API: ``--events`` (default 10,000) approved passes of one zone posted by
  ``--clients`` (default 4) parallel clients with the zone's machine token (full middleware, DRF,
  token authentication, checks, audit), printing p50/p95/p99/max and errors; then one retry per
  client (idempotent answers);
* times the annual statistics table (and the monthly and handling figures) for a province user.

Run it against its own database (``DATABASE_URL=postgres://…/zb_bench``): it writes a lot of rows.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import statistics
import time
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, connections, transaction
from django.utils import timezone

ZONES = 12
SEED_2008 = {"infra_material": 3500, "equipment_return": 708, "book_filing": 230, "packaging_waste": 370,
             "return": 780, "domestic_sale": 60, "carry_over": 10}


class Command(BaseCommand):
    help = "Generate province-scale gate/application data and measure the gate-event API and the annual table."

    def add_arguments(self, parser):
        parser.add_argument("--passes", type=int, default=300_000)
        parser.add_argument("--applications-scale", type=int, default=ZONES, help="zones' worth of the 2008 figures")
        parser.add_argument("--events", type=int, default=10_000)
        parser.add_argument("--clients", type=int, default=4)
        parser.add_argument("--skip-generate", action="store_true")

    def handle(self, *args, **opts):
        from zonebook.core.context import acting_as

        with acting_as("bench"):
            world = self._world()
            if not opts["skip_generate"]:
                t = time.perf_counter()
                n = self._passes(world, opts["passes"])
                self.stdout.write(f"generated {n:,} gate passes with events in {time.perf_counter() - t:.1f} s")
                t = time.perf_counter()
                n = self._applications(world, opts["applications_scale"])
                self.stdout.write(f"generated {n:,} applications in {time.perf_counter() - t:.1f} s")
            self._measure_events(world, opts["events"], opts["clients"])
            self._measure_stats(world)

    # ------------------------------------------------------------------ data

    def _world(self):
        from types import SimpleNamespace

        from zonebook.accounts import tokens
        from zonebook.accounts.choices import Role, ScopeLevel
        from zonebook.accounts.models import User
        from zonebook.registry.models import Enterprise, Zone

        from ...models import Vehicle

        zones, ents, vehicles = [], [], []
        kind = None
        from zonebook.registry.testing import code, next_uscc

        kind = code("zone_type", "FTZ", "综合保税区")
        for i in range(ZONES):
            z, _ = Zone.objects.get_or_create(name=f"基准综合保税区{i:02d}", defaults={
                "short_name": f"基准{i:02d}", "kind": kind, "province_code": "510000", "city_code": "510100",
                "status": "operating"})
            zones.append(z)
            e = Enterprise.objects.filter(zone=z).first() or Enterprise.objects.create(
                name=f"基准电子有限公司{i:02d}", uscc=next_uscc(), customs_code=f"51019{i:05d}", zone=z, status="operating")
            ents.append(e)
            v = Vehicle.objects.filter(zone=z).first() or Vehicle.objects.create(
                zone=z, plate=f"川B{i:05d}", tare_weight=15000, frame_weight=7000, owner="基准运输", enterprise=e)
            vehicles.append(v)
        admin = User.objects.filter(username="bench_admin").first() or User.objects.create(
            username="bench_admin", role=Role.ZONE_LEADER, scope_level=ScopeLevel.ZONE, zone=zones[0],
            province_code="510000", city_code="510100", can_manage_users=True, must_change_password=False)
        province = User.objects.filter(username="bench_province").first() or User.objects.create(
            username="bench_province", role=Role.PROVINCE, scope_level=ScopeLevel.PROVINCE, province_code="510000",
            must_change_password=False)
        _tok, raw = tokens.issue_token(name="基准卡口", zone=zones[0], areas=["ops"], by=admin)
        return SimpleNamespace(zones=zones, ents=ents, vehicles=vehicles, admin=admin, province=province, raw=raw)

    def _passes(self, world, total: int) -> int:
        from ...models import GateEvent, GatePass

        now = timezone.now()
        rnd = random.Random(7)
        made, batch = 0, 5000
        start = GatePass.objects.count()
        while made < total:
            n = min(batch, total - made)
            passes = []
            for k in range(n):
                i = start + made + k
                z = i % ZONES
                at = now - dt.timedelta(minutes=rnd.randint(60, 3 * 365 * 24 * 60))
                passes.append(GatePass(zone=world.zones[z], enterprise=world.ents[z], number=f"B{i:020d}",
                                       direction="I" if i % 2 else "E", pass_type="3", vehicle=world.vehicles[z],
                                       goods_weight=2000, total_weight=24000, status="2", approved_at=at, passed_at=at,
                                       weighed=24010))
            with transaction.atomic():
                created = GatePass.objects.bulk_create(passes)
                GateEvent.objects.bulk_create(
                    GateEvent(zone_id=p.zone_id, event_id=f"gen-{p.number}", pass_number=p.number, gate_pass=p,
                              gate_id="G1", direction=p.direction, at=p.passed_at, weight=p.weighed, result="released")
                    for p in created
                )
            made += n
        return made

    def _applications(self, world, scale: int) -> int:
        from ...models import Application, ApplicationType

        rnd = random.Random(11)
        year = timezone.localdate().year - 1
        types = {t.code: t for t in ApplicationType.objects.all()}
        handlers = [world.admin]
        rows = []
        for z in range(scale):
            zi = z % ZONES
            for code, n in SEED_2008.items():
                t = types[code]
                v = t.current
                for _ in range(n):
                    at = dt.datetime(year, 1, 1, 9, tzinfo=dt.UTC) + dt.timedelta(minutes=rnd.randint(0, 364 * 24 * 60))
                    days = rnd.choice([0, 1, 1, 2, 2, 3, 4, 6])
                    rows.append(Application(type=t, type_version=v, enterprise=world.ents[zi], zone=world.zones[zi],
                                            status="completed", submitted_at=at, decided_at=at, due_at=at,
                                            handling_days=days, on_time=days <= v.sla_policy.limit,
                                            handler=handlers[0], channel="online", number=f"BM{len(rows):08d}"))
        Application.objects.bulk_create(rows, batch_size=5000)
        return len(rows)

    # ------------------------------------------------------------------ figures

    def _measure_events(self, world, events: int, clients: int) -> None:
        from ... import gate
        from ...models import GatePass

        zone, vehicle = world.zones[0], world.vehicles[0]
        tag = f"M{int(time.time())}"
        passes = [GatePass(zone=zone, enterprise=world.ents[0], number=f"{tag}{i:010d}", direction="I", pass_type="6",
                           vehicle=vehicle, total_weight=22000, status="1", approved_at=timezone.now())
                  for i in range(events)]
        GatePass.objects.bulk_create(passes, batch_size=5000)
        _ = gate  # the API calls gate.record_event
        chunks = [[gp.number for gp in passes[i::clients]] for i in range(clients)]
        # one OS process per client (no shared GIL), each with its own database connection
        connections.close_all()
        ctx = multiprocessing.get_context("fork")
        t0 = time.perf_counter()
        with ctx.Pool(clients) as pool:
            results = pool.starmap(_client, [(k, chunks[k], world.raw) for k in range(clients)])
        wall = time.perf_counter() - t0
        times = [r[0] for r in results]
        errors = [r[1] for r in results]
        statuses = [r[2] for r in results]
        all_ms = sorted(x * 1000 for ts in times for x in ts)
        q = statistics.quantiles(all_ms, n=100)
        n_err = sum(len(e) for e in errors)
        merged = {}
        for s in statuses:
            for k, v in s.items():
                merged[k] = merged.get(k, 0) + v
        self.stdout.write(
            f"gate-event API on {connection.vendor}: {len(all_ms):,} events, {clients} clients, {wall:.1f} s wall "
            f"({len(all_ms) / wall:.0f}/s): p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms, p99 {q[98]:.1f} ms, "
            f"max {all_ms[-1]:.1f} ms; errors {n_err}; statuses {merged}")
        for e in [x for es in errors for x in es][:5]:
            self.stdout.write(f"  error: {e}")

    def _measure_stats(self, world) -> None:
        from ... import stats

        year = timezone.localdate().year - 1
        user = world.province
        for label, fn in [("annual table", lambda: stats.annual_table(user, year)),
                          ("annual xlsx", lambda: stats.annual_xlsx(user, year)),
                          ("monthly counts", lambda: stats.monthly_counts(user, year)),
                          ("handling figures", lambda: stats.handling(user, year))]:
            best = None
            for _ in range(3):
                t = time.perf_counter()
                out = fn()
                ms = (time.perf_counter() - t) * 1000
                best = ms if best is None else min(best, ms)
            size = len(out) if hasattr(out, "__len__") else ""
            self.stdout.write(f"{label}: {best:.1f} ms (best of 3) {size}")
        rows = stats.annual_table(user, year)
        self.stdout.write(stats.annual_sentence(year, rows))
        _ = Decimal


def _client(k: int, numbers: list[str], raw: str):
    """One gate system: posts its events one after the other, then retries its first one."""
    from django.test import Client

    connections.close_all()
    c = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    times, errors, statuses = [], [], {}
    for number in numbers:
        body = {"event_id": f"ev-{number}", "pass_number": number, "gate_id": f"G{k}", "direction": "I", "weight": "22050"}
        t = time.perf_counter()
        r = c.post("/api/operations/gate-events/", body, content_type="application/json")
        times.append(time.perf_counter() - t)
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        if r.status_code != 201:
            errors.append(f"{r.status_code} {r.content[:100]!r}")
    r = c.post("/api/operations/gate-events/", {"event_id": f"ev-{numbers[0]}", "pass_number": numbers[0],
                                                "gate_id": f"G{k}", "direction": "I"}, content_type="application/json")
    if r.status_code != 200:
        errors.append(f"retry {r.status_code}")
    connections.close_all()
    return times, errors, statuses
