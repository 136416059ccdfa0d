import datetime as dt
from decimal import Decimal

import pytest

from zonebook.investment import services as svc
from zonebook.investment.models import Investor
from zonebook.registry.testing import code


@pytest.fixture
def inv(world):
    """Helpers: an investor and project builder in zone a1 (Chengdu), written through the services."""

    class H:
        industry = code("industry", "39", "计算机、通信和其他电子设备制造业", level=2)
        admin = world.users.admin
        zone = world.zones.a1

        def investor(self, name="富士康科技集团", zone=None):
            z = zone or self.zone
            return svc.create_investor(
                {"name": name, "province_code": z.province_code, "city_code": z.city_code, "zone": z},
                by=self.admin,
            )

        def project(
            self,
            *,
            zone=None,
            investor=None,
            amount=Decimal(20000),
            signed=None,
            kind="new",
            parent=None,
            currency="CNY",
            rate=Decimal(1),
            funds=Decimal(0),
            **extra,
        ):
            z = zone or self.zone
            p = svc.create_project(
                {
                    "name": extra.pop("name", "笔记本电脑整机项目"),
                    "zone": z,
                    "investor": investor,
                    "industry": self.industry,
                    "contracted_investment": amount,
                    "currency": currency,
                    "fx_rate": rate,
                    "kind": kind,
                    "parent": parent,
                    "funds_in_place": funds,
                    **extra,
                },
                by=self.admin,
            )
            if signed:
                svc.record_milestone(p, "signed", signed, by=self.admin)
                p.refresh_from_db()
            return p

    h = H()
    h.world = world
    return h


D = dt.date
__all__ = ["D", "Investor"]
