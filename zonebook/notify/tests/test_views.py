"""The bell (fixed query count), the list, reading, the API; personal: another user's is 404."""

import pytest

from zonebook.notify import services
from zonebook.notify.models import Notification


def _send(users, n, kind="test.visit"):
    for i in range(n):
        services.notify(users, kind, {"place": f"P{i}", "day": "2026-06-10"}, dedupe_key=f"k{i}")


@pytest.mark.django_db
def test_bell_is_on_every_page_and_its_count_costs_fixed_queries(world, test_kind, client,
                                                                 django_assert_num_queries):
    user = world.users.zone
    client.force_login(user)
    home = client.get("/").content.decode()
    assert 'id="notification-badge"' in home and 'data-fill-url="/notifications/badge/"' in home
    _send([user], 1)
    client.get("/notifications/badge/")  # warm the session
    with django_assert_num_queries(3) as few:  # session, user, one COUNT
        r = client.get("/notifications/badge/")
    assert 'data-unread="1"' in r.content.decode()
    _send([user], 40)
    with django_assert_num_queries(len(few.captured_queries)):
        r = client.get("/notifications/badge/")
    assert 'data-unread="40"' in r.content.decode()  # k0 was already sent: 40 distinct keys


@pytest.mark.django_db
def test_list_read_and_open(world, test_kind, client):
    user, other = world.users.zone, world.users.other_zone
    services.notify([user, other], "test.visit", {"place": "西区", "day": "D"}, obj=world.enterprises.a1,
                    dedupe_key="v")
    client.force_login(user)
    page = client.get("/notifications/").content.decode()
    assert "Visit to 西区 on D" in page and "Visit planned" in page
    mine = Notification.objects.get(recipient=user)
    theirs = Notification.objects.get(recipient=other)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    r = client.post(f"/notifications/{mine.pk}/read/", {"open": "1"})
    assert r.status_code == 302 and r.url == mine.url
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.get("/notifications/badge/").content.strip() == b""
    assert Notification.objects.get(pk=theirs.pk).read_at is None


@pytest.mark.django_db
def test_an_external_link_is_not_followed(world, test_kind, client):
    services.notify([world.users.zone], "test.visit", {}, url="https://evil.example/")
    n = Notification.objects.get()
    client.force_login(world.users.zone)
    r = client.post(f"/notifications/{n.pk}/read/", {"open": "1"})
    assert r.url == "/notifications/"


@pytest.mark.django_db
def test_read_all_and_unread_filter(world, test_kind, client):
    user = world.users.enterprise
    _send([user, world.users.zone], 3)
    client.force_login(user)
    assert "3 unread" in client.get("/notifications/", {"unread": "1"}).content.decode()
    client.post("/notifications/read-all/")
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=world.users.zone, read_at__isnull=True).count() == 3


@pytest.mark.django_db
def test_api_lists_only_own_and_filters_by_registered_kind(world, test_kind, client):
    user = world.users.zone
    _send([user, world.users.other_zone], 2)
    client.force_login(user)
    data = client.get("/api/notifications/").json()
    assert data["count"] == 2 and data["results"][0]["kind_label"] == "Visit planned"
    assert client.get("/api/notifications/", {"kind": "test.visit"}).json()["count"] == 2
    assert client.get("/api/notifications/", {"kind": "nosuch"}).status_code == 400
    theirs = Notification.objects.filter(recipient=world.users.other_zone).first()
    assert client.get(f"/api/notifications/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    mine = Notification.objects.filter(recipient=user).first()
    assert client.post(f"/api/notifications/{mine.pk}/read/").json() == {"marked": 1}
    assert client.post("/api/notifications/read-all/").json() == {"marked": 1}
