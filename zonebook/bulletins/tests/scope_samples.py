"""Out-of-scope samples (Chongqing zone c1) for the URL-walking scope test: a bulletin of that zone.

Loaded by ``core.testing.scope_samples.load_app_samples`` (``<app>/tests/scope_samples.py``)."""

from zonebook.core.testing.scope_samples import register


@register("bulletins.bulletin")
def _bulletin(world):
    import datetime as dt

    from zonebook.bulletins.models import Bulletin
    from zonebook.stats.models import Entity

    zone = world.zones.c1
    entity = Entity.objects.get_or_create(
        zone=zone, defaults=dict(code=f"Z{zone.pk}", name=zone.name, level="zone", province_code=zone.province_code,
                                 city_code=zone.city_code, region="west", zone_type="FTZ"))[0]
    return Bulletin.objects.get_or_create(entity=entity, frequency="month", period=dt.date(2026, 9, 1),
                                          defaults={"title": f"{zone.name}2026年9月通报"})[0]
