"""The demo: the province's bulletin of the latest reviewed month published on first start, the
latest month (returns still under review) a watermarked draft; loading twice changes nothing."""

from io import StringIO

import pytest
from django.db import transaction

from zonebook.accounts.testing import user_for
from zonebook.bulletins import demo
from zonebook.bulletins.models import Bulletin
from zonebook.core.context import acting_as

pytestmark = pytest.mark.django_db


def test_demo_publishes_the_latest_reviewed_month(db):
    from zonebook.registry.testing import ZoneFactory, code
    from zonebook.stats import demo as stats_demo

    cities = {"成都高新综合保税区": "510100", "成都国际铁路港综合保税区": "510100", "绵阳综合保税区": "510700",
              "泸州综合保税区": "510500", "宜宾综合保税区": "511500"}
    for name, city in cities.items():
        ZoneFactory(name=name, short_name=name[:6], city_code=city)
    ZoneFactory(name=stats_demo.EPZ_NAME, short_name="成都出口加工区", kind=code("zone_type", "EPZ", "出口加工区"))
    user_for("province", "510000", username="sichuan")
    with transaction.atomic(), acting_as("demo"):
        stats_demo.load(StringIO())
        out = StringIO()
        demo.load(out)
    assert "published" in out.getvalue()
    published = Bulletin.objects.get(period__month=9)
    assert published.published_version.version == 1 and not published.published_version.draft
    assert published.number == "川商通报〔2026〕1号"
    assert published.entity.code == "P510000" and published.published_version.published_by.username == "sichuan"
    draft = Bulletin.objects.get(period__month=10)
    assert draft.published_version is None and draft.versions.get().draft
    assert draft.versions.get().review_note.endswith("等5个园区月报尚未审核通过")  # only 高新 is accepted
    with transaction.atomic():
        demo.load(StringIO())
    assert Bulletin.objects.count() == 2 and demo.present()
