"""``manage.py load_ledger_demo``: bonded books for the demo province, so the ledger pages have data.

About 30 books: zone books (H) for the processing enterprises of the 综合保税区, handbooks (C) and
e-books (E) for processing enterprises elsewhere.  Each gets realistic electronics, garment or food
materials and products (HS codes from the ledger's HS table), a consumption table (version 1, and
for some products a revised version 2 from mid-year) and twelve months of inventory lists posted
through the posting service (materials in every other month, products out every month), plus a reversal,
a few lists waiting to be posted and a draft.

Deterministic: fixed seed, fixed numbers.  Dates are laid out relative to today (the last twelve
months up to the current one) so the oversight page always shows books near expiry, write-off
deadlines, near-zero balances and lists posted this month.  Runs in one transaction; the
``posted_at`` of the history is back-dated to each list's declaration date (otherwise every list
would look posted today).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

SEED = 20260301
MONTHS = 12

# sector → (materials, products); material: (part_no, hs, name, spec, unit, price)
# product: (part_no, hs, name, unit, price, [(material index, net, tangible %, intangible %)])
SECTORS = {
    "electronics": (
        [
            ("IC-CPU-01", "8542319000", "处理器芯片", "BGA-1356", "007", "12.5000"),
            ("CAP-0402", "8532241000", "多层瓷介电容器", "0402 100nF", "007", "0.0200"),
            ("PCB-MB-08", "8534001000", "印刷电路板", "8层 FR4", "007", "3.2000"),
            ("LCD-14", "8524110000", "液晶显示模组", "14英寸 FHD", "007", "35.0000"),
            ("BAT-LI-4S", "8507600010", "锂离子蓄电池", "4S1P 56Wh", "007", "8.5000"),
            ("HSG-PC", "3926909090", "塑料外壳", "PC+ABS", "007", "1.1000"),
        ],
        [
            (
                "NB-14",
                "8471300000",
                "笔记本电脑",
                "001",
                "450.0000",
                [
                    (0, "1", "0.5", "0"),
                    (1, "118", "2", "0.5"),
                    (2, "1", "1", "0"),
                    (3, "1", "0.5", "0"),
                    (4, "1", "0", "0"),
                    (5, "2", "3", "0"),
                ],
            ),
            (
                "PH-65",
                "8517130000",
                "智能手机",
                "001",
                "180.0000",
                [
                    (0, "1", "0.5", "0"),
                    (1, "76", "2", "0.5"),
                    (2, "1", "1", "0"),
                    (4, "1", "0", "0"),
                    (5, "1", "3", "0"),
                ],
            ),
        ],
    ),
    "garments": (
        [
            ("FAB-CT-150", "5208320000", "染色平纹棉机织物", "150cm 130g/㎡", "030", "2.8000"),
            ("BTN-M-11", "9606220000", "贱金属钮扣", "11.5mm", "007", "0.0300"),
            ("ZIP-M-18", "9607110000", "金属拉链", "18cm", "007", "0.1200"),
            ("LBL-W", "5807100000", "机织商标", "主标", "007", "0.0100"),
            ("BAG-PE", "3923210000", "包装胶袋", "PE 30x40", "007", "0.0200"),
        ],
        [
            (
                "SH-M-CT",
                "6205200000",
                "棉制男衬衫",
                "011",
                "9.0000",
                [(0, "1.6", "8", "2"), (1, "8", "2", "0"), (3, "2", "0", "0"), (4, "1", "0", "0")],
            ),
            (
                "TR-M-CT",
                "6203420000",
                "棉制男式长裤",
                "011",
                "12.0000",
                [
                    (0, "1.9", "9", "1"),
                    (2, "1", "1", "0"),
                    (1, "1", "2", "0"),
                    (3, "2", "0", "0"),
                    (4, "1", "0", "0"),
                ],
            ),
        ],
    ),
    "food": (
        [
            ("MP-W26", "0402210000", "全脂奶粉", "26%脂肪 25kg/袋", "035", "3.4000"),
            ("SUG-W", "1701999000", "精制白砂糖", "一级", "035", "0.6000"),
            ("PO-RBD", "1511900000", "精制棕榈油", "RBD 24°", "035", "1.0000"),
            ("CTN-5", "4819100000", "瓦楞纸箱", "五层", "007", "0.4000"),
            ("CAN-250", "7612902000", "铝制易拉罐", "250ml", "007", "0.0500"),
        ],
        [
            (
                "DRK-MILK",
                "2202991000",
                "含乳饮料",
                "095",
                "0.8000",
                [(0, "0.03", "1", "0.5"), (1, "0.02", "0.5", "0.5"), (4, "1", "0.2", "0")],
            ),
            (
                "BSC-SWT",
                "1905310000",
                "甜饼干",
                "035",
                "3.0000",
                [(0, "0.15", "2", "1"), (1, "0.25", "1", "1"), (2, "0.2", "1", "0.5"), (3, "0.1", "0", "0")],
            ),
        ],
    ),
}
ZONE_BOOK_TYPES = {"FTZ", "EPZ"}


def sector_of(industry_code: str) -> str:
    if industry_code.startswith(("13", "14", "15")):
        return "food"
    if industry_code.startswith(("17", "18", "19")):
        return "garments"
    return "electronics"


def add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


class Command(BaseCommand):
    help = (
        "Load demo bonded books (about 30) with items, consumption and 12 months of posted inventory lists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--books", type=int, default=30, help="number of books (default 30)")

    def handle(self, *args, books=30, **options):
        from zonebook.core.context import acting_as
        from zonebook.ledger.models import Book

        if Book.objects.exists():
            self.stdout.write("Books exist already; ledger demo data not loaded.")
            return
        with acting_as("demo"), transaction.atomic():
            stats = LedgerDemo(books).run()
        self.stdout.write(
            self.style.SUCCESS("Ledger demo loaded: " + ", ".join(f"{v} {k}" for k, v in stats.items()))
        )


class LedgerDemo:
    def __init__(self, n_books: int = 30):
        self.rng = random.Random(SEED)
        self.n_books = n_books
        self.today = timezone.localdate()
        self.first_month = add_months(self.today.replace(day=1), -(MONTHS - 1))
        self.serial = 0
        self.stats = {"books": 0, "items": 0, "consumption lines": 0, "lists": 0, "lines": 0}

    # -- selection --------------------------------------------------------------------------------
    def enterprises(self):
        from zonebook.registry.models import Enterprise

        ents = list(
            Enterprise.objects.select_related("zone", "zone__kind", "zone__customs_office", "industry")
            .exclude(status="deregistered")
            .order_by("zone__name", "name")
        )
        zone_ents = [
            e for e in ents if e.zone.kind and e.zone.kind.code in ZONE_BOOK_TYPES and e.processing_mode
        ]
        other = [
            e
            for e in ents
            if not (e.zone.kind and e.zone.kind.code in ZONE_BOOK_TYPES)
            and e.industry
            and e.industry.code[:2] in ("13", "14", "15", "17", "18", "19", "36", "38", "39")
        ]
        n_other = min(len(other), max(3, self.n_books // 5))
        picked = zone_ents[: self.n_books - n_other] + other[:n_other]
        return picked[: self.n_books]

    def run(self) -> dict:
        from zonebook.accounts.models import User
        from zonebook.ledger.services.reference import load_demo_tax_rates, load_reference_data

        load_reference_data()  # posting rules, mode/book kinds, the HS codes the demo uses
        self.stats["tax rates"] = load_demo_tax_rates()  # what the domestic-sale calculator needs
        self.legal_units = self.hs_legal_units()
        from zonebook.accounts.demo import DEMO_USERS

        self.by = User.objects.filter(username="admin").first()
        # enterprises with a demo login get a list waiting for approval and a draft, to try the pages
        self.demo_enterprises = {row[4] for row in DEMO_USERS if row[3] == "enterprise"}
        ents = self.enterprises()
        for n, ent in enumerate(ents):
            self.book(n, ent)
        from zonebook.ledger.demo.carryover import load as load_carryovers  # 深加工结转

        load_carryovers(self)
        self.backdate()
        return self.stats

    @staticmethod
    def hs_legal_units() -> dict[str, tuple[str, str]]:
        """HS code → (legal unit 1, legal unit 2) from the HS table: items file the legal units of their code."""
        from zonebook.registry.models import Code
        from zonebook.registry.models.codes import HS_TABLE

        return {
            c: ((extra or {}).get("legal_unit1", ""), (extra or {}).get("legal_unit2", ""))
            for c, extra in Code.objects.filter(table__key=HS_TABLE).values_list("code", "extra")
        }

    def legal(self, hs: str, unit: str) -> dict[str, str]:
        unit1, unit2 = self.legal_units.get(hs, ("", ""))
        return {"legal_unit1": unit1 or unit, "legal_unit2": unit2}

    # -- one book -----------------------------------------------------------------------------------
    def next_list_number(self, office: str, date: dt.date, ie: str) -> str:
        self.serial += 1
        return f"QD{office}{date:%y}{ie}{self.serial:09d}"

    def book(self, n: int, ent):
        from zonebook.ledger import services

        rng = self.rng
        zone_book = ent.zone.kind is not None and ent.zone.kind.code in ZONE_BOOK_TYPES
        kind = "H" if zone_book else ("C" if n % 2 else "E")
        office = (ent.zone.customs_office.code if ent.zone.customs_office else "7901")[:4]
        number = f"{kind}{office}{self.first_month:%y}{n + 1:05d}"
        # deadlines: a few red, a few amber, the rest later; write-off cycles end at various points
        expiry_days = {0: 18, 3: 44, 5: 26}.get(n % 7, 120 + (n * 37) % 600)
        cycle_end_days = {4: 12, 7: 50}.get(n % 9, 90 + (n * 53) % 300)
        book = services.create_book(
            {
                "number": number,
                "enterprise": ent,
                "customs_office": office,
                "trade_mode": "5015" if zone_book else "0615",
                "cycle_start": self.first_month,
                "cycle_end": self.today + dt.timedelta(days=cycle_end_days),
                "valid_until": self.today + dt.timedelta(days=expiry_days),
                "max_import_value": Decimal(rng.choice([2, 5, 8, 12, 20])) * 1_000_000,
                "currency": "USD",
            },
            by=self.by,
        )
        self.stats["books"] += 1
        sector = sector_of(ent.industry.code if ent.industry else "39")
        materials_t, products_t = SECTORS[sector]
        materials = []
        for seq, (part, hs, name, spec, unit, price) in enumerate(materials_t, start=1):
            materials.append(
                services.add_item(
                    book,
                    "material",
                    {
                        "seq_no": seq,
                        "part_no": part,
                        "hs_code": hs,
                        "name": name,
                        "spec": spec,
                        "unit": unit,
                        **self.legal(hs, unit),
                        "unit_price": Decimal(price),
                        "currency": "USD",
                        "country": rng.choice(["KOR", "JPN", "USA", "DEU", "VNM"]),
                        "filed_qty": Decimal(2_000_000),
                    },
                    by=self.by,
                )
            )
        products, boms = [], []
        for seq, (part, hs, name, unit, price, bom) in enumerate(products_t, start=1):
            p = services.add_item(
                book,
                "product",
                {
                    "seq_no": seq,
                    "part_no": part,
                    "hs_code": hs,
                    "name": name,
                    "unit": unit,
                    **self.legal(hs, unit),
                    "unit_price": Decimal(price),
                    "currency": "USD",
                    "filed_qty": Decimal(500_000),
                },
                by=self.by,
            )
            products.append(p)
            for mi, net, t, i in bom:
                services.add_consumption(
                    p,
                    materials[mi],
                    {
                        "version": "1",
                        "valid_from": self.first_month,
                        "net": Decimal(net),
                        "tangible_rate": Decimal(t),
                        "intangible_rate": Decimal(i),
                        "bonded_share": Decimal(100),
                        "declaration_status": "3",
                    },
                    by=self.by,
                )
                self.stats["consumption lines"] += 1
            boms.append(bom)
        self.stats["items"] += len(materials) + len(products)
        # items and consumption are filed with the book; later edits count as changes (变更)
        book = services.change_book_status(book, "filed", by=self.by, date=self.first_month)
        # version 2 of the first product from month 7 (lower tangible loss on the main material) in every other book
        revised_from = add_months(self.first_month, 6)
        if n % 2 == 0:
            first_mat = materials[boms[0][0][0]]
            services.revise_consumption(
                products[0],
                "1",
                "2",
                {first_mat.pk: {"tangible_rate": Decimal(boms[0][0][2]) / 2}},
                valid_from=revised_from,
                by=self.by,
            )
            self.stats["consumption lines"] += len(boms[0])
        self.history(n, book, office, zone_book, materials, products, boms, revised_from)
        if n in (7, 8):
            services.change_book_status(book, "under_writeoff", by=self.by, note="年度报核")

    def history(self, n, book, office, zone_book, materials, products, boms, revised_from):
        """Twelve months: materials in on the 3rd of the first and then every other month (enough until the
        next import), products out on the 20th of every month."""
        from zonebook.ledger import services

        rng = self.rng
        mode_in, mode_out = ("5000", "5100") if zone_book else ("0615", "0615")
        tight = n % 6 == 3  # imports of two materials just cover production: their balances end near zero
        scale = Decimal(rng.choice([200, 400, 600, 1000]))
        plan = [[scale * Decimal(rng.randint(80, 130)) / 100 for _ in products] for _m in range(MONTHS)]
        for m in range(MONTHS):
            month = add_months(self.first_month, m)
            d_in = min(month.replace(day=3), self.today)
            d_out = min(month.replace(day=20), self.today)
            last = m == MONTHS - 1
            if m == 0 or m % 2 == 1:
                need = [Decimal(0)] * len(materials)
                for qty in plan[m : m + (1 if m == 0 else 2)]:
                    for p_qty, bom in zip(qty, boms, strict=True):
                        for mi, net, t, i in bom:
                            need[mi] += p_qty * Decimal(net) / (1 - (Decimal(t) + Decimal(i)) / 100)
                factors = [
                    Decimal("1.004") if tight and k < 2 else Decimal(rng.randint(130, 180)) / 100
                    for k in range(len(materials))
                ]
                lines_in = [
                    (mat.seq_no, (need[k] * factors[k]).quantize(Decimal(1)) + 1, mat)
                    for k, mat in enumerate(materials)
                    if need[k] > 0
                ]
                self.inv(book, office, mode_in, "I", "material", d_in, lines_in)
            demo_user_book = book.enterprise.name in self.demo_enterprises
            if last and (n in (0, 2) or demo_user_book):
                # an extra import waiting for approval this month
                extra = [(mat.seq_no, Decimal(rng.randint(50, 500)), mat) for mat in materials[:3]]
                self.inv(book, office, mode_in, "I", "material", d_in, extra, action="pending")
            version_on = "2" if (n % 2 == 0 and d_out >= revised_from) else "1"
            lines_out = [
                (p.seq_no, q.quantize(Decimal(1)), p, version_on if k == 0 else "")
                for k, (p, q) in enumerate(zip(products, plan[m], strict=True))
            ]
            lst = self.inv(
                book,
                office,
                mode_out,
                "E",
                "product",
                d_out,
                lines_out,
                action="draft" if last and n == 1 else "post",
            )
            if m == MONTHS - 3 and n == 4:
                # a correction: the export list is reversed and declared again with the right quantity
                services.reverse_inventory_list(
                    lst, number=self.next_list_number(office, d_out, "E"), declaration_date=d_out, by=self.by
                )
                fixed = [(s, (q * Decimal("0.9")).quantize(Decimal(1)), it, v) for s, q, it, v in lines_out]
                self.inv(book, office, mode_out, "E", "product", d_out, fixed)

    def inv(self, book, office, mode, ie, kind, date, lines, action="post"):
        from zonebook.ledger import services

        header = {
            "number": self.next_list_number(office, date, ie),
            "ie_mark": ie,
            "supervision_mode": mode,
            "item_kind": kind,
            "declaration_date": date,
        }
        rows = []
        for k, line in enumerate(lines, start=1):
            seq, qty, item = line[0], line[1], line[2]
            row = {
                "line_no": k,
                "item_seq_no": seq,
                "qty": qty,
                "unit_price": item.unit_price,
                "currency": "USD",
            }
            if len(line) > 3 and line[3]:
                row["consumption_version"] = line[3]
            rows.append(row)
        lst = services.create_inventory_list(book, header, rows, by=self.by)
        self.stats["lists"] += 1
        self.stats["lines"] += len(rows)
        if action in ("post", "pending"):
            services.submit_inventory_list(lst, by=self.by)
        if action == "post":
            services.post_inventory_list(lst, by=self.by)
        return lst

    def backdate(self):
        """Posted lists get ``posted_at`` = their declaration date, 10:00 local time (one UPDATE per date)."""
        from zonebook.ledger.models import InventoryList

        dates = (
            InventoryList.objects.filter(state="posted").values_list("declaration_date", flat=True).distinct()
        )
        tz = timezone.get_current_timezone()
        for d in sorted(set(dates)):
            stamp = dt.datetime.combine(d, dt.time(10, 0), tzinfo=tz)
            InventoryList.objects.filter(state="posted", declaration_date=d).update(
                posted_at=stamp, submitted_at=stamp
            )
