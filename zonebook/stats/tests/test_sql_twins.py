"""``sql.recompute`` (set-based) against ``reference`` (plain Python over ``calc``) on the same data."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection

from zonebook.stats import reference, services, sql
from zonebook.stats.models import Entity, ExchangeRate, Figure, FigureBlock, Indicator, Observation

from .conftest import ind, obs

pytestmark = pytest.mark.django_db
FIELDS = ("prior", "yoy_pct", "share_pct", "share_pp", "rank_nation", "n_nation", "rank_region", "n_region",
          "rank_province", "n_province", "rank_type", "n_type")


def _inputs():
    official = {
        (o.entity_id, o.indicator_id, o.ym, o.basis): o.value
        for o in Observation.objects.exclude(provenance="derived")
    }
    entities = {
        e.pk: dict(level=e.level, parent=e.parent_id, region=e.region, province=e.province_code, zone_type=e.zone_type)
        for e in Entity.objects.all()
    }
    ids = dict(Indicator.objects.values_list("code", "id"))
    indicators = {
        i.pk: dict(additive=i.additive, cumulative_only=i.cumulative_only, higher_is_better=i.higher_is_better,
                   currency=i.currency, twin=i.currency_twin_id,
                   formula=(i.formula["op"], ids[i.formula["args"][0]], ids[i.formula["args"][1]], D(i.formula["scale"]))
                   if i.formula else None)
        for i in Indicator.objects.all()
    }
    rates = {(r.ym, r.from_currency, r.to_currency): r.rate for r in ExchangeRate.objects.all()}
    return official, entities, indicators, rates


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    if connection.vendor == "postgresql":
        return D(a) == D(b)
    return abs(D(a) - D(b)) <= sql.TOLERANCE


def _check_against_reference(official, entities, indicators, rates) -> list:
    """Every value and figure in the database equals ``reference``'s; returns the figures."""
    expected_values = reference.derive(official, indicators, rates)
    got_values = {(o.entity_id, o.indicator_id, o.ym, o.basis): o.value for o in Observation.objects.all()}
    assert got_values.keys() == expected_values.keys()
    bad = [(k, got_values[k], expected_values[k]) for k in got_values if not close(got_values[k], expected_values[k])]
    assert not bad, bad[:5]
    expected = reference.figures(expected_values, entities, indicators)
    got = {(f.entity_id, f.indicator_id, f.ym, f.basis): f for f in Figure.objects.all()}
    assert got.keys() == expected.keys()
    mismatches = []
    for key, f in got.items():
        if not close(f.value, expected_values[key]):
            mismatches.append((key, "value", f.value, expected_values[key]))
        for name in FIELDS:
            if not close(getattr(f, name), expected[key][name]):
                mismatches.append((key, name, getattr(f, name), expected[key][name]))
    assert not mismatches, mismatches[:5]
    return list(got.values())


def test_recompute_equals_reference(random_obs):
    for m in range(1, 13):  # 2022 rates: TRADE_USD months converted into the missing TRADE_CNY series
        ExchangeRate.objects.create(ym=2022 * 12 + m - 1, from_currency="USD", to_currency="CNY",
                                    rate=D("6.7") + D(m) / 1000, source="PBoC monthly average")
    official, entities, indicators, rates = _inputs()
    timings = {}
    counts = sql.recompute(timings=timings)
    assert counts["months"] > 0 and counts["cumulatives"] > 0 and counts["computed"] > 0 and counts["converted"] > 0
    # PostgreSQL computes in the numpy engine (and says how long each part took); SQLite in SQL
    assert set(timings) == ({"read", "compute", "write", "figures"} if connection.vendor == "postgresql" else set())
    figs = _check_against_reference(official, entities, indicators, rates)
    # the data exercise the interesting cases
    assert any(f.yoy_pct is None and f.prior == 0 for f in figs)  # zero base: no growth
    assert any(f.rank_nation == f.rank_nation and f.rank_nation is not None and
               sum(1 for g in figs if g.indicator_id == f.indicator_id and g.ym == f.ym and g.basis == f.basis
                   and g.rank_nation == f.rank_nation and g.entity_id != f.entity_id) for f in figs)  # a tie


def _stored():
    values = {(o.entity_id, o.indicator_id, o.ym, o.basis): (o.pk, o.period, o.value, o.provenance, o.source_ref,
                                                              o.fx_rate, o.fx_note) for o in Observation.objects.all()}
    figs = {(f.entity_id, f.indicator_id, f.ym, f.basis): tuple(getattr(f, n) for n in ("period", "value") + FIELDS)
            for f in Figure.objects.all()}
    return values, figs


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_engine_and_sql_path_write_the_same(random_obs, geo, monkeypatch):
    """On PostgreSQL the engine and the SQL statements (taken when the values exceed the engine's exact
    int64 bound) produce the same rows, down to the notes and rates of the derived observations; either
    one finds the other's derived rows unchanged and rewrites nothing."""
    from zonebook.stats import engine

    ExchangeRate.objects.create(ym=2022 * 12, from_currency="USD", to_currency="CNY", rate=D("6.812345"),
                                source="PBoC 2022-01")
    timings = {}
    sql.recompute(timings=timings)
    assert timings
    by_engine = _stored()
    monkeypatch.setattr(engine, "LIMIT", 0)  # every value is "beyond the bound": the SQL path
    timings = {}
    counts = sql.recompute(timings=timings)
    assert timings == {} and (counts["removed"], counts["written"]) == (0, 0)
    assert _stored() == by_engine
    monkeypatch.undo()
    Observation.objects.filter(provenance="derived").delete()
    Figure.objects.all().delete()
    monkeypatch.setattr(engine, "LIMIT", 0)
    sql.recompute()  # the SQL path writes every derived row…
    monkeypatch.undo()
    counts = sql.recompute()  # …which the engine finds unchanged
    assert (counts["removed"], counts["written"]) == (0, 0)
    values, figs = _stored()
    assert figs == by_engine[1]
    assert {k: v[1:] for k, v in values.items()} == {k: v[1:] for k, v in by_engine[0].items()}


def test_edge_values_equal_reference(geo):
    """Negative values and parents, rounding ties (half away from zero), a computed difference with a
    fractional scale, conversions at a six-decimal rate."""
    diff = Indicator.objects.create(code="NET_EXPORT_USD", name="净出口", unit="亿美元", currency="USD",
                                    source="computed", additive=False, order=70,
                                    formula={"op": "diff", "args": ["EXPORT_USD", "IMPORT_USD"], "scale": "0.5"})
    assert diff.pk
    for m in (1, 2):
        ExchangeRate.objects.create(ym=2023 * 12 + m - 1, from_currency="USD", to_currency="CNY",
                                    rate=D("6.812345"), source=f"PBoC 2023-0{m}")
    rows = [
        # share of Sichuan: 0.0001 × 100 / 200 = 0.00005 → 0.0001; negative → −0.0001
        ("CD-EPZ", "EXPORT_USD", 2023, 1, "0.0001"), ("CD-GX", "EXPORT_USD", 2023, 1, "-0.0001"),
        ("sc", "EXPORT_USD", 2023, 1, "200"), ("cn", "EXPORT_USD", 2023, 1, "-400.0003"),
        ("CD-EPZ", "EXPORT_USD", 2022, 1, "0.0003"), ("sc", "EXPORT_USD", 2022, 1, "-7"),
        ("CD-EPZ", "IMPORT_USD", 2023, 1, "0.0003"), ("CD-GX", "IMPORT_USD", 2023, 1, "-12.3457"),
        ("CD-EPZ", "TRADE_USD", 2023, 1, "0.0001"), ("CD-EPZ", "TRADE_USD", 2023, 2, "-3.3333"),
        ("CD-GX", "TRADE_USD", 2023, 1, "123456.1234"), ("MY", "TRADE_USD", 2023, 1, "0.0001"),
        ("sc", "TRADE_USD", 2023, 1, "3"), ("sc", "TRADE_USD", 2022, 1, "3"),
        ("CD-EPZ", "TRADE_USD", 2022, 1, "-0.0002"), ("MY", "TRADE_USD", 2022, 1, "0.0003"),
    ]
    for key, code, y, m, v in rows:
        obs(geo[key], code, y, m, "month", v)
    official, entities, indicators, rates = _inputs()
    timings = {}
    counts = sql.recompute(timings=timings)
    assert bool(timings) == (connection.vendor == "postgresql")  # the engine's path on PostgreSQL
    assert counts["converted"] > 0 and counts["computed"] > 0
    _check_against_reference(official, entities, indicators, rates)
    # the ties went away from zero
    f = Figure.objects.get(entity=geo["CD-EPZ"], indicator=ind("EXPORT_USD"), ym=2023 * 12, basis="month")
    assert f.share_pct == D("0.0001")
    f = Figure.objects.get(entity=geo["CD-GX"], indicator=ind("EXPORT_USD"), ym=2023 * 12, basis="month")
    assert f.share_pct == D("-0.0001")
    net = Observation.objects.get(entity=geo["CD-GX"], indicator=diff, ym=2023 * 12, basis="month")
    assert net.value == D("6.1728")  # (−0.0001 + 12.3457) × 0.5 = 6.1728


def test_values_beyond_the_exact_bound_are_computed_in_sql(geo):
    """A value above the engine's int64 bound (4.6 × 10⁸ units): PostgreSQL computes in SQL, exactly."""
    obs(geo["CD-EPZ"], "TRADE_USD", 2023, 1, "month", "987654321.0001")
    obs(geo["CD-EPZ"], "TRADE_USD", 2024, 1, "month", "1")
    obs(geo["sc"], "TRADE_USD", 2024, 1, "month", "3")
    official, entities, indicators, rates = _inputs()
    timings = {}
    sql.recompute(timings=timings)
    assert timings == {}
    _check_against_reference(official, entities, indicators, rates)


def test_derived_never_overwrites_official(geo):
    obs(geo["CD-EPZ"], "TRADE_USD", 2023, 1, "cum", "5")
    obs(geo["CD-EPZ"], "TRADE_USD", 2023, 2, "cum", "12")
    obs(geo["CD-EPZ"], "TRADE_USD", 2023, 2, "month", "8", provenance="submitted")  # official month, differs
    sql.recompute()
    rows = {(o.period.month, o.basis): (o.value, o.provenance) for o in
            Observation.objects.filter(entity=geo["CD-EPZ"], indicator=ind("TRADE_USD"))}
    assert rows[(2, "month")] == (D(8), "submitted")
    assert rows[(1, "month")] == (D(5), "derived")
    sql.recompute()  # idempotent
    assert Observation.objects.filter(entity=geo["CD-EPZ"], indicator=ind("TRADE_USD")).count() == 4


def test_cumulative_only_months_are_derived(geo):
    obs(geo["CD-EPZ"], "VA_CNY", 2008, 1, "cum", "4")
    obs(geo["CD-EPZ"], "VA_CNY", 2008, 2, "cum", "9.5")
    obs(geo["CD-EPZ"], "VA_CNY", 2008, 4, "cum", "20")  # March missing: April's month is not guessed
    sql.recompute()
    months = dict(Observation.objects.filter(indicator=ind("VA_CNY"), basis="month").values_list("period__month", "value"))
    assert months == {1: D(4), 2: D("5.5")}


def test_conversion_names_its_rate_and_yields_to_official(geo):
    ExchangeRate.objects.create(ym=2023 * 12, from_currency="USD", to_currency="CNY", rate=D("6.9"), source="PBoC 2023-01")
    ExchangeRate.objects.create(ym=2023 * 12 + 1, from_currency="USD", to_currency="CNY", rate=D("6.8"), source="PBoC 2023-02")
    obs(geo["CD-EPZ"], "TRADE_USD", 2023, 1, "month", "10")
    obs(geo["CD-EPZ"], "TRADE_USD", 2023, 2, "month", "20")
    obs(geo["CD-EPZ"], "TRADE_CNY", 2023, 2, "month", "137")  # customs' own RMB figure for February
    sql.recompute()
    rows = {(o.period.month, o.basis): o for o in Observation.objects.filter(entity=geo["CD-EPZ"], indicator=ind("TRADE_CNY"))}
    jan = rows[(1, "month")]
    assert (jan.value, jan.provenance, jan.fx_rate, jan.fx_note) == (D(69), "derived", D("6.9"), "PBoC 2023-01")
    assert rows[(2, "month")].provenance == "imported" and rows[(2, "month")].value == D(137)
    assert rows[(2, "cum")].value == D(206)  # 69 converted + 137 official
    # never the other way round: the USD series is official and untouched
    assert not Observation.objects.filter(indicator=ind("TRADE_USD"), provenance="derived", basis="month").exists()


def test_recompute_writes_only_what_changed(geo):
    """A derived value that did not change keeps its row; a changed one is rewritten; one that an
    official value now covers is removed."""
    jan = obs(geo["CD-EPZ"], "TRADE_USD", 2023, 1, "cum", "5")
    feb = obs(geo["CD-EPZ"], "TRADE_USD", 2023, 2, "cum", "12")
    sql.recompute()

    def derived():
        return {(o.period.month, o.basis): (o.pk, o.value) for o in
                Observation.objects.filter(entity=geo["CD-EPZ"], indicator=ind("TRADE_USD"), provenance="derived")}

    first = derived()
    assert {k: v for k, (_, v) in first.items()} == {(1, "month"): D(5), (2, "month"): D(7)}
    sql.recompute()
    assert derived() == first  # same rows, not deleted and re-inserted
    feb.value = D(13)
    feb.save()
    counts = sql.recompute()
    after = derived()
    assert after[(1, "month")] == first[(1, "month")]
    assert after[(2, "month")][1] == D(8)
    assert (counts["removed"], counts["written"]) == (1, 1)
    services.record_observation(geo["CD-EPZ"], ind("TRADE_USD"), jan.period.replace(month=2), "month", D("7.5"),
                                provenance="submitted")  # an official month replaces the derived one
    sql.recompute()
    assert set(derived()) == {(1, "month")}
    assert Observation.objects.get(entity=geo["CD-EPZ"], indicator=ind("TRADE_USD"), ym=jan.ym + 1, basis="month").value == D("7.5")
    # the figure table is complete and keeps the model's indexes after the bulk load
    assert Figure.objects.filter(entity=geo["CD-EPZ"]).count() == 4
    with connection.cursor() as cur:
        constraints = connection.introspection.get_constraints(cur, Figure._meta.db_table)
    assert {"stats_figure_unique", "stats_fig_ind_period"} <= set(constraints)
    assert [c["columns"] for c in constraints.values() if c["primary_key"]] == [["id"]]  # rebuilt after the load
    Figure.objects.create(entity=geo["MY"], indicator=ind("TRADE_USD"), period=jan.period, ym=jan.ym, basis="cum",
                          value=D(1))  # the id sequence continues after the loaded rows


@pytest.mark.parametrize("rebuild", [False, True], ids=["rows-replaced", "table-rebuilt"])
def test_recompute_of_touched_years_equals_full(random_obs, geo, monkeypatch, rebuild):
    """``years`` leaves what a full recomputation leaves, whether the engine replaces the figures of the
    years or (many rows: ``REBUILD_ROWS`` lowered here) rebuilds the whole table."""
    from zonebook.stats import engine

    if rebuild and connection.vendor != "postgresql":
        pytest.skip("the engine runs on PostgreSQL")
    monkeypatch.setattr(engine, "REBUILD_ROWS", 0 if rebuild else engine.REBUILD_ROWS)
    sql.recompute()
    o = Observation.objects.get(entity=geo["SZ"], indicator=ind("TRADE_USD"), ym=2022 * 12 + 3, basis="month")
    services.record_observation(geo["SZ"], ind("TRADE_USD"), o.period, "month", o.value + 7, provenance="imported")
    services.record_observation(geo["MY"], ind("TRADE_USD"), dt.date(2022, 5, 1), "month", D("3.5"),
                                provenance="imported")  # fills the gap: MY's 2022 cumulatives now exist

    def snapshot():
        values = dict(((x.entity_id, x.indicator_id, x.ym, x.basis), (x.value, x.provenance))
                      for x in Observation.objects.all())
        figs = {(f.entity_id, f.indicator_id, f.ym, f.basis): tuple(getattr(f, n) for n in ("value",) + FIELDS)
                for f in Figure.objects.all()}
        return values, figs

    counts = sql.recompute(years=[2022])
    assert counts["written"] > 0
    assert (counts["figures"] == Figure.objects.count()) if rebuild else (counts["figures"] < Figure.objects.count())
    incremental = snapshot()
    sql.recompute()
    assert incremental == snapshot()


def test_recompute_command_takes_years(geo):
    from io import StringIO

    from django.core.management import call_command

    obs(geo["CD-EPZ"], "TRADE_USD", 2022, 1, "month", "4")
    obs(geo["CD-EPZ"], "TRADE_USD", 2023, 1, "month", "5")
    out = StringIO()
    call_command("stats", "recompute", "--year", "2023", stdout=out)
    assert "written: 1," in out.getvalue()  # 2023 only: 2022's January cumulative is not written
    assert set(Observation.objects.filter(provenance="derived").values_list("ym", flat=True)) == {2023 * 12}
    assert set(Figure.objects.values_list("ym", flat=True)) == {2023 * 12}  # the figures of 2023 (and 2024)


# -- block digests (PostgreSQL's engine): a recomputation rewrites only the blocks whose figures changed --

needs_engine = pytest.mark.skipif("connection.vendor != 'postgresql'")


def _figure_rows():
    """Every figure row: key -> (id, xmin, content), and the content per block (indicator, month)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, xmin::text FROM {Figure._meta.db_table}")
        xmin = dict(cur.fetchall())
    rows, blocks = {}, {}
    for f in Figure.objects.all():
        key = (f.entity_id, f.indicator_id, f.ym, f.basis)
        content = tuple(getattr(f, n) for n in ("period", "value") + FIELDS)
        rows[key] = (f.pk, xmin[f.pk], content)
        blocks.setdefault((f.indicator_id, f.ym), {})[(f.entity_id, f.basis)] = content
    return rows, blocks


def _digests():
    return {(b.indicator_id, b.ym): (b.rows, bytes(b.digest)) for b in FigureBlock.objects.all()}


def _from_scratch():
    """What a recomputation from an empty figure table leaves: figures per block and the digests."""
    FigureBlock.objects.all().delete()
    Figure.objects.all().delete()
    counts = sql.recompute()
    assert counts["figures_written"] == counts["figures"] == Figure.objects.count()  # the table was rebuilt
    return _figure_rows()[1], _digests()


def _check_only_changed_blocks_rewritten(before, counts):
    """The blocks whose content changed (and only those) were rewritten: the rows of every other block
    kept their id and xmin (not deleted and re-inserted, not updated); the result is a from-scratch
    recomputation's.  Returns the changed blocks."""
    rows, blocks = _figure_rows()
    old_rows, old_blocks = before
    changed = {k for k in old_blocks.keys() | blocks.keys() if old_blocks.get(k) != blocks.get(k)}
    assert counts["blocks_written"] == len({k for k in changed if k in blocks})
    assert counts["blocks_removed"] == len({k for k in changed if k not in blocks})
    assert counts["figures_written"] == sum(len(blocks[k]) for k in changed if k in blocks)
    for key, (pk, xmin, _content) in rows.items():
        if key[1:3] in changed:
            assert key not in old_rows or old_rows[key][0] != pk, key  # rewritten
        else:
            assert old_rows[key][:2] == (pk, xmin), key  # untouched
    digests = _digests()
    assert set(digests) == set(blocks)
    assert sum(n for n, _d in digests.values()) == Figure.objects.count()
    assert (blocks, digests) == _from_scratch()
    return changed


@needs_engine
def test_digests_rewrite_only_the_blocks_whose_figures_changed(random_obs, geo):
    """A recomputation after one official value changed rewrites only the blocks (indicator × month)
    whose figures changed — that month's value, share and ranks, the cumulatives after it, the computed
    share that uses it, and a year later the growth rates and pp changes — and leaves exactly what a
    recomputation from scratch leaves; with nothing changed it writes nothing."""
    first = sql.recompute()
    assert first["figures_written"] == first["figures"] == Figure.objects.count() > 0  # first run: table rebuilt
    assert first["blocks_written"] == FigureBlock.objects.count() == len(_figure_rows()[1])
    before = _figure_rows()
    counts = sql.recompute()
    assert (counts["figures_written"], counts["blocks_written"], counts["blocks_removed"]) == (0, 0, 0)
    assert _figure_rows() == before  # same ids, same xmin: not one row touched
    o = Observation.objects.get(entity=geo["SZ"], indicator=ind("EXPORT_USD"), ym=2022 * 12 + 3, basis="month")
    services.record_observation(geo["SZ"], ind("EXPORT_USD"), o.period, "month", o.value + 7, provenance="imported")
    counts = sql.recompute()
    changed = _check_only_changed_blocks_rewritten(before, counts)
    codes = dict(Indicator.objects.values_list("id", "code"))
    by_code = {(codes[i], ym) for i, ym in changed}
    assert ("EXPORT_USD", 2022 * 12 + 3) in by_code and ("HTME_SHARE", 2022 * 12 + 3) in by_code
    assert ("EXPORT_USD", 2022 * 12 + 11) in by_code  # the December cumulative
    assert ("EXPORT_USD", 2023 * 12 + 3) in by_code  # growth against the changed month, a year later
    assert ("EXPORT_USD", 2022 * 12 + 2) not in by_code and not any(c == "TRADE_USD" for c, _ym in by_code)
    assert 0 < counts["figures_written"] < Figure.objects.count() / 4


@needs_engine
def test_a_prior_year_value_changes_the_next_years_growth_block(random_obs, geo):
    """December 2022 changes: its own block and December 2023's (YoY of the month and of the
    cumulative, the pp change of the shares), nothing else."""
    sql.recompute()
    before = _figure_rows()
    o = Observation.objects.get(entity=geo["CD-EPZ"], indicator=ind("TRADE_USD"), ym=2022 * 12 + 11, basis="month")
    services.record_observation(geo["CD-EPZ"], ind("TRADE_USD"), o.period, "month", o.value + 7, provenance="imported")
    counts = sql.recompute()
    changed = _check_only_changed_blocks_rewritten(before, counts)
    trade = ind("TRADE_USD").pk
    assert changed == {(trade, 2022 * 12 + 11), (trade, 2023 * 12 + 11)}
    f = Figure.objects.get(entity=geo["CD-EPZ"], indicator_id=trade, ym=2023 * 12 + 11, basis="month")
    assert f.prior == o.value + 7


@needs_engine
def test_deleting_official_values_removes_or_rewrites_their_blocks(random_obs, geo):
    """An official value deleted: a block left without figures is deleted with its digest (the only
    2024 value), a block that lost rows is rewritten (a month of 2023: the cumulatives after it go)."""
    sql.recompute()
    before = _figure_rows()
    va = ind("VA_CNY")
    assert (va.pk, 2024 * 12) in before[1]
    Observation.objects.filter(entity=geo["CD-EPZ"], indicator=va, ym=2024 * 12).delete()
    Observation.objects.filter(entity=geo["KS"], indicator=ind("TRADE_USD"), ym=2023 * 12 + 9, basis="month").delete()
    counts = sql.recompute()
    changed = _check_only_changed_blocks_rewritten(before, counts)
    assert counts["blocks_removed"] == 1 and not FigureBlock.objects.filter(indicator=va, ym=2024 * 12).exists()
    assert not Figure.objects.filter(ym__gte=2024 * 12).exists()
    trade = ind("TRADE_USD").pk
    assert {(trade, 2023 * 12 + m) for m in (9, 10, 11)} <= changed  # KS's October month and cumulatives gone
    assert not Figure.objects.filter(entity=geo["KS"], indicator_id=trade, ym__gte=2023 * 12 + 9, basis="cum").exists()


@needs_engine
def test_recompute_of_years_compares_digests(random_obs, geo):
    """``recompute(years=[…])`` with valid digests rewrites only the changed blocks of those years and
    stores digests equal to a full recomputation's (which then finds nothing to write)."""
    sql.recompute()
    before = _figure_rows()
    o = Observation.objects.get(entity=geo["MY"], indicator=ind("TRADE_USD"), ym=2023 * 12 + 6, basis="month")
    services.record_observation(geo["MY"], ind("TRADE_USD"), o.period, "month", o.value + 1, provenance="imported")
    counts = sql.recompute(years=[2023])
    assert counts["figures"] < Figure.objects.count()  # only 2023 and 2024 computed
    assert 0 < counts["figures_written"] < counts["figures"]
    after = _figure_rows()
    full = sql.recompute()
    assert (full["figures_written"], full["blocks_written"], full["blocks_removed"]) == (0, 0, 0)
    assert _figure_rows() == after
    _check_only_changed_blocks_rewritten(before, counts)


@needs_engine
def test_digests_that_do_not_describe_the_table_rebuild_it(random_obs, geo, monkeypatch):
    """Figures deleted by hand, or written by the SQL path (which drops the digests), or most blocks
    changed: the table is rebuilt (rows numbered 1…n again) with every digest."""
    from zonebook.stats import engine

    sql.recompute()
    digests = _digests()
    Figure.objects.filter(ym=2022 * 12).delete()
    counts = sql.recompute()
    assert counts["figures_written"] == Figure.objects.count() and _digests() == digests
    monkeypatch.setattr(engine, "LIMIT", 0)  # the SQL path
    sql.recompute()
    assert not FigureBlock.objects.exists()
    monkeypatch.undo()
    counts = sql.recompute()
    assert counts["figures_written"] == Figure.objects.count() and _digests() == digests
    Observation.objects.filter(provenance="imported").update(value=D(1))  # nearly every block changes
    counts = sql.recompute()
    assert counts["figures_written"] == counts["figures"]
    assert sorted(Figure.objects.values_list("id", flat=True)) == list(range(1, counts["figures"] + 1))
    assert _digests() == _from_scratch()[1]
