"""The scheduled monthly build (``bulletins.monthly``, daily at 08:00): last month's bulletin of the
province, each city and each zone of the installation is built once its data is reviewed (a period
still under review is tried again the next day), and after a quarter's last month the quarterly one
too; publishing stays a person's decision."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone


def scheduled_scopes():
    """The province, city and zone entities of the registry's zones (peers elsewhere are left out)."""
    from zonebook.stats.models import Entity

    zones = Entity.objects.filter(level="zone", zone__isnull=False)
    provinces = set(zones.values_list("province_code", flat=True))
    cities = set(zones.values_list("city_code", flat=True))
    return Entity.objects.filter(
        Q(pk__in=zones.values("pk")) | Q(level="province", province_code__in=provinces)
        | Q(level="city", city_code__in=cities)
    ).order_by("level", "code")


def build_due(today: dt.date | None = None) -> dict:
    """Build last month's bulletins (and, after a quarter's last month, the quarter's) that have no
    reviewed version yet and whose data is reviewed."""
    from .build import BulletinError, Period
    from .models import BulletinVersion, Frequency
    from .services import build, review_state

    today = today or timezone.localdate()
    last = (today.replace(day=1) - dt.timedelta(days=1))
    periods = [Period(Frequency.MONTH, last.year, last.month)]
    if last.month % 3 == 0:
        periods.append(Period(Frequency.QUARTER, last.year, last.month))
    built, waiting, skipped = [], [], []
    scopes = list(scheduled_scopes())
    for period in periods:
        done = set(BulletinVersion.objects.filter(bulletin__frequency=period.frequency, bulletin__period=period.date,
                                                  draft=False).values_list("bulletin__entity_id", flat=True))
        for entity in scopes:
            if entity.pk in done:
                continue
            reviewed, note = review_state(entity, period)
            if not reviewed:
                waiting.append(f"{entity.code} {period.key}: {note}")
                continue
            try:
                v = build(entity, period, by=None, today=today)
            except BulletinError as exc:
                skipped.append(f"{entity.code} {period.key}: {exc}")
                continue
            built.append(f"{entity.code} {period.key} v{v.version}")
    return {"period": periods[0].key, "built": built, "waiting": waiting, "skipped": skipped}


def monthly_job(job, **params) -> dict:
    from zonebook.jobs.services import progress

    progress(job, 0, 1, force=True)
    result = build_due()
    progress(job, 1, 1, force=True)
    return result
