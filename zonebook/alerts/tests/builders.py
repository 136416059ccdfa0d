"""Small ledgers for the alert tests, built through the ledger services (test factories)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from zonebook.ledger.tests import factories as f
from zonebook.registry.testing import EnterpriseFactory

_n = itertools.count(1)
HS_P = "8471300000"
HS_M = "8542319000"


def book(enterprise, kind="C", **kw):
    number = f"{kind}5109{next(_n):07d}"
    return f.book(enterprise, kind=kind, number=number, **kw)


def bom_book(enterprise, net, t=0, i=0, *, kind="C", material_hs=HS_M, product_hs=HS_P, version="1", **kw):
    """A book with one material and one product whose consumption line is (net, t, i)."""
    b = book(enterprise, kind=kind, **kw)
    m = f.material(b, 1, hs_code=material_hs)
    p = f.product(b, 1, hs_code=product_hs)
    c = f.bom(p, m, net, t=t, i=i, version=version, valid_from=dt.date(2026, 1, 1))
    return b, p, m, c


def enterprise(zone, name):
    return EnterpriseFactory(zone=zone, name=name)


def money(x) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.01"))
