"""Property: incremental balances == recompute == a naive pure-Python reference (hypothesis)."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal as D

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zonebook.ledger import calc, services
from zonebook.ledger.models import BALANCE_COLUMNS, Balance, PostingRule

from . import factories as f

MATERIAL_OPS = [
    ("0615", "I"),
    ("0654", "I"),
    ("0657", "I"),
    ("0700", "I"),
    ("0700", "E"),
    ("0664", "E"),
    ("0644", "I"),
    ("0200", "I"),
    ("0864", "E"),
    ("0844", "I"),
]
PRODUCT_OPS = [("0615", "E"), ("0654", "E"), ("4600", "I"), ("4600", "E")]

qty = st.decimals(min_value=D("0.001"), max_value=D("5000"), places=3)
rate = st.decimals(min_value=D(0), max_value=D("20"), places=2)
bom_line = st.tuples(
    st.decimals(min_value=D("0.0001"), max_value=D("3"), places=4),
    rate,
    rate,
    st.sampled_from([D(100), D(80), D("55.5")]),
)
list_op = st.one_of(
    st.tuples(
        st.just("material"),
        st.sampled_from(MATERIAL_OPS),
        st.lists(st.tuples(st.integers(1, 3), qty), min_size=1, max_size=4),
    ),
    st.tuples(
        st.just("product"),
        st.sampled_from(PRODUCT_OPS),
        st.lists(st.tuples(st.integers(1, 2), qty), min_size=1, max_size=4),
    ),
    st.tuples(st.just("reverse"), st.integers(0, 50), st.just([])),
)
scenario = st.fixed_dictionaries(
    {
        "openings": st.lists(
            st.decimals(min_value=D(0), max_value=D(1000), places=2), min_size=3, max_size=3
        ),
        "boms": st.lists(
            st.lists(st.one_of(st.none(), bom_line), min_size=3, max_size=3), min_size=2, max_size=2
        ),
        "ops": st.lists(list_op, min_size=1, max_size=8),
    }
)


def reference(book_items, boms, posted, rules):
    """Naive fold over the posted lists, one line at a time, with calc.explode per BOM line."""
    ref = defaultdict(lambda: defaultdict(D))
    for kind, (mode, ie), lines, direction in posted:
        rule = calc.find_rule(rules, mode, ie, kind, dt.date(2026, 3, 1))
        for seq, q in lines:
            item = book_items[(kind, seq)]
            ref[item][rule["target"]] += direction * q
            if rule["explode"]:
                for mat_seq, line in enumerate(boms[seq - 1], start=1):
                    if line is None:
                        continue
                    net, t, i, b = line
                    e = calc.explode(q, calc.unit_consumption(net, t, i), t, i, b)
                    m = ref[book_items[("material", mat_seq)]]
                    m["consumption"] += -rule["sign"] * direction * e.consumption
                    m["tangible_loss"] += -rule["sign"] * direction * e.tangible
                    m["intangible_loss"] += -rule["sign"] * direction * e.intangible
    return ref


def build(world, sc):
    """The book of a scenario, its items and BOM, and its lists posted (or reversed) one by one
    through ``post_inventory_list`` / ``reverse_inventory_list`` — the one posting engine.
    Returns (book, {(kind, seq): item id}, [(kind, (mode, ie), lines, direction), …])."""
    b = f.book(world.enterprises.a1, kind="C")
    items = {}
    for seq, opening in enumerate(sc["openings"], start=1):
        items[("material", seq)] = f.material(b, seq, opening=opening).pk
    for pseq, lines in enumerate(sc["boms"], start=1):
        p = f.product(b, pseq)
        items[("product", pseq)] = p.pk
        if all(line is None for line in lines):
            lines[0] = (D("1"), D(0), D(0), D(100))
        for mseq, line in enumerate(lines, start=1):
            if line is not None:
                net, t, i, share = line
                f.bom(
                    p,
                    services.books.BookItem.objects.get(pk=items[("material", mseq)]),
                    net,
                    t,
                    i,
                    bonded=share,
                )
    posted, lists = [], []
    for kind, key, lines in sc["ops"]:
        if kind == "reverse":
            if lists:
                n = key % len(lists)
                lst, entry = lists.pop(n)
                services.reverse_inventory_list(lst, number=f.list_number(lst.ie_mark))
                posted.append((entry[0], entry[1], entry[2], -1))
            continue
        res = f.post(b, key[0], key[1], kind, lines)
        entry = (kind, key, [(s, q) for s, q in lines], 1)
        posted.append(entry)
        lists.append((res.inventory_list, entry))
    return b, items, posted


@pytest.mark.django_db
@override_settings(ZONEBOOK={"LEDGER_NEGATIVE_BALANCE": "warn"})
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sc=scenario)
def test_incremental_equals_recompute_equals_reference(world, sc):
    b, items, posted = build(world, sc)
    rules = [r.as_dict() for r in PostingRule.objects.all()]
    ref = reference(items, sc["boms"], posted, rules)
    stored = {r["item_id"]: r for r in Balance.objects.filter(book=b).values("item_id", *BALANCE_COLUMNS)}
    for (kind, seq), item_id in items.items():
        r = ref[item_id]
        expected = {c: r.get(c, D(0)) for c in BALANCE_COLUMNS}
        if kind == "material":
            expected["opening"] = sc["openings"][seq - 1]
            eq = {c: expected[c] for c in calc.EQUATION}
            expected["expected_remaining"] = calc.expected_remaining(**eq)
            expected["scrap_balance"] = calc.scrap_balance(expected["tangible_loss"], expected["scrap_out"])
        got = stored[item_id]
        assert {c: got[c] for c in BALANCE_COLUMNS} == expected, (kind, seq)
    assert services.check_balances([b.pk]) == []
    services.recompute([b.pk])
    again = {r["item_id"]: r for r in Balance.objects.filter(book=b).values("item_id", *BALANCE_COLUMNS)}
    assert again == stored
