"""Out-of-scope samples (Chongqing zone c1) for the URL-walking scope test: stats models.

Loaded by ``core.testing.scope_samples.load_app_samples`` (``<app>/tests/scope_samples.py``)."""

from zonebook.core.testing.scope_samples import register


def _entity_c1(world):
    from zonebook.stats.models import Entity

    zone = world.zones.c1
    return Entity.objects.get_or_create(
        zone=zone, defaults=dict(code=f"Z{zone.pk}", name=zone.name, level="zone", province_code=zone.province_code,
                                 city_code=zone.city_code, region="west", zone_type="FTZ"))[0]


@register("stats.entity")
def _entity(world):
    return _entity_c1(world)


@register("stats.submission")
def _submission(world):
    import datetime as dt

    from zonebook.stats.models import ReportForm, ReportPeriod, Submission

    rp = ReportPeriod.objects.get_or_create(form=ReportForm.objects.get(code="ZONE_MONTHLY"), period=dt.date(2026, 3, 1),
                                            defaults={"due_date": dt.date(2026, 4, 8)})[0]
    return Submission.objects.get_or_create(report_period=rp, entity=_entity_c1(world))[0]


@register("stats.observation")
def _observation(world):
    import datetime as dt
    from decimal import Decimal

    from zonebook.stats.models import Indicator, Observation

    entity = _entity_c1(world)
    obs = Observation.objects.filter(entity=entity).first()
    if obs is None:
        obs = Observation(entity=entity, indicator=Indicator.objects.get(code="TRADE_USD"), period=dt.date(2026, 3, 1),
                          basis="cum", value=Decimal("12.5"), provenance="imported", source_ref="海关统计")
        obs.save()
    return obs


@register("stats.figure")
def _figure(world):
    from zonebook.stats import sql
    from zonebook.stats.models import Figure

    obs = _observation(world)
    sql.recompute()
    return Figure.objects.get(entity=obs.entity, indicator=obs.indicator, ym=obs.ym, basis=obs.basis)
