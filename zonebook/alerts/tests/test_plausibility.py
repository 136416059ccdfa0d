"""Consumption plausibility: previous version, provincial peer median (odd/even counts), write-off."""

import datetime as dt
from decimal import Decimal as D

import pytest

from zonebook.alerts import queries, services
from zonebook.alerts.models import PlausibilityFlag
from zonebook.ledger import services as ledger
from zonebook.ledger.services import writeoff as wsvc
from zonebook.ledger.tests import ledger_world

from . import builders as b


def _flags(kind, **kw):
    return list(PlausibilityFlag.objects.filter(kind=kind, state="open", **kw).order_by("id"))


@pytest.fixture
def peers(world):
    """Target: 成都甲 (a1) 单耗 1.5.  Sichuan peers of other enterprises: 1.0, 1.2, 1.5 (odd: median 1.2).
    Not peers: a1's own second book (9.0), a Chongqing book (0.1), another HS pair (5.0)."""
    target = b.bom_book(world.enterprises.a1, "1.5")
    b.bom_book(world.enterprises.a1b, "1.0")
    b.bom_book(world.enterprises.a2, "1.2")
    b.bom_book(world.enterprises.b1, "1.5")
    b.bom_book(world.enterprises.a1, "9.0")  # own enterprise: excluded from its own peers
    b.bom_book(world.enterprises.c1, "0.1")  # other province
    b.bom_book(world.enterprises.a2, "5.0", material_hs="8532241000")  # other material HS
    return target


@pytest.mark.django_db
def test_peer_median_odd_count(world, cfg, peers):
    _bk, _p, _m, target = peers
    services.refresh_flags()
    # a1's target: peers 1.0, 1.2, 1.5 → median 1.2; (1.5 − 1.2)/1.2 = +25 % > 20 % → flagged
    flag = PlausibilityFlag.objects.get(kind="peer_median", consumption=target, metric="unit_consumption")
    assert (flag.value, flag.reference, flag.deviation, flag.peer_count) == (
        D("1.5"),
        D("1.2"),
        D("25.0000"),
        3,
    )
    assert flag.threshold == D("20")
    # a1's second book (9.0) is flagged against 1.0 1.2 1.5 too (+650 %); the others are within 20 %
    # (b1's 1.5 sees 1.0, 1.2, 1.5, 9.0 → median 1.35 → +11.11 %; a1b's 1.0 sees 1.2, 1.5, 1.5, 9.0 → 1.5 → −33 %)
    unit_flags = {
        (f.book.enterprise.name, f.value): f.deviation
        for f in _flags("peer_median", metric="unit_consumption")
    }
    assert unit_flags == {
        ("成都甲电子有限公司", D("1.5")): D("25.0000"),
        ("成都甲电子有限公司", D("9.0")): D("650.0000"),
        ("成都乙精密制造有限公司", D("1.0")): D("-33.3333"),
    }
    # loss rates are all 0 → never flagged; the Chongqing row has no Sichuan peers
    assert not _flags("peer_median", metric="tangible_rate")


@pytest.mark.django_db
def test_peer_median_even_count_and_minimum(world, cfg, peers):
    _bk, _p, _m, target = peers
    b.bom_book(b.enterprise(world.zones.b1, "绵阳戊材料有限公司"), "2.0")
    services.save_settings({"consumption_peer_pct": D("10")})
    services.refresh_flags()
    # peers 1.0, 1.2, 1.5, 2.0 → median (1.2 + 1.5)/2 = 1.35; (1.5 − 1.35)/1.35 = +11.1111 % > 10 %
    flag = PlausibilityFlag.objects.get(kind="peer_median", consumption=target, metric="unit_consumption")
    assert (flag.reference, flag.deviation, flag.peer_count) == (D("1.35"), D("11.1111"), 4)
    # at least 6 peer rows required (the most any row has is 5: a1b sees 1.5, 9.0, 1.2, 1.5, 2.0) → no peer flag
    services.save_settings({"peer_min_count": 6})
    services.refresh_flags()
    assert not _flags("peer_median")
    assert PlausibilityFlag.objects.filter(kind="peer_median", state="cleared").exists()


@pytest.mark.django_db
def test_previous_version_deviation(world, cfg):
    bk, p, m, v1 = b.bom_book(world.enterprises.a1, "1.0", t=1)
    # version 2: net 1.0 → 1.15 and tangible 1 % → 4 % (unit = 1.15 / 0.96 = 1.197916667)
    rows = ledger.revise_consumption(
        p, "1", "2", {m.pk: {"net": D("1.15"), "tangible_rate": D("4")}}, valid_from=dt.date(2026, 7, 1)
    )
    v2 = rows[0]
    assert v2.unit_consumption == D("1.197916667")
    services.refresh_flags()
    flags = {f.metric: f for f in _flags("previous_version")}
    assert set(flags) == {"unit_consumption", "tangible_rate"}
    # v1 unit = 1.0 / 0.99 = 1.010101010; (1.197916667 − 1.010101010)/1.010101010 × 100 = 18.59375004… → 18.5938 % > 10 %
    u = flags["unit_consumption"]
    assert (u.consumption_id, u.previous_id, u.reference) == (v2.pk, v1.pk, D("1.010101010"))
    assert u.deviation == D("18.5938")
    # tangible: 4 − 1 = 3 points > 2
    t = flags["tangible_rate"]
    assert (t.value, t.reference, t.deviation) == (D("4"), D("1"), D("3.0000"))
    # version 3 back near version 2 (+5 %): no new unit flag for v3; v2's flags stay
    ledger.revise_consumption(p, "2", "3", {m.pk: {"net": D("1.2075")}}, valid_from=dt.date(2026, 9, 1))
    services.refresh_flags()
    assert {(f.version, f.metric) for f in _flags("previous_version")} == {
        ("2", "unit_consumption"),
        ("2", "tangible_rate"),
    }


@pytest.mark.django_db
def test_writeoff_actual_consumption_deviation(world, cfg):
    lw = ledger_world.build(world)
    # material 2: net 2, no loss; 100 products exported → filed consumption 200; opening 0 + import 300 → 应剩余 100
    # stocktake 80 → 差异 = 80 − 100 = −20 → actual = 200 − (−20) = 220 → +10 % > 5 % → flagged
    # material 1: 应剩余 1,405.26316 counted exactly → no flag
    wo = wsvc.create_writeoff(lw.book, dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    wsvc.import_stocktake(
        wo,
        [
            {"kind": "material", "seq_no": 1, "stock": "1405.26316"},
            {"kind": "material", "seq_no": 2, "stock": "80"},
        ],
    )
    services.refresh_flags()
    (flag,) = _flags("writeoff_actual")
    assert (flag.material_id, flag.writeoff_id) == (lw.m2.pk, wo.pk)
    assert (flag.reference, flag.value, flag.deviation) == (D("200"), D("220"), D("10.0000"))
    # threshold raised to 10 %: exactly 10 % is not more than the threshold
    services.save_settings({"writeoff_actual_pct": D("10")})
    services.refresh_flags()
    assert not _flags("writeoff_actual")


@pytest.mark.django_db
def test_peer_evidence_is_anonymous(world, cfg, peers, client):
    services.refresh_flags()
    flag = PlausibilityFlag.objects.get(kind="peer_median", consumption=peers[3], metric="unit_consumption")
    assert queries.peer_values(flag) == [D("1.0"), D("1.2"), D("1.5")]
    dist = queries.distribution(queries.peer_values(flag))
    assert (dist["n"], dist["median"], dist["q1"], dist["q3"]) == (3, D("1.2"), D("1.0"), D("1.5"))
    client.force_login(world.users.enterprise)
    r = client.get(f"/alerts/plausibility/{flag.pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "<svg" in html and 'class="own-value"' in html and "1.2" in html
    for other in ("成都乙精密制造有限公司", "成都丙物流有限公司", "绵阳丁科技有限公司"):
        assert other not in html
    # the enterprise user sees its own flags only
    r = client.get("/alerts/plausibility/?export=csv")
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    assert "成都甲电子有限公司" in text and "成都乙精密制造有限公司" not in text
    other_flag = PlausibilityFlag.objects.filter(book__enterprise=world.enterprises.a1b).first()
    assert client.get(f"/alerts/plausibility/{other_flag.pk}/").status_code == 404


@pytest.mark.django_db
def test_flags_need_only_the_main_dependencies(world, cfg, peers, monkeypatch):
    """The running product (bin/start installs no extras) computes the flags without pandas, numpy,
    DuckDB or pyarrow: importing any of them fails here."""
    import sys

    for name in ("pandas", "numpy", "duckdb", "pyarrow"):
        monkeypatch.setitem(sys.modules, name, None)  # `import name` now raises ImportError
    _bk, p, m, _target = peers
    ledger.revise_consumption(p, "1", "2", {m.pk: {"net": D("3")}}, valid_from=dt.date(2026, 7, 1))
    result = services.refresh_flags()
    assert result.open > 0
    assert {"peer_median", "previous_version"} <= set(PlausibilityFlag.objects.values_list("kind", flat=True))
