"""Fixtures shared by every app: a small two-province world with users at every scope."""

from types import SimpleNamespace

import pytest

from zonebook.accounts.testing import user_for
from zonebook.registry.testing import EnterpriseFactory, ParkFactory, ZoneFactory


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """PBKDF2 costs ~0.25 s per hash; tests use MD5 so creating users and logging in stay cheap."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files (attachments) go to the test's own directory, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    """Files the app keeps beside the database (a job's live progress on SQLite) go to the test's own
    directory: test workers number their jobs from 1 alike and would share var/job-progress/1."""
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def world(db):
    """Two provinces, three cities, four zones, one enterprise each (plus one extra in zone a1).

    Sichuan 510000: Chengdu 510100 (zones a1, a2), Mianyang 510700 (zone b1).
    Chongqing 500000: 500100 (zone c1).
    """
    a1 = ZoneFactory(name="成都高新综合保税区", short_name="成都高新综保区", province_code="510000", city_code="510100")
    a2 = ZoneFactory(name="成都国际铁路港综合保税区", short_name="铁路港综保区", province_code="510000", city_code="510100")
    b1 = ZoneFactory(name="绵阳综合保税区", short_name="绵阳综保区", province_code="510000", city_code="510700")
    c1 = ZoneFactory(name="重庆西永综合保税区", short_name="西永综保区", province_code="500000", city_code="500100")
    park = ParkFactory(zone=a1, name="西区")
    e_a1 = EnterpriseFactory(zone=a1, park=park, name="成都甲电子有限公司")
    e_a1b = EnterpriseFactory(zone=a1, name="成都乙精密制造有限公司")
    e_a2 = EnterpriseFactory(zone=a2, name="成都丙物流有限公司")
    e_b1 = EnterpriseFactory(zone=b1, name="绵阳丁科技有限公司")
    e_c1 = EnterpriseFactory(zone=c1, name="重庆戊电脑有限公司")
    users = SimpleNamespace(
        admin=user_for("all", username="admin1"),
        province=user_for("province", "510000", username="sc_prov"),
        city=user_for("city", "510100", username="cd_city"),
        zone=user_for("zone", a1, username="a1_staff"),
        zone_leader=user_for("zone", a1, role="zone_leader", username="a1_leader"),
        enterprise=user_for("enterprise", e_a1, username="e_a1"),
        customs=user_for("zone", a1, role="customs_liaison", username="a1_customs"),
        other_province=user_for("province", "500000", username="cq_prov"),
        other_zone=user_for("zone", b1, username="b1_staff"),
        other_enterprise=user_for("enterprise", e_c1, username="e_c1"),
    )
    return SimpleNamespace(
        zones=SimpleNamespace(a1=a1, a2=a2, b1=b1, c1=c1),
        park=park,
        enterprises=SimpleNamespace(a1=e_a1, a1b=e_a1b, a2=e_a2, b1=e_b1, c1=e_c1),
        users=users,
    )


@pytest.fixture
def client_for(client):
    """client_for(user) -> a test client logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


def pytest_collection_modifyitems(config, items):
    """Transactional tests restore the data migrations' rows (code tables, posting rules, HS codes).

    A transactional test flushes the database when it ends; without serialized rollback the rows
    loaded by data migrations would be gone for the tests that run after it on the same worker, and
    mixing both kinds makes Django re-create content types twice. So every transactional test uses
    serialized rollback.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            item.add_marker(pytest.mark.django_db(**{**marker.kwargs, "serialized_rollback": True}), append=False)
