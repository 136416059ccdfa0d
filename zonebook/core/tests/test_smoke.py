import pytest


@pytest.mark.django_db
def test_healthz_reports_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["database"]["status"] == "ok"


def test_world_scopes(world):
    from zonebook.registry.models import Enterprise

    assert set(Enterprise.objects.for_user(world.users.city)) == {
        world.enterprises.a1, world.enterprises.a1b, world.enterprises.a2
    }
    assert list(Enterprise.objects.for_user(world.users.enterprise)) == [world.enterprises.a1]
    assert Enterprise.objects.for_user(world.users.admin).count() == 5
