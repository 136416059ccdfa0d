"""Batches of inventory lists (``create_inventory_lists`` / ``post_inventory_lists``): the same
balances, checks, errors and audit entries as one list at a time, with a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.ledger import services
from zonebook.ledger.models import Balance, BookSummary, InventoryList, PostingRule

from . import factories as f

pytestmark = pytest.mark.django_db

EXAMPLE_C = [
    ("0615", "I", "material", [(1, 10000)]),
    ("0654", "I", "material", [(1, 2000)]),
    ("0657", "I", "material", [(1, 500)]),
    ("0700", "E", "material", [(1, 200)]),
    ("0615", "E", "product", [(1, 10000)]),
    ("0654", "E", "product", [(1, 1500)]),
    ("4600", "I", "product", [(1, 300)]),
    ("4600", "E", "product", [(1, 300)]),
    ("0664", "E", "material", [(1, 100)]),
    ("0644", "I", "material", [(1, 300)]),
]


def entry(mode, ie, kind, lines, on=dt.date(2026, 3, 1), **kw):
    header = {
        "number": kw.pop("number", None) or f.list_number(ie),
        "ie_mark": ie,
        "supervision_mode": mode,
        "item_kind": kind,
        "declaration_date": on,
        **kw,
    }
    return header, [{"item_seq_no": s, "qty": str(q)} for s, q in lines]


def test_example_c_in_one_batch(handbook):
    b, m, p = handbook
    entries = [entry(*e, on=dt.date(2026, 3, 1) + dt.timedelta(days=k)) for k, e in enumerate(EXAMPLE_C)]
    result = services.create_inventory_lists(b, entries, action="post")
    assert result.posted == 10 and result.warnings == []
    mb = Balance.objects.get(item=m)
    # the hand-computed figures of worked example C (test_posting.test_example_c_posted_through_lists)
    assert (mb.imports, mb.carry_in, mb.leftover_in, mb.returns_out) == (D(10000), D(2000), D(500), D(200))
    assert mb.consumption == D("10894.73684")
    assert mb.tangible_loss == D("435.78948") and mb.scrap_balance == D("435.78948")
    assert (mb.reexport, mb.domestic_sale) == (D(100), D(300))
    assert mb.expected_remaining == D("1005.26316")
    pb = Balance.objects.get(item=p)
    assert (pb.exported, pb.carry_out, pb.product_returns_in, pb.product_returns_out) == (
        D(10000),
        D(1500),
        D(300),
        D(300),
    )
    assert services.check_balances() == []
    assert set(InventoryList.objects.filter(book=b).values_list("state", flat=True)) == {"posted"}
    assert BookSummary.objects.get(book=b).stocked == 1


def test_batch_equals_one_list_at_a_time(world):
    books = []
    for _ in range(2):
        b = f.book(world.enterprises.a1, kind="C")
        for s in (1, 2, 3):
            f.material(b, s, opening=0)
        for s in (1, 2):
            f.product(b, s)
        books.append(b)
    for b in books:
        prods = {p.seq_no: p for p in b.items.filter(kind="product")}
        mats = {m.seq_no: m for m in b.items.filter(kind="material")}
        f.bom(prods[1], mats[1], "0.333", "2.5", "0.5")
        f.bom(prods[1], mats[2], "1.7", 0, 0, bonded="60")
        f.bom(prods[2], mats[3], "0.01234", "7", 0)
    plan = [
        ("0615", "I", "material", [(1, 5000), (2, 800), (3, "12.5")]),
        ("0615", "E", "product", [(1, 333), (2, 99), (1, "0.5")]),
        ("0664", "E", "material", [(2, 10)]),
        ("0654", "E", "product", [(2, 7)]),
        ("0644", "I", "material", [(1, "0.25")]),
    ]
    for k, (mode, ie, kind, lines) in enumerate(plan):
        f.post(books[0], mode, ie, kind, lines, date=dt.date(2026, 4, 1 + k))
    services.create_inventory_lists(
        books[1], [entry(*e, on=dt.date(2026, 4, 1 + k)) for k, e in enumerate(plan)], action="post"
    )
    cols = [fld.name for fld in Balance._meta.fields if fld.name not in ("id", "book", "item", "updated_at")]

    def state(b):
        return sorted(
            (r["item__kind"], r["item__seq_no"], *(r[c] for c in cols))
            for r in Balance.objects.filter(book=b).values("item__kind", "item__seq_no", *cols)
        )

    assert state(books[0]) == state(books[1])
    assert services.check_balances([books[1].pk]) == []


def test_running_shortfall_names_the_list_even_if_a_later_one_refills(handbook):
    b, m, p = handbook
    services.create_inventory_lists(
        b, [entry("0615", "I", "material", [(1, 100)], on=dt.date(2026, 3, 1))], action="post"
    )
    # given out of date order: the 3-2 refill comes after the 3-1 export that takes 180 of 100
    big_export = entry(
        "0615", "E", "product", [(1, 200)], on=dt.date(2026, 3, 10)
    )  # 0.9/0.95 x 200 = 189.47368
    refill = entry("0615", "I", "material", [(1, 1000)], on=dt.date(2026, 3, 20))
    with pytest.raises(DomainError) as exc:
        services.create_inventory_lists(b, [refill, big_export], action="post")
    assert exc.value.code == "negative_balance"
    assert [d.value for d in exc.value.details] == [big_export[0]["number"]]
    assert "89.47368" in exc.value.details[0].reason
    assert not InventoryList.objects.filter(
        number__in=[refill[0]["number"], big_export[0]["number"]]
    ).exists()
    # the same two lists in the opposite dates: no shortfall
    refill[0]["declaration_date"] = dt.date(2026, 3, 5)
    result = services.create_inventory_lists(b, [big_export, refill], action="post")
    assert result.posted == 2 and result.warnings == []
    assert Balance.objects.get(item=m).expected_remaining == D("910.52632")


@override_settings(ZONEBOOK={"LEDGER_NEGATIVE_BALANCE": "warn"})
def test_warn_policy_posts_and_keeps_each_lists_warnings(handbook):
    b, m, p = handbook
    first = entry("0615", "E", "product", [(1, 10)], on=dt.date(2026, 3, 2))  # 9.47368 below zero
    second = entry("0615", "I", "material", [(1, 5)], on=dt.date(2026, 3, 3))  # −4.47368: raises, no warning
    third = entry("0615", "E", "product", [(1, 1)], on=dt.date(2026, 3, 4))  # −5.42105: further down
    result = services.create_inventory_lists(b, [first, second, third], action="post")
    assert result.posted == 3
    assert [(w["list"], w["material_shortfall"]) for w in result.warnings] == [
        (first[0]["number"], D("9.47368")),
        (third[0]["number"], D("5.42105")),
    ]
    posted = AuditEntry.objects.filter(code="ledger.inventory_list.posted").order_by("id")
    warned = {e.object_repr: e.changes["warnings"] for e in posted}
    assert len(warned[first[0]["number"]]) == 1 and warned[second[0]["number"]] == []
    assert Balance.objects.get(item=m).expected_remaining == D("-5.42105")


def test_every_problem_named_by_row_and_nothing_written(handbook, world):
    b, m, p = handbook
    existing = f.inv_list(b, "0615", "I", "material", [(1, 1)])
    entries = [
        entry("0615", "I", "material", [(1, 5), (1, 6)]),  # rows 1-2: fine
        entry("0615", "I", "material", [(1, 1), (9, 2)], number=existing.number),  # rows 3-4
        entry("0615", "E", "product", [(1, "-3")]),  # row 5: negative quantity
        entry("0615", "I", "material", [(1, 1)], ie_mark="X"),  # row 6: bad I/E mark
    ]
    entries.append(entry("0615", "I", "material", [(1, 1)], number=entries[0][0]["number"]))  # row 7
    with pytest.raises(DomainError) as exc:
        services.create_inventory_lists(b, entries, action="post")
    got = {(d.row, d.column) for d in exc.value.details}
    assert got == {(3, "number"), (4, "item_seq_no"), (5, "qty"), (6, "ie_mark"), (7, "number")}
    assert InventoryList.objects.filter(book=b).count() == 1


def test_post_checks_state_book_and_is_idempotent(handbook, world):
    b, m, p = handbook
    other = f.book(world.enterprises.a1, kind="C")
    f.material(other, 1)
    draft = f.inv_list(b, "0615", "I", "material", [(1, 1)], submit=False)
    foreign = f.inv_list(other, "0615", "I", "material", [(1, 1)])
    ok = f.inv_list(b, "0615", "I", "material", [(1, 1)])
    with pytest.raises(DomainError) as exc:
        services.post_inventory_lists(b, [draft.pk, foreign.pk, ok.pk, 999_999])
    assert {d.value for d in exc.value.details} == {draft.number, foreign.number, "999999"}
    ok.refresh_from_db()
    assert ok.state == "submitted"
    first = services.post_inventory_lists(b, [ok.pk])
    again = services.post_inventory_lists(b, [ok.pk])
    assert (first.posted, again.posted) == (1, 0)
    assert Balance.objects.get(item=m).imports == D(1)
    assert AuditEntry.objects.filter(code="ledger.inventory_list.posted", object_id=str(ok.pk)).count() == 1


def test_audit_entries_per_list_and_step(handbook):
    b, m, p = handbook
    entries = [entry("0615", "I", "material", [(1, k + 1)]) for k in range(3)]
    result = services.create_inventory_lists(b, entries, action="post")
    ids = [str(inv.pk) for inv in result.lists]
    for code in ("created", "submitted", "posted"):
        rows = AuditEntry.objects.filter(code=f"ledger.inventory_list.{code}", object_id__in=ids)
        assert rows.count() == 3
    created = AuditEntry.objects.get(code="ledger.inventory_list.created", object_id=ids[0])
    assert created.changes["lines"] == 1 and created.changes["state"] == [None, "draft"]
    assert created.zone_id == b.zone_id


def test_draft_and_submit_actions(handbook):
    b, m, p = handbook
    drafts = services.create_inventory_lists(b, [entry("0615", "I", "material", [(1, 1)])])
    submitted = services.create_inventory_lists(
        b, [entry("0615", "I", "material", [(1, 1)])], action="submit"
    )
    assert drafts.lists[0].state == "draft" and submitted.lists[0].state == "submitted"
    assert Balance.objects.get(item=m).imports == 0
    with pytest.raises(DomainError):
        services.create_inventory_lists(b, [entry("0615", "I", "material", [(1, 1)])], action="approve")


def test_version_problems_named_per_list(handbook):
    b, m, p = handbook
    e = entry("0615", "E", "product", [(1, 1)])
    e[1][0]["consumption_version"] = "7"
    with pytest.raises(DomainError) as exc:
        services.create_inventory_lists(b, [e], action="post")
    assert exc.value.details[0].column == "consumption_version" and exc.value.details[0].row == 1


def test_fixed_query_count(handbook):
    b, m, p = handbook
    services.create_inventory_lists(b, [entry("0615", "I", "material", [(1, 10**6)])], action="post")

    def run(n):
        entries = [
            entry("0615", "E", "product", [(1, 1), (1, 2)], on=dt.date(2026, 3, 1 + k % 20)) for k in range(n)
        ]
        with CaptureQueriesContext(connection) as ctx:
            services.create_inventory_lists(b, entries, action="post")
        return len(ctx)

    # 20 lists: their 40 audit rows still fit one SQLite INSERT batch (999 parameters / 21 audit
    # columns = 47 rows); beyond that SQLite splits a bulk INSERT by its parameter limit, not per list
    assert run(3) == run(20)


def test_lists_of_one_batch_share_derived_fields_but_not_what_differs(handbook):
    """The lists of one call derive each (item, given texts) once (``LineContext.memo``); a list that
    gives other columns, or a product list of another date (another version in force), derives its own."""
    b, m, p = handbook
    f.bom(p, m, "1", version="2", valid_from=dt.date(2026, 4, 1))
    from zonebook.ledger.models import Consumption

    Consumption.objects.filter(product=p, version="0").update(valid_to=dt.date(2026, 3, 31))
    named = entry("0615", "I", "material", [(1, 1)])
    named[1][0]["name"] = m.hs_code  # the same text as the next list's HS code, in another column
    plain = entry("0615", "I", "material", [(1, 2)])
    hs_only = entry("0615", "I", "material", [(1, 3)])
    hs_only[1][0]["hs_code"] = m.hs_code
    march = entry("0615", "E", "product", [(1, 1)], on=dt.date(2026, 3, 15))
    april = entry("0615", "E", "product", [(1, 1)], on=dt.date(2026, 4, 15))
    out = services.create_inventory_lists(b, [named, plain, hs_only, march, april])
    got = [lst.lines.values_list("name", "resolved_version").get() for lst in out.lists]
    assert got == [(m.hs_code, ""), (m.name, ""), (m.name, ""), (p.name, "0"), (p.name, "2")]


def test_lists_validated_together_give_each_list_what_it_gives_alone(handbook):
    """``create_inventory_lists`` validates the lines of its lists of one kind in one pass
    (``_columns(lengths=)``): every list gets the rows, count and amount it gets validated alone —
    line numbers by position in its own list or as given (repeating across lists), item numbers and
    numbers as texts (spaces, leading zeros), amounts computed per line."""
    from zonebook.ledger.services.posting.lines import _columns, _rows, line_context

    b, m, p = handbook
    texts = [
        [{"item_seq_no": " 1", "qty": "2.5", "unit_price": "3.1"}, {"item_seq_no": "01", "qty": "1"}],
        [{"item_seq_no": "1", "qty": "4", "amount": "9.99", "line_no": 1}, {"item_seq_no": "1", "qty": "0.00001", "line_no": 2}],
        [{"item_seq_no": "1", "qty": "7", "line_no": 2}, {"item_seq_no": "1", "qty": "8", "line_no": 1}],
    ]
    day = dt.date(2026, 3, 1)
    headers = [entry("0615", "I", "material", [])[0] for _ in texts]
    together = _columns(b, "material", [ln for ls in texts for ln in ls], day, lengths=[2, 2, 2])
    rows = _rows(together)
    alone = [_columns(b, "material", ls, day, line_context(b, "material", [ls])) for ls in texts]
    assert rows == [r for c in alone for r in _rows(c)]
    assert together.list_totals() == [c.totals() for c in alone]
    out = services.create_inventory_lists(b, list(zip(headers, texts, strict=True)), action="submit")
    got = [
        (lst.line_count, lst.total_amount, list(lst.lines.order_by("line_no").values_list("line_no", "qty", "amount")))
        for lst in InventoryList.objects.filter(pk__in=[x.pk for x in out.lists]).order_by("pk")
    ]
    assert got == [
        (2, D("7.75"), [(1, D("2.5"), D("7.75")), (2, D(1), D(0))]),
        (2, D("9.99"), [(1, D(4), D("9.99")), (2, D("0.00001"), D(0))]),
        (2, D(0), [(1, D(8), D(0)), (2, D(7), D(0))]),
    ]


def test_a_problem_in_lists_validated_together_is_named_on_its_own_list(handbook):
    b, m, p = handbook
    fine = entry("0615", "I", "material", [(1, 1), (1, 2)])
    repeated = entry("0615", "I", "material", [(1, 1), (1, 2), (1, 3)])
    for k, line in enumerate(repeated[1]):
        line["line_no"] = [1, 2, 1][k]  # (1 and 2 also number the first list's lines: allowed)
    bad_qty = entry("0615", "I", "material", [(1, "x")])
    with pytest.raises(DomainError) as exc:
        services.create_inventory_lists(b, [fine, repeated, bad_qty], action="submit")
    got = {(d.row, d.column, d.value) for d in exc.value.details}
    assert got == {(5, "line_no", "1"), (6, "qty", "x")}
    assert not InventoryList.objects.filter(book=b).exists()


def test_batch_created_lists_carry_their_rule_and_posting_keeps_it(handbook):
    """The rule a list posts by is stored when the batch creates it (posting finds it again and
    rewrites it only if it changed) — one write of the list rows fewer per posting."""
    b, m, p = handbook
    out = services.create_inventory_lists(
        b, [entry("0615", "I", "material", [(1, 5)]), entry("0615", "I", "material", [(1, 6)])], action="submit"
    )
    ids = [x.pk for x in out.lists]
    rules = set(InventoryList.objects.filter(pk__in=ids).values_list("rule_id", flat=True))
    assert len(rules) == 1 and None not in rules
    rule = rules.pop()
    # a stored rule that is no longer the one in force is rewritten at posting
    other = PostingRule.objects.exclude(pk=rule).first()
    InventoryList.objects.filter(pk=ids[1]).update(rule=other)
    services.post_inventory_lists(b, ids)
    assert set(InventoryList.objects.filter(pk__in=ids).values_list("state", "rule_id")) == {("posted", rule)}
    assert Balance.objects.get(item=m).imports == D(11)
    # a draft (still editable) gets its rule when it is submitted, not before
    draft = services.create_inventory_lists(b, [entry("0615", "I", "material", [(1, 1)])]).lists[0]
    assert InventoryList.objects.get(pk=draft.pk).rule_id is None


def test_keyed_lines_are_read_as_the_same_lines_with_the_field_names(handbook):
    """``KeyedLines`` (a message's element dicts) give the rows the same lines give with the line
    field names — empty elements as values not given, other keys not read, line numbers as texts."""
    from zonebook.ledger.services import KeyedLines
    from zonebook.ledger.services.posting.lines import _columns, _rows

    b, m, p = handbook
    keys = {"line_no": "n", "item_seq_no": "seq", "qty": "q", "unit_price": "up", "name": "nm", "country": "c"}
    elements = [
        {"n": "1", "seq": "1", "q": "2.5", "up": "3", "nm": "", "c": "142", "unitCode": "007"},
        {"n": "2", "seq": " 01", "q": "1", "up": "", "nm": "其他", "c": ""},
    ]
    plain = [{f: e.get(k) for f, k in keys.items() if e.get(k)} for e in elements]
    for line in plain:
        line["line_no"] = int(line["line_no"])
    day = dt.date(2026, 3, 1)
    assert _rows(_columns(b, "material", KeyedLines(elements, keys), day)) == _rows(
        _columns(b, "material", plain, day)
    )
    out = services.create_inventory_lists(
        b,
        [(entry("0615", "I", "material", [])[0], KeyedLines(elements, keys)) for _ in range(2)],
        action="submit",
    )
    assert [lst.line_count for lst in out.lists] == [2, 2]
    with pytest.raises(DomainError) as exc:
        _columns(b, "material", KeyedLines([{"n": "1", "seq": "9", "q": "x"}], keys), day)
    assert {(d.row, d.column) for d in exc.value.details} == {(1, "item_seq_no"), (1, "qty")}


def test_a_line_context_kept_across_batches_looks_up_only_what_is_new(handbook, world):
    """``create_inventory_lists(line_contexts=)``: the second batch of an import reads no item or HS
    code it has read already; a new item number is looked up; the lists are what they would be."""
    b, m, p = handbook
    m2 = f.material(b, 2)
    contexts: dict = {}
    services.create_inventory_lists(b, [entry("0615", "I", "material", [(1, 5)])], action="submit", line_contexts=contexts)
    ctx = contexts[(b.pk, "material")]
    assert set(ctx.items) == {1} and ctx.seqs_asked == {1}
    with CaptureQueriesContext(connection) as same:
        services.create_inventory_lists(b, [entry("0615", "I", "material", [(1, 6)])], action="submit", line_contexts=contexts)
    assert not [q for q in same.captured_queries if '"ledger_bookitem"' in q["sql"] and "seq_no" in q["sql"]]
    with pytest.raises(DomainError):  # item 9 does not exist: looked up, not found, named
        services.create_inventory_lists(
            b, [entry("0615", "I", "material", [(2, 7), (9, 1)])], action="submit", line_contexts=contexts
        )
    assert ctx.seqs_asked == {1, 2, 9} and set(ctx.items) == {1, 2} and ctx.items[2].pk == m2.pk
    lst = services.create_inventory_lists(
        b, [entry("0615", "I", "material", [(2, 7)])], action="submit", line_contexts=contexts
    ).lists[0]
    assert list(lst.lines.values_list("item_id", "name")) == [(m2.pk, m2.name)]


def test_a_kept_line_context_forgets_its_derived_fields_past_the_limit(handbook, monkeypatch):
    from zonebook.ledger.services.posting import lines as lines_module

    b, m, p = handbook
    monkeypatch.setattr(lines_module, "MEMO_LIMIT", 1)
    contexts: dict = {}
    named = entry("0615", "I", "material", [(1, 1), (1, 2)])
    named[1][1]["name"] = "another name"  # two combinations of item 1
    services.create_inventory_lists(b, [named], line_contexts=contexts)
    assert sum(map(len, contexts[(b.pk, "material")].memo.values())) == 2
    services.create_inventory_lists(b, [entry("0615", "I", "material", [(1, 3)])], line_contexts=contexts)
    assert sum(map(len, contexts[(b.pk, "material")].memo.values())) == 1  # cleared, then this one


def test_staged_lists_are_published_part_by_part_all_or_nothing(handbook, monkeypatch):
    """``publish_staged_lists`` loads ``PUBLISH_CHUNK`` lists at a time (its memory does not grow with
    the import); a list removed from a later part still fails the whole publish, counted."""
    from zonebook.ledger.choices import ListState
    from zonebook.ledger.services.posting import lists as lists_module

    b, _m, _p = handbook
    monkeypatch.setattr(lists_module, "PUBLISH_CHUNK", 2)
    staged = services.create_inventory_lists(b, [entry("0615", "I", "material", [(1, 10)]) for _k in range(5)], staged=True)
    ids = [inv.pk for inv in staged.lists]
    assert set(InventoryList.objects.filter(pk__in=ids).values_list("state", flat=True)) == {ListState.IMPORTING}
    before = AuditEntry.objects.count()
    result = services.publish_staged_lists(b, ids, action="submit")
    assert "5" in result.message
    assert set(InventoryList.objects.filter(pk__in=ids).values_list("state", flat=True)) == {ListState.SUBMITTED}
    assert AuditEntry.objects.count() - before == 10  # created + submitted, each list

    again = services.create_inventory_lists(b, [entry("0615", "I", "material", [(1, 10)]) for _k in range(5)], staged=True)
    ids = [inv.pk for inv in again.lists]
    InventoryList.objects.filter(pk=ids[-1]).delete()  # (the third part's only list)
    with pytest.raises(DomainError) as exc:
        services.publish_staged_lists(b, ids, action="submit")
    assert exc.value.code == "staged_lists_missing" and "1 of the imported lists" in str(exc.value.message)
    # the first two parts' publish was rolled back with the rest
    assert set(InventoryList.objects.filter(pk__in=ids).values_list("state", flat=True)) == {ListState.IMPORTING}
