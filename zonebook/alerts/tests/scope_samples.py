"""Out-of-scope alert objects for the URL-walking scope test (Chongqing, zone c1; user e_c1)."""

from __future__ import annotations

import datetime as dt

from zonebook.core.testing.scope_samples import register


def _c1_book(world):
    from zonebook.ledger.tests.scope_samples import _c1_book as ledger_c1_book

    return ledger_c1_book(world)


@register("alerts.alert")
def _alert(world):
    from django.utils import timezone

    from zonebook.alerts.models import Alert

    book = _c1_book(world)
    now = timezone.now()
    return Alert.objects.get_or_create(
        key=f"expiry:{book.pk}:sample",
        defaults={
            "kind": "expiry",
            "book": book,
            "due_date": dt.date(2026, 1, 1),
            "first_seen_at": now,
            "refreshed_at": now,
        },
    )[0]


@register("alerts.plausibilityflag")
def _flag(world):
    from django.utils import timezone

    from zonebook.alerts.models import PlausibilityFlag

    book = _c1_book(world)
    c = book.consumptions.order_by("pk").first()
    now = timezone.now()
    return PlausibilityFlag.objects.get_or_create(
        key=f"prev:unit_consumption:{c.pk}",
        defaults={
            "kind": "previous_version",
            "metric": "unit_consumption",
            "book": book,
            "consumption": c,
            "product_id": c.product_id,
            "material_id": c.material_id,
            "version": c.version,
            "value": 1,
            "reference": 2,
            "deviation": -50,
            "threshold": 10,
            "first_seen_at": now,
            "refreshed_at": now,
        },
    )[0]
