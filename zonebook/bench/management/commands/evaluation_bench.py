"""``manage.py evaluation_bench [--zones 250] [--indicators 30] [--repeat 5] [--whatif 30]``

Generates (once; ``--regenerate`` to rebuild) ``--zones`` statistical zones with ``--indicators``
annual indicators for 2024 and 2025 (about 4 % of the values missing, so every missing-value rule is
exercised) and a scheme version over them (six categories, every normaliser, the three missing-value
rules, growth rates, smaller-is-better indicators, per-group weights), then measures

* a full evaluation run (``evaluation.services.run``: values read from the statistics in one query,
  the land/growth derivations, the vectorised engine, 250 results and the audit entry written);
* the engine alone on the run's stored data (``services.compute``);
* the same computation written directly in DuckDB SQL over the same stored data (missing values,
  normalisers, weights with per-group overrides and exclusion rescaling, half-up rounding, competition
  ranks national and per group) — results are compared (every total to 1e-9 before rounding, every
  rounded total, national and group rank equal) before any time is printed;
* what-if: ``services.whatif`` with one value changed (p50/p95 over ``--whatif`` calls) and the
  what-if page as a province user (p50/p95).

Bench data lives under codes starting with ``EVB``; the runs it makes are deleted at the end.
"""

from __future__ import annotations

import random
import statistics
import time
from decimal import Decimal

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

PROVINCES = ["110000", "120000", "130000", "140000", "150000", "210000", "220000", "230000", "310000", "320000",
             "330000", "340000", "350000", "360000", "370000", "410000", "420000", "430000", "440000", "450000",
             "460000", "500000", "510000", "520000", "530000", "540000", "610000", "620000", "630000", "640000",
             "650000"]
NORMS = ["minmax", "efficacy", "zscore", "benchmark"]
RULES = ["zero", "median", "exclude"]

DUCK_SQL = """
WITH med AS (SELECT g, j, median(x) AS mg FROM v GROUP BY g, j),
nat AS (SELECT j, median(x) AS mn FROM v GROUP BY j),
filled AS (
  SELECT v.i, v.g, v.j,
         CASE WHEN v.x IS NOT NULL THEN v.x
              WHEN s.missing = 'zero' THEN 0.0
              WHEN s.missing = 'median' THEN coalesce(med.mg, nat.mn)
         END AS u
    FROM v JOIN s ON s.j = v.j
    LEFT JOIN med ON med.g = v.g AND med.j = v.j
    LEFT JOIN nat ON nat.j = v.j),
st AS (SELECT j, min(u) AS lo, max(u) AS hi, avg(u) AS mu, stddev_pop(u) AS sd FROM filled GROUP BY j),
sc AS (
  SELECT f.i, f.g, f.j, coalesce(gw.w, s.w) AS w,
    CASE
      WHEN f.u IS NULL THEN NULL
      WHEN s.norm IN ('minmax', 'efficacy') THEN
        (CASE WHEN st.hi = st.lo THEN 100.0
              WHEN s.higher THEN (f.u - st.lo) / (st.hi - st.lo) * 100.0
              ELSE (st.hi - f.u) / (st.hi - st.lo) * 100.0 END)
        * (CASE WHEN s.norm = 'efficacy' THEN 0.4 ELSE 1.0 END) + (CASE WHEN s.norm = 'efficacy' THEN 60.0 ELSE 0.0 END)
      WHEN s.norm = 'zscore' THEN
        CASE WHEN st.sd = 0 THEN 50.0
             ELSE greatest(0.0, least(100.0, 50.0 + 10.0 * (CASE WHEN s.higher THEN (f.u - st.mu) / st.sd
                                                                ELSE -((f.u - st.mu) / st.sd) END))) END
      ELSE
        CASE WHEN s.higher THEN
               CASE WHEN coalesce(s.bench, st.hi) > 0 THEN greatest(0.0, least(100.0, f.u / coalesce(s.bench, st.hi) * 100.0))
                    ELSE 100.0 END
             ELSE CASE WHEN f.u > 0 THEN greatest(0.0, least(100.0, coalesce(s.bench, st.lo) / f.u * 100.0))
                       ELSE 100.0 END END
    END AS score
  FROM filled f JOIN s ON s.j = f.j JOIN st ON st.j = f.j
  LEFT JOIN gw ON gw.j = f.j AND gw.g = f.g),
tot AS (
  SELECT i, g, coalesce(sum(CASE WHEN score IS NOT NULL THEN score / 100.0 * w ELSE 0.0 END)
                        * (sum(w) / nullif(sum(CASE WHEN score IS NOT NULL THEN w END), 0)), 0.0) AS exact
    FROM sc GROUP BY i, g),
r AS (SELECT i, g, exact,
             sign(round(exact * 100.0, 6)) * floor(abs(round(exact * 100.0, 6)) + 0.5) / 100.0 AS total FROM tot)
SELECT i, exact, total, rank() OVER (ORDER BY total DESC) AS rank_nation,
       rank() OVER (PARTITION BY g ORDER BY total DESC) AS rank_group
  FROM r ORDER BY i
"""


class Command(BaseCommand):
    help = "Benchmark an evaluation run (250 zones × 30 indicators) and the what-if response against DuckDB."

    def add_arguments(self, parser):
        parser.add_argument("--zones", type=int, default=250)
        parser.add_argument("--indicators", type=int, default=30)
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--whatif", type=int, default=30)
        parser.add_argument("--regenerate", action="store_true")

    def handle(self, *args, **o):
        try:
            import duckdb  # noqa: F401
        except ImportError:
            raise CommandError("duckdb is needed (pip install '.[bench]')") from None
        from zonebook.evaluation import services
        from zonebook.evaluation.models import EvaluationRun

        version, entities = self.generate(o["zones"], o["indicators"], o["regenerate"])
        from zonebook.accounts.models import User

        admin = User.objects.filter(is_superuser=True).first() or User.objects.filter(role="system_admin").first()
        if admin is None:
            raise CommandError("no administrator to run as (load the demo or create a superuser)")
        run_times, runs = [], []
        try:
            for _ in range(o["repeat"]):
                t = time.perf_counter()
                runs.append(services.run(version, exercise_year=2025, data_year=2025, by=admin, entities=entities,
                                         entity_set="bench"))
                run_times.append(time.perf_counter() - t)
            r = runs[-1]
            rows = services.indicators_of(version)
            eng_times = []
            for _ in range(o["repeat"]):
                t = time.perf_counter()
                out = services.compute(version, r.inputs, rows)
                eng_times.append(time.perf_counter() - t)
            duck_times, duck = self.duck(version, r.inputs, rows, o["repeat"])
            problems = self.compare(out, duck, r)
            if problems:
                for p in problems[:10]:
                    self.stderr.write(f"mismatch: {p}")
                raise CommandError(f"{len(problems)} results differ between the engine and DuckDB: no times printed")
            if any(services.stored(x) != services.stored(r) for x in runs):
                raise CommandError("two runs of the same data differ: no times printed")
            wi, page = self.whatif(r, o["whatif"])
        finally:
            EvaluationRun.objects.filter(pk__in=[x.pk for x in runs]).delete()
        w = self.stdout.write
        n_missing = sum(v is None for row in r.inputs["values"] for v in row)
        w(f"data: {len(entities)} zones × {len(rows)} indicators ({n_missing} values missing), {connection.vendor}")
        w(f"results equal: {len(entities)} totals (1e-9 before rounding, equal after), national and group ranks")
        w(f"{'what':<58}{'best':>10}{'median':>10}")
        w(f"{'evaluation run (read stats, compute, write results+audit)':<58}{min(run_times) * 1000:>8.0f}ms"
          f"{statistics.median(run_times) * 1000:>8.0f}ms")
        w(f"{'engine alone on the stored data (numpy)':<58}{min(eng_times) * 1000:>8.1f}ms"
          f"{statistics.median(eng_times) * 1000:>8.1f}ms")
        w(f"{'same computation in DuckDB SQL (data loaded)':<58}{min(duck_times) * 1000:>8.1f}ms"
          f"{statistics.median(duck_times) * 1000:>8.1f}ms")
        w(f"what-if service ({len(wi)} calls): p50 {statistics.median(wi) * 1000:.0f} ms, p95 {self.p95(wi) * 1000:.0f} ms")
        w(f"what-if page as province user ({len(page)} requests): p50 {statistics.median(page) * 1000:.0f} ms, "
          f"p95 {self.p95(page) * 1000:.0f} ms")

    @staticmethod
    def p95(xs):
        return sorted(xs)[max(0, int(len(xs) * 0.95) - 1)]

    # -- data ---------------------------------------------------------------------------------------------

    def generate(self, n_zones: int, n_ind: int, regenerate: bool):
        from zonebook.evaluation.models import Category, Scheme, SchemeIndicator, SchemeVersion
        from zonebook.stats.models import Entity, Indicator, Observation
        from zonebook.stats.regions import region_of

        if n_ind < 6:
            raise CommandError("at least 6 indicators")
        scheme = Scheme.objects.filter(code="EVB").first()
        ents = list(Entity.objects.filter(code__startswith="EVB-").select_related("zone").order_by("code"))
        if scheme and len(ents) == n_zones and not regenerate:
            v = scheme.versions.order_by("-version").first()
            if v and v.indicators.count() == n_ind:
                return v, ents
        with transaction.atomic():
            if scheme:
                from zonebook.evaluation.models import EvaluationRun

                EvaluationRun.objects.filter(version__scheme=scheme).delete()
                scheme.delete()
            Observation.objects.filter(entity__code__startswith="EVB-").delete()
            Entity.objects.filter(code__startswith="EVB-").delete()
            rnd = random.Random(250)
            inds = []
            for k in range(n_ind):
                ind, _ = Indicator.objects.get_or_create(
                    code=f"EVB_I{k + 1:02d}", defaults=dict(name=f"基准指标{k + 1:02d}", unit="亿元", source="zone",
                                                            periodicity="year", additive=True, order=900 + k))
                inds.append(ind)
            Entity.objects.bulk_create([
                Entity(code=f"EVB-{z + 1:04d}", name=f"基准园区{z + 1:04d}", level="zone",
                       province_code=PROVINCES[z % len(PROVINCES)], region=region_of(PROVINCES[z % len(PROVINCES)]),
                       zone_type="EVB") for z in range(n_zones)])
            ents = list(Entity.objects.filter(code__startswith="EVB-").order_by("code"))
            obs = []
            for e in ents:
                size = rnd.lognormvariate(3, 1)
                for ind in inds:
                    base = size * rnd.uniform(0.2, 2.0)
                    for year, f in ((2024, 1.0), (2025, rnd.uniform(0.85, 1.3))):
                        if rnd.random() < 0.04:
                            continue
                        obs.append(Observation(entity=e, indicator=ind, period=f"{year}-12-01", ym=year * 12 + 11,
                                               basis="cum", value=Decimal(f"{base * f:.4f}"), provenance="imported"))
            Observation.objects.bulk_create(obs, batch_size=5000)
            scheme = Scheme.objects.create(code="EVB", name="基准考评方案", kind="provincial", zone_types=["EVB"])
            v = SchemeVersion.objects.create(scheme=scheme, version=1, label="bench", weights_sum_100=True,
                                             groups={"east": "东部", "central": "中部", "west": "西部", "northeast": "东北"},
                                             grade_rules=[["A", "20"], ["B", "50"], ["C", "90"], ["D", None]])
            n_cat = 6 if n_ind % 6 == 0 else 5
            per = n_ind // n_cat
            weights = self.split(100, n_ind)
            cats = []
            for c in range(n_cat):
                lo = c * per
                hi = n_ind if c == n_cat - 1 else lo + per
                cats.append(Category.objects.create(version=v, code=f"c{c + 1}", name=f"类别{c + 1}", order=c,
                                                    weight=sum(weights[lo:hi])))
            for k, ind in enumerate(inds):
                c = min(k // per, n_cat - 1)
                gw = {}
                if k in (0, 1):  # per-group weights: the west weighs the first indicator more, the second less
                    gw = {"西部": str(weights[k] + (1 if k == 0 else -1))}
                SchemeIndicator.objects.create(
                    version=v, category=cats[c], indicator=ind, measure="yoy" if k % 10 == 9 else "value",
                    weight=weights[k], group_weights=gw, direction="lower" if k % 7 == 6 else "higher",
                    normaliser=NORMS[k % 4], missing_rule=RULES[k % 3],
                    benchmark=Decimal(30) if NORMS[k % 4] == "benchmark" and k % 8 == 3 else None, order=k)
        return v, list(Entity.objects.filter(code__startswith="EVB-").select_related("zone").order_by("code"))

    @staticmethod
    def split(total: int, n: int) -> list[Decimal]:
        base = Decimal(total) / n
        out = [base.quantize(Decimal("0.001")) for _ in range(n)]
        out[-1] += Decimal(total) - sum(out)
        return out

    # -- anchor -------------------------------------------------------------------------------------------

    def duck(self, version, data, rows, repeat):
        import duckdb
        import pyarrow as pa

        n, m = len(data["entities"]), len(data["keys"])
        groups = [e[3] for e in data["entities"]]
        xs = np.full((n, m), np.nan)
        for i, row in enumerate(data["values"]):
            for j, val in enumerate(row):
                if val is not None:
                    xs[i, j] = float(val)
        ii, jj = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
        flat = xs.ravel()
        v = pa.table({"i": ii.ravel(), "g": [groups[i] for i in ii.ravel()], "j": jj.ravel(),
                      "x": pa.array(flat, mask=np.isnan(flat))})
        s = pa.table({"j": list(range(m)), "w": [float(si.weight) for si in rows],
                      "higher": [si.direction == "higher" for si in rows], "norm": [si.normaliser for si in rows],
                      "missing": [si.missing_rule for si in rows],
                      "bench": pa.array([float(si.benchmark) if si.benchmark is not None else None for si in rows],
                                        type=pa.float64())})
        gw_rows = [(j, g, float(w)) for j, si in enumerate(rows) for g, w in (si.group_weights or {}).items()]
        gw = pa.table({"j": [r[0] for r in gw_rows], "g": [r[1] for r in gw_rows], "w": [r[2] for r in gw_rows]},
                      schema=pa.schema([("j", pa.int64()), ("g", pa.string()), ("w", pa.float64())]))
        con = duckdb.connect()
        con.register("v_src", v)
        con.register("s_src", s)
        con.register("gw_src", gw)
        con.execute("CREATE TABLE v AS SELECT * FROM v_src; CREATE TABLE s AS SELECT * FROM s_src; "
                    "CREATE TABLE gw AS SELECT * FROM gw_src")
        times, res = [], None
        for _ in range(repeat):
            t = time.perf_counter()
            res = con.execute(DUCK_SQL).fetchnumpy()
            times.append(time.perf_counter() - t)
        return times, res

    @staticmethod
    def compare(out, duck, run) -> list[str]:
        problems = []
        for i, e in enumerate(run.inputs["entities"]):
            if abs(out.exact[i] - duck["exact"][i]) > 1e-9:
                problems.append(f"{e[1]} exact {out.exact[i]!r} vs {duck['exact'][i]!r}")
            if out.total[i] != duck["total"][i]:
                problems.append(f"{e[1]} total {out.total[i]} vs {duck['total'][i]}")
            if out.rank_nation[i] != duck["rank_nation"][i] or out.rank_group[i] != duck["rank_group"][i]:
                problems.append(f"{e[1]} ranks {out.rank_nation[i]}/{out.rank_group[i]} vs "
                                f"{duck['rank_nation'][i]}/{duck['rank_group'][i]}")
        return problems

    # -- what-if ------------------------------------------------------------------------------------------

    def whatif(self, run, n):
        from django.test import Client

        from zonebook.accounts.models import User
        from zonebook.evaluation import services
        from zonebook.evaluation.models import EntityResult

        user = User.objects.filter(role="province_commerce").first() or User.objects.filter(is_superuser=True).first()
        visible = EntityResult.objects.for_user(user).filter(run=run).order_by("entity_id").first()
        if visible is None:
            raise CommandError("the what-if user sees no bench zone")
        e0 = next(e for e in run.inputs["entities"] if e[0] == visible.entity_id)
        key = run.inputs["keys"][0]
        service = []
        for k in range(n):
            t = time.perf_counter()
            services.whatif(run, values={(e0[0], key): Decimal(1000 + k)})
            service.append(time.perf_counter() - t)
        client = Client()
        client.force_login(user)
        page = []
        for k in range(n):
            t = time.perf_counter()
            r = client.get(f"/evaluation/runs/{run.code}/what-if/",
                           {"go": "1", "entity": e0[0], "v_0": str(1000 + k)}, HTTP_HOST="localhost")
            page.append(time.perf_counter() - t)
            if r.status_code != 200:
                raise CommandError(f"what-if page answered {r.status_code}")
        return service, page
