"""Ledger factories and builders.  Data is created through the services (like the app does)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from zonebook.ledger import services
from zonebook.ledger.choices import BookStatus
from zonebook.ledger.services.reference import load_reference_data

_book = itertools.count(1)
_list = itertools.count(1)

HS_MATERIAL = "8542319000"
HS_PRODUCT = "8471300000"


def reference():
    """Make sure the reference data is there (it is loaded by a migration; flushed DBs need it again)."""
    load_reference_data()


def book(
    enterprise, kind: str = "C", status: str = BookStatus.IN_USE, valid_until=dt.date(2030, 12, 31), **kw
):
    reference()
    number = kw.pop("number", None) or f"{kind}5101{next(_book):07d}"[:12].ljust(12, "0")
    b = services.create_book({"number": number, "enterprise": enterprise, "valid_until": valid_until, **kw})
    path = {"draft": [], "filed": ["filed"], "in_use": ["filed", "in_use"], "closed": ["filed", "closed"]}[
        status
    ]
    for s in path:
        services.change_book_status(b, s)
    b.refresh_from_db()
    return b


def material(b, seq, opening=0, **kw):
    data = {
        "seq_no": seq,
        "part_no": kw.pop("part_no", f"M{seq:04d}"),
        "hs_code": HS_MATERIAL,
        "name": f"料件{seq}",
        "unit": "007",
        "legal_unit1": "007",
        "unit_price": Decimal("12.5"),
        "opening_qty": Decimal(opening),
    }
    data.update(kw)
    return services.add_item(b, "material", data)


def product(b, seq, **kw):
    data = {
        "seq_no": seq,
        "part_no": kw.pop("part_no", f"P{seq:04d}"),
        "hs_code": HS_PRODUCT,
        "name": f"成品{seq}",
        "unit": "001",
        "legal_unit1": "001",
    }
    data.update(kw)
    return services.add_item(b, "product", data)


def bom(p, m, net, t=0, i=0, version="0", bonded=100, **kw):
    return services.add_consumption(
        p,
        m,
        {
            "net": Decimal(str(net)),
            "tangible_rate": Decimal(str(t)),
            "intangible_rate": Decimal(str(i)),
            "bonded_share": Decimal(str(bonded)),
            "version": version,
            **kw,
        },
    )


def list_number(ie: str = "I", serial: int | None = None) -> str:
    return f"QD5101{26}{ie}{(serial or next(_list)):09d}"


def inv_list(b, mode, ie, kind, lines, date=dt.date(2026, 3, 1), submit=True, **kw):
    header = {
        "number": kw.pop("number", None) or list_number(ie),
        "ie_mark": ie,
        "supervision_mode": mode,
        "item_kind": kind,
        "declaration_date": date,
        **kw,
    }
    lst = services.create_inventory_list(
        b,
        header,
        [
            {"item_seq_no": s, "qty": str(q), **extra}
            for s, q, *rest in lines
            for extra in [rest[0] if rest else {}]
        ],
    )
    if submit:
        services.submit_inventory_list(lst)
    return lst


def post(b, mode, ie, kind, lines, **kw):
    lst = inv_list(b, mode, ie, kind, lines, **kw)
    return services.post_inventory_list(lst)
