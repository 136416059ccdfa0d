"""manage.py duty_calc --book NUMBER --item SEQ --qty Q --date YYYY-MM-DD [--kind material|product]
[--category material|product|leftover|defective|byproduct|scrap] [--variant product|materials]
[--value CNY] [--fx RATE] [--scrap-hs HS]

Simulates a domestic sale (内销) and prints the taxes, the deferred-tax interest, the rules applied
and the balance effect — the figures of the calculator page (nothing is written).  --date is the
acceptance / tax-notice date; --item is the 备案序号 of a material (default) or, with --kind product,
of a product.  A scrap sale (--category scrap) names the material, the scrap's own HS code
(--scrap-hs) and its assessed price (--value); it comes off the material's scrap balance.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from zonebook.core.errors import DomainError
from zonebook.ledger.models import Book
from zonebook.ledger.services.duty import simulate_domestic_sale


class Command(BaseCommand):
    help = "Simulate a domestic sale: taxes, deferred-tax interest, rules, balance effect."

    def add_arguments(self, parser):
        parser.add_argument("--book", required=True)
        parser.add_argument("--item", required=True, type=int, help="sequence number (备案序号)")
        parser.add_argument("--kind", choices=["material", "product"], default=None)
        parser.add_argument("--qty", required=True)
        parser.add_argument("--date", required=True, help="acceptance / tax-notice date YYYY-MM-DD")
        parser.add_argument("--category", default=None)
        parser.add_argument("--variant", choices=["product", "materials"], default=None)
        parser.add_argument(
            "--value", default=None, help="customs value in CNY (else filed price × qty × fx)"
        )
        parser.add_argument("--fx", default="1", help="exchange rate to CNY of the filed prices")
        parser.add_argument("--scrap-hs", default=None, help="category scrap: HS code of the scrap")

    def handle(self, *args, book, item, kind, qty, date, category, variant, value, fx, scrap_hs, **o):
        b = Book.objects.filter(number=book.strip().upper()).first()
        if b is None:
            raise CommandError(f"unknown book number {book}")
        try:
            on = dt.date.fromisoformat(date)
        except ValueError:
            raise CommandError(f"--date: {date} is not a date (YYYY-MM-DD)")
        if kind is None:
            kind = "product" if (variant or category in ("product", "defective")) else "material"
        try:
            r = simulate_domestic_sale(
                b,
                item_kind=kind,
                seq_no=item,
                qty=qty,
                on=on,
                category=category,
                value=value,
                exchange_rate=fx,
                variant=variant,
                scrap_hs=scrap_hs,
            )
        except DomainError as exc:
            raise CommandError(str(exc.message))
        w = self.stdout.write
        w(
            f"book {r['book']}  {r['item']['kind']} #{r['item']['seq_no']} {r['item']['part_no']}  qty {r['qty']}  date {r['date']}  category {r['category']}"
        )
        for v in r["variants"]:
            w(f"\n[{v['key']}] {v['label']}")
            w("hs_code,name,qty,value,tariff_rate,tariff,consumption_rate,consumption_tax,vat_rate,vat,total")
            for ln in v["lines"]:
                w(
                    ",".join(
                        str("" if ln.get(k) is None else ln.get(k))
                        for k in (
                            "hs_code",
                            "name",
                            "qty",
                            "value",
                            "tariff_rate",
                            "tariff",
                            "consumption_rate",
                            "consumption_tax",
                            "vat_rate",
                            "vat",
                            "total",
                        )
                    )
                )
            i = v["interest"]
            w(f"total_tax {v['total_tax']}")
            w(
                f"interest base {i['base'] if i['base'] is not None else '-'} start {i['start'] or '-'} end {i['end']} days {i['days']} "
                f"rate {i['rate'] if i['rate'] is not None else '-'} {i['basis']} amount {i['amount']} {i['note']}".rstrip()
            )
            w(f"grand_total {v['grand_total']}")
        if r["leftover"] and r["leftover"]["applies"]:
            w(f"\nleftover licence exempt: {r['leftover']['licence_exempt']}")
        w("\nrules:")
        for rule in r["rules"]:
            w(f"- {rule}")
        w("balance effect: seq_no,part_no,column,before,delta,after")
        for e in r["balance_effect"]:
            w(f"{e['seq_no']},{e['part_no']},{e['column']},{e['before']},{e['delta']},{e['after']}")
