"""Deterministic synthetic province for the benchmarks (``manage.py bench generate``).

Registry, books, items and consumption are written through the project's own service functions
(registry, accounts, ledger): zones, enterprises and books one service call each, items and
consumption through the bulk services ``add_items`` / ``add_consumptions`` (one call per book and
kind).  The inventory lists are written in bulk (issue 23): per book the lists and lines are drawn
vectorised with numpy from the book's own stream (seed, book), the lists inserted with one
``bulk_create`` already posted (rule of their supervision mode, submitted 10:00 and posted 11:00 on
their declaration date) and the lines with one ``COPY`` (every column a posted line has); the
balances of every book are computed once at the end by the product's ``recompute`` and verified
(``check_balances`` finds nothing, no material below zero).  No per-list audit entry is written.

Per book: two thirds of the items are materials, one third products; every product has about
``consumption / products`` BOM lines (version "0", always in force).  The first list of every book
imports every material (0615 I) in a quantity large enough for three years of consumption; the rest
is a deterministic mix of product exports (0615 E, exploded through the BOM), material imports,
re-exports (0664 E) and domestic sales (0644 I) spread over ``years`` years, in date order.
Book 1 of zone 1 is the *heavy* book that holds ``heavy_lines`` lines (report measurement).

Write-offs (报核) and stocktakes (盘点): every book is written off once per calendar year through
``ledger.services.writeoff`` — create (freezes the year's lists and computes), stocktake import
(every material counted at its expected remaining times a deterministic factor: most within ±0.8 %,
every seventh short by 2–6 %, every eleventh over by 1.5–4 %), pre-check (opens the difference
cases); every year but the last is then settled (cases resolved), submitted, accepted and closed,
so the next year opens with its closing.  The last year stays in pre-check: its lists remain open
for the posting measurement (declared 2025-12-30).

``workers`` > 1 (PostgreSQL): the books are built by that many processes, each with its own
connection and its own books (disjoint), in any order; the dataset is the same whatever the number.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.db import connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from zonebook.accounts.models import User
from zonebook.core.context import acting_as
from zonebook.ledger import services as ledger
from zonebook.ledger.calc import q5
from zonebook.ledger.choices import BookStatus, ListState
from zonebook.ledger.models import (
    Balance,
    Book,
    BookItem,
    Consumption,
    DifferenceCase,
    InventoryList,
    InventoryListLine,
    PostingRule,
)
from zonebook.ledger.services import writeoff as writeoffs
from zonebook.ledger.services.reference import load_reference_data
from zonebook.registry import calc as registry_calc
from zonebook.registry import services as registry
from zonebook.registry.models import Code

from .scales import Scale

PROVINCE = "510000"
CITIES = ["510100", "510300", "510400", "510500", "510600", "510700", "510800", "510900", "511000", "511100"]
START = dt.date(2023, 1, 1)
ADMIN = "bench-admin"
PASSWORD = "Bench-Zonebook-2026"  # bench database only (documented in docs/performance.md)
INITIAL_QTY = Decimal("100000000")
SCALE = 10**5  # quantities in units of 10⁻⁵
# (weight, supervision mode, I/E, item kind)
LIST_MIX = [
    (70, "0615", "E", "product"),
    (20, "0615", "I", "material"),
    (5, "0664", "E", "material"),
    (5, "0644", "I", "material"),
]


@dataclass
class Generated:
    scale: str
    seed: int
    counts: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    heavy_book: str = ""
    workers: int = 1


def bench_admin() -> User:
    """The bench superuser (created directly, like ``createsuperuser``: it is the first user)."""
    user = User.objects.filter(username=ADMIN).first()
    if user is None:
        user = User.objects.create_superuser(
            ADMIN, "bench@example.invalid", PASSWORD, role="system_admin", scope_level="all"
        )
        User.objects.filter(pk=user.pk).update(must_change_password=False)
        user.refresh_from_db()
    return user


def _qty(rnd: random.Random) -> Decimal:
    if rnd.random() < 0.7:
        return Decimal(rnd.randint(1, 500))
    return Decimal(rnd.randint(1, 500_000)) / 1000


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def generate(scale: Scale, seed: int = 1, log=print, workers: int = 1) -> Generated:
    """Build the dataset into the configured (empty) database.  Deterministic for (scale, seed),
    whatever ``workers`` (processes that build the books side by side; PostgreSQL only)."""
    if Book.objects.exists():
        raise RuntimeError("The database already holds books: generate into an empty (flushed) database.")
    out = Generated(scale=scale.name, seed=seed)
    _RULES.clear()  # rule ids of this database only
    t0 = time.perf_counter()
    with acting_as("command"):
        load_reference_data()
        admin = bench_admin()
        zone_type = Code.objects.get(table__key="zone_type", code="FTZ")
        hs_codes = list(
            Code.objects.filter(table__key="hs").order_by("code").values_list("code", flat=True)[:40]
        )
        zones = []
        for z in range(scale.zones):
            zones.append(
                registry.create_zone(
                    {
                        "name": f"基准综合保税区{z + 1:02d}",
                        "short_name": f"基准{z + 1:02d}",
                        "kind": zone_type,
                        "province_code": PROVINCE,
                        "city_code": CITIES[z % len(CITIES)],
                    },
                    by=admin,
                )
            )
        enterprises = []
        for e in range(scale.enterprises):
            zone = zones[e % len(zones)]
            enterprises.append(
                registry.create_enterprise(
                    {
                        "name": f"基准电子制造有限公司{e + 1:05d}",
                        "uscc": registry_calc.make_uscc("9", "1", zone.city_code, f"{seed % 10}{e + 1:07d}0"),
                        "customs_code": f"51{e + 1:08d}",
                        "zone": zone,
                    },
                    by=admin,
                )
            )
        _bench_users(admin, zones[0], enterprises[0])
        out.seconds["registry"] = time.perf_counter() - t0
        log(f"registry: {len(zones)} zones, {len(enterprises)} enterprises ({out.seconds['registry']:.1f} s)")

        plan = _Plan(scale, seed, [e.pk for e in enterprises], hs_codes)
        counts = dict.fromkeys(COUNT_KEYS, 0)
        spent = {"setup": 0.0, "lists": 0.0, "writeoffs": 0.0}
        done = 0
        for b, number, c, sec in _run_books(plan, workers):
            done += 1
            if b == 0:
                out.heavy_book = number
            for k in COUNT_KEYS:
                counts[k] += c[k]
            for k in spent:
                spent[k] += sec[k]
            if done % max(1, scale.books // 10) == 0 or done == 1:
                log(
                    f"book {done}/{scale.books}: {counts['items']:,} items, {counts['consumption']:,} BOM lines, "
                    f"{counts['lists']:,} lists, {counts['lines']:,} lines, {counts['writeoffs']:,} write-offs "
                    f"({time.perf_counter() - t0:.0f} s; per worker: setup {spent['setup']:.0f} s, "
                    f"lists {spent['lists']:.0f} s, write-offs {spent['writeoffs']:.0f} s)"
                )
        t_rec = time.perf_counter()
        out.seconds["recompute"] = _balances(log)
        log(f"balances recomputed and verified ({time.perf_counter() - t_rec:.1f} s)")
        counts["zones"] = len(zones)
        counts["enterprises"] = len(enterprises)
        out.counts = counts
        out.seconds["lines_per_second_per_worker"] = counts["lines"] / max(spent["lists"], 1e-9)
        out.seconds.update(
            books_items_consumption=spent["setup"],
            lists_create_post=spent["lists"],
            writeoffs=spent["writeoffs"],
        )
        out.seconds["total"] = time.perf_counter() - t0
        out.workers = workers
    return out


def _balances(log) -> float:
    """The balances of every book, once, by the product's ``recompute`` (the lists were written in
    bulk without them), then verified: ``check_balances`` finds no difference and no material or
    scrap balance is below zero (what the posting's negative-balance check guarantees)."""
    t0 = time.perf_counter()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # (not inside a caller's transaction — a test: statistics taken there stay behind when the
        # test then adds a 50,000-line list, and the planner's row estimates go wrong by 60×)
        # fresh statistics for the recompute's plan after the bulk load (the ledger tables only: a
        # database-wide ANALYZE also takes the shared catalogs and waits for other databases' VACUUMs)
        tables = [
            m._meta.db_table for m in (InventoryList, InventoryListLine, BookItem, Consumption, Balance)
        ]
        with connection.cursor() as cur:
            cur.execute(f"ANALYZE {', '.join(tables)}")
    with transaction.atomic():
        ledger.recompute()
    seconds = time.perf_counter() - t0
    diffs = ledger.check_balances(limit=5)
    if diffs:
        raise RuntimeError(f"generated balances differ from a recompute: {diffs}")
    negative = Balance.objects.filter(item__kind="material").filter(
        Q(expected_remaining__lt=0) | Q(scrap_balance__lt=0)
    )
    if negative.exists():
        raise RuntimeError(f"{negative.count()} generated material balances are below zero")
    return seconds


COUNT_KEYS = (
    "books",
    "items",
    "consumption",
    "lists",
    "lines",
    "writeoffs",
    "stocktake_rows",
    "difference_cases",
)


@dataclass
class _Plan:
    """What every book's generation needs (picklable: handed to the worker processes)."""

    scale: Scale
    seed: int
    enterprise_ids: list[int]
    hs_codes: list[str]

    def __post_init__(self):
        s = self.scale
        self.items_per_book = _split(s.items, s.books)
        self.other_lines = _split(max(0, s.lines - s.heavy_lines), max(1, s.books - 1))
        n_products_total = sum(max(1, n // 3) for n in self.items_per_book)
        self.bom = max(1, round(s.consumption / n_products_total))


def _one_book(plan: _Plan, b: int) -> tuple[int, str, dict, dict]:
    """Book ``b`` with its items, BOM, lists and write-offs; its own random stream (seed, b), so the
    dataset is the same whatever the number of workers and the order they take the books in."""
    from zonebook.registry.models import Enterprise

    rnd = random.Random(f"{plan.seed}:{b}")
    counts = dict.fromkeys(COUNT_KEYS, 0)
    sec = {}
    scale = plan.scale
    with acting_as("command"):
        ent = Enterprise.objects.get(pk=plan.enterprise_ids[b % len(plan.enterprise_ids)])
        n_lines = scale.heavy_lines if b == 0 else plan.other_lines[b - 1]
        ts = time.perf_counter()
        with transaction.atomic():
            book, mats, prods = _book(rnd, b, ent, plan.items_per_book[b], plan.bom, plan.hs_codes, counts)
        sec["setup"] = time.perf_counter() - ts
        ts = time.perf_counter()
        with transaction.atomic():
            _lists(plan.seed, book, ent, mats, prods, n_lines, scale, b, counts)
        sec["lists"] = time.perf_counter() - ts
        ts = time.perf_counter()
        _writeoffs(rnd, book, scale, counts)
        sec["writeoffs"] = time.perf_counter() - ts
    return b, book.number, counts, sec


_PLAN: _Plan | None = None


def _worker_init(plan: _Plan) -> None:
    global _PLAN
    _PLAN = plan
    connections.close_all()  # never share the parent's socket: each worker opens its own connection


def _worker(b: int):
    return _one_book(_PLAN, b)


def _run_books(plan: _Plan, workers: int):
    """Yield each book's result; with ``workers`` > 1 (PostgreSQL only) the books are spread over
    that many processes, each with its own connection and transactions."""
    books = range(plan.scale.books)
    if workers <= 1 or connection.vendor != "postgresql":
        for b in books:
            yield _one_book(plan, b)
        return
    import multiprocessing

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, initializer=_worker_init, initargs=(plan,)) as pool:
        yield from pool.imap_unordered(_worker, books, chunksize=1)


def _bench_users(admin, zone, enterprise) -> None:
    """Users for the load test: one province user and one enterprise user (password ``PASSWORD``)."""
    from zonebook.accounts import services as accounts

    for username, data in (
        (
            "bench-province",
            {"role": "province_commerce", "scope_level": "province", "province_code": PROVINCE},
        ),
        ("bench-enterprise", {"role": "enterprise", "scope_level": "enterprise", "enterprise": enterprise}),
    ):
        if not User.objects.filter(username=username).exists():
            accounts.create_user(
                {"username": username, **data}, password=PASSWORD, by=admin, must_change_password=False
            )


def _book(rnd, b, ent, n_items, bom, hs_codes, counts):
    number = f"E{ent.zone_id % 100:02d}{b + 1:09d}"
    book = ledger.create_book(
        {
            "number": number,
            "enterprise": ent,
            "customs_office": "7908",
            "trade_mode": "0615",
            "cycle_start": START,
            "cycle_end": dt.date(2025, 12, 31),
            "valid_until": dt.date(2027, 12, 31),
        }
    )
    book = ledger.change_book_status(book, "filed", date=START)
    n_prod = max(1, n_items // 3)
    n_mat = max(1, n_items - n_prod)
    # the bulk services: the rules of add_item / add_consumption, checked set-based, bulk inserts
    mats = ledger.add_items(
        book,
        "material",
        [
            {
                "seq_no": i,
                "part_no": f"M{b + 1}-{i}",
                "hs_code": hs_codes[rnd.randrange(len(hs_codes))],
                "name": f"料件{i}",
                "unit": "007",
                "unit_price": Decimal(rnd.randint(1, 100000)) / 100,
            }
            for i in range(1, n_mat + 1)
        ],
    )
    prods = ledger.add_items(
        book,
        "product",
        [
            {
                "seq_no": i,
                "part_no": f"P{b + 1}-{i}",
                "hs_code": hs_codes[rnd.randrange(len(hs_codes))],
                "name": f"成品{i}",
                "unit": "001",
            }
            for i in range(1, n_prod + 1)
        ],
    )
    bom_rows = []
    for p in prods:
        for m in rnd.sample(mats, min(bom, len(mats))):
            bom_rows.append(
                (
                    p,
                    m,
                    {
                        "net": Decimal(rnd.randint(1, 3000)) / 1000,
                        "tangible_rate": Decimal(rnd.randint(0, 500)) / 100,
                        "intangible_rate": Decimal(rnd.randint(0, 100)) / 100,
                        "bonded_share": Decimal(100)
                        if rnd.random() < 0.8
                        else Decimal(rnd.randint(5000, 9999)) / 100,
                    },
                )
            )
    ledger.add_consumptions(book, bom_rows)
    counts["consumption"] += len(bom_rows)
    counts["books"] += 1
    counts["items"] += len(mats) + len(prods)
    return book, mats, prods


def _plan_lists(seed: int, b: int, n_mats: int, n_prods: int, n_lines: int, scale: Scale) -> dict:
    """The lists and lines of book ``b``, drawn vectorised from their own stream (seed, b): numpy
    arrays of list kind/date/size (sorted by date, the opening import first) and per line the index
    into its pool (materials or products) and the quantity scaled by 10⁵."""
    rng = np.random.default_rng([seed, b])
    left = max(0, n_lines - n_mats)
    hi = 2 * scale.list_lines - 1
    sizes = np.zeros(0, dtype=np.int64)
    while sizes.sum() < left:
        sizes = np.concatenate([sizes, rng.integers(1, hi + 1, size=max(16, 2 * left // scale.list_lines))])
    cut = int(np.searchsorted(np.cumsum(sizes), left)) + 1 if left else 0
    sizes = sizes[:cut]
    if left:
        sizes[-1] -= sizes.sum() - left
    weights = np.array([w for w, *_ in LIST_MIX], dtype=float)
    mix = rng.choice(len(LIST_MIX), size=len(sizes), p=weights / weights.sum())
    day = rng.integers(1, 365 * scale.years, size=len(sizes))
    order = np.argsort(day, kind="stable")
    sizes, mix, day = sizes[order], mix[order], day[order]
    # the opening import of every material first (mix -1: 0615 I, day 0)
    sizes = np.concatenate([[n_mats], sizes]).astype(np.int64)
    mix = np.concatenate([[-1], mix])
    day = np.concatenate([[0], day])
    product = np.array([LIST_MIX[m][3] == "product" if m >= 0 else False for m in mix])
    line_product = np.repeat(product, sizes)
    pool = np.where(line_product, n_prods, n_mats)
    n = int(sizes.sum())
    index = (rng.random(n) * pool).astype(np.int64)
    index[: sizes[0]] = np.arange(n_mats)
    whole = rng.random(n) < 0.7
    qty = np.where(whole, rng.integers(1, 501, size=n) * SCALE, rng.integers(1, 500_001, size=n) * 100)
    qty[: sizes[0]] = int(INITIAL_QTY) * SCALE
    return {"sizes": sizes, "mix": mix, "day": day, "line_product": line_product, "index": index, "qty": qty}


_RULES: dict[tuple, PostingRule] = {}


def _rule(mode: str, ie: str, kind: str, on: dt.date) -> PostingRule:
    """The one posting rule in force on ``on`` (as the posting finds it); read once per generation."""
    key = (mode, ie, kind, on)
    if key not in _RULES:
        rules = list(
            PostingRule.objects.filter(
                supervision_mode=mode, ie_mark=ie, item_kind=kind, valid_from__lte=on
            ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))[:2]
        )
        if len(rules) != 1:
            raise RuntimeError(f"no single posting rule for {mode} {ie} {kind} on {on}")
        _RULES[key] = rules[0]
    return _RULES[key]


def _dec_text(scaled: np.ndarray, places: int) -> list[str]:
    """Non-negative integers in units of 10^-places → exact decimal text."""
    unit = 10**places
    return [f"{v // unit}.{v % unit:0{places}d}" for v in scaled.tolist()]


def _lists(seed, book, ent, mats, prods, n_lines, scale: Scale, b: int, counts) -> None:
    """Posted lists and their lines written in bulk: the lists with one ``bulk_create`` (state posted,
    rule of their mode set, submitted 10:00 and posted 11:00 local time on their declaration date),
    the lines with one ``COPY`` (PostgreSQL; ``executemany`` on SQLite) with every column a posted
    line has (item data, amount = qty × unit price rounded half-even to 0.01 as ``_build_lines``,
    resolved version "0" for product lines).  Balances are not touched here: ``generate`` recomputes
    them once at the end with the product's ``recompute`` and verifies them (``check_balances``, no
    material below zero)."""
    plan = _plan_lists(seed, b, len(mats), len(prods), n_lines, scale)
    sizes, mix, day = plan["sizes"], plan["mix"], plan["day"]
    rules = {}
    for m, (_w, mode, ie, kind) in [(-1, (0, "0615", "I", "material")), *enumerate(LIST_MIX)]:
        first = _rule(mode, ie, kind, START)
        last = _rule(mode, ie, kind, START + dt.timedelta(days=365 * scale.years))
        if first.pk != last.pk:
            raise RuntimeError(f"posting rule of {mode} {ie} {kind} changes inside the generated years")
        rules[m] = (mode, ie, kind, first)
    tz = timezone.get_current_timezone()
    # items by pool position: (id, text of the columns item_id … name, price in cents, tail columns)
    pools = {}
    for kind, objs in (("material", mats), ("product", prods)):
        rows = (
            BookItem.objects.filter(pk__in=[o.pk for o in objs])
            .order_by("seq_no")
            .values_list("pk", "seq_no", "part_no", "hs_code", "name", "unit_price", "currency", "country")
        )
        by_pk = {r[0]: r for r in rows}
        ordered = [by_pk[o.pk] for o in objs]
        version = "0" if kind == "product" else ""
        pools[kind] = (
            [f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}" for r in ordered],
            np.array([int(Decimal(r[5] or 0).scaleb(2)) for r in ordered], dtype=np.int64),
            [f"{r[6] or ''}\t{r[7] or ''}\t\t{version}" for r in ordered],
            [(r[0], r[1], r[2], r[3], r[4], r[6] or "", r[7] or "", version) for r in ordered],
        )
    line_product = plan["line_product"]
    index, qty = plan["index"], plan["qty"]
    cents = np.empty(len(qty), dtype=np.int64)
    cents[line_product] = pools["product"][1][index[line_product]]
    cents[~line_product] = pools["material"][1][index[~line_product]]
    # amount = qty × price rounded half-even to 0.01 (as Decimal.quantize in _build_lines)
    whole, rest = np.divmod(qty * cents, SCALE)
    amount = whole + ((rest > SCALE // 2) | ((rest == SCALE // 2) & (whole % 2 == 1)))
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    totals = np.add.reduceat(amount, bounds[:-1]) if len(amount) else np.zeros(0, dtype=np.int64)

    objs = []
    for k in range(len(sizes)):
        mode, ie, kind, rule = rules[int(mix[k])]
        on = START + dt.timedelta(days=int(day[k]))
        objs.append(
            InventoryList(
                # book (4 digits) + list of the book (5 digits): unique whatever the worker
                number=f"QD7908{on.year % 100:02d}{ie}{b + 1:04d}{k + 1:05d}",
                internal_number=f"BN{b + 1:05d}{k + 1:05d}",
                book=book,
                enterprise_id=ent.pk,
                ie_mark=ie,
                supervision_mode=mode,
                item_kind=kind,
                declaration_date=on,
                state=ListState.POSTED,
                rule=rule,
                direction=1,
                submitted_at=dt.datetime.combine(on, dt.time(10), tzinfo=tz),
                posted_at=dt.datetime.combine(on, dt.time(11), tzinfo=tz),
                line_count=int(sizes[k]),
                total_amount=Decimal(int(totals[k])).scaleb(-2),
            )
        )
    InventoryList.objects.bulk_create(objs, batch_size=2000)
    list_of_line = np.repeat(np.array([o.pk for o in objs], dtype=np.int64), sizes)
    line_no = np.arange(len(qty)) - np.repeat(bounds[:-1], sizes) + 1
    qty_text = _dec_text(qty, 5)
    amount_text = _dec_text(amount, 2)
    price_text = _dec_text(cents, 2)
    table = InventoryListLine._meta.db_table
    cols = (
        "inventory_list_id, line_no, item_id, item_seq_no, part_no, hs_code, name, qty, legal_qty, legal_qty2,"
        " unit_price, amount, currency, country, consumption_version, resolved_version"
    )
    lp = line_product.tolist()
    idx = index.tolist()
    if connection.vendor == "postgresql":
        mids = {True: pools["product"][0], False: pools["material"][0]}
        tails = {True: pools["product"][2], False: pools["material"][2]}
        text = "".join(
            f"{lid}\t{no}\t{mids[p][i]}\t{q}\t\\N\t\\N\t{pr}\t{am}\t{tails[p][i]}\n"
            for lid, no, p, i, q, pr, am in zip(
                list_of_line.tolist(),
                line_no.tolist(),
                lp,
                idx,
                qty_text,
                price_text,
                amount_text,
                strict=True,
            )
        ).encode()
        with connection.cursor() as cur, cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for start in range(0, len(text), 1 << 24):
                copy.write(text[start : start + (1 << 24)])
    else:
        items = {True: pools["product"][3], False: pools["material"][3]}
        params = []
        for lid, no, p, i, q, pr, am in zip(
            list_of_line.tolist(), line_no.tolist(), lp, idx, qty_text, price_text, amount_text, strict=True
        ):
            pk, seq, part, hs, name, cur_, country, version = items[p][i]
            params.append(
                (lid, no, pk, seq, part, hs, name, q, None, None, pr, am, cur_, country, "", version)
            )
        with connection.cursor() as cur:
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * 16)})", params)
    if book.status == BookStatus.FILED:
        ledger.change_book_status(book, BookStatus.IN_USE, date=START, note="first posting")
    counts["lists"] += len(sizes)
    counts["lines"] += len(qty)


def _stock_factor(rnd: random.Random, n: int) -> Decimal:
    if n % 7 == 3:
        return 1 - Decimal(rnd.randint(200, 600)) / 10000
    if n % 11 == 5:
        return 1 + Decimal(rnd.randint(150, 400)) / 10000
    return 1 + Decimal(rnd.randint(-80, 80)) / 10000


def _writeoffs(rnd: random.Random, book, scale: Scale, counts) -> None:
    """One write-off per calendar year (see the module docstring), all through the services."""
    years = [START.year + y for y in range(scale.years)]
    for year in years:
        with transaction.atomic():
            wo = writeoffs.create_writeoff(book, dt.date(year, 1, 1), dt.date(year, 12, 31), note="bench")
            rows = [
                {"kind": "material", "seq_no": seq, "stock": max(q5(er * _stock_factor(rnd, n)), Decimal(0))}
                for n, (seq, er) in enumerate(
                    wo.lines.filter(kind="material")
                    .order_by("seq_no")
                    .values_list("seq_no", "expected_remaining")
                )
            ]
            writeoffs.import_stocktake(wo, rows, source="bench")
            writeoffs.change_writeoff_state(wo, "pre_check", note="bench")
            counts["writeoffs"] += 1
            counts["stocktake_rows"] += len(rows)
            cases = list(DifferenceCase.objects.filter(writeoff=wo, status="open"))
            counts["difference_cases"] += len(cases)
            if year == years[-1]:
                continue
            for case in cases:
                writeoffs.resolve_case(
                    case,
                    reason_code="consumption_low" if case.difference_qty < 0 else "consumption_high",
                    settlement_kind=case.proposed_kind,
                    resolution="bench: settled",
                )
            for state in ("submitted", "accepted", "closed"):
                writeoffs.change_writeoff_state(wo, state, note="bench")
