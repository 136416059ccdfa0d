"""A small ledger on top of the ``world`` fixture, built through h4's services (via the test factories).

Book H (zone book) of 成都甲电子 (zone a1): materials 1 (opening 1,000) and 2, product 1 with
consumption version "1" (material 1: net 0.9, tangible 4 %, intangible 1 % → 单耗 0.947368421;
material 2: net 2, no loss → 单耗 2).  Posted: import 500 of material 1 (5000 I) and export 100
products (5100 E).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from zonebook.ledger.tests import factories as f

DATE = dt.date(2026, 3, 1)


def build(world, *, enterprise=None, number=None):
    ent = enterprise or world.enterprises.a1
    book = f.book(ent, kind="H", number=number, valid_until=dt.date(2030, 12, 31))
    m1 = f.material(book, 1, opening=1000)
    m2 = f.material(book, 2, opening=0)
    p1 = f.product(book, 1)
    f.bom(p1, m1, "0.9", t=4, i=1, version="1")
    f.bom(p1, m2, "2", version="1")
    imp = f.post(book, "5000", "I", "material", [(1, 500), (2, 300)], date=DATE)
    exp = f.post(book, "5100", "E", "product", [(1, 100)], date=DATE)
    return SimpleNamespace(book=book, m1=m1, m2=m2, p1=p1, imp=imp.inventory_list, exp=exp.inventory_list)
