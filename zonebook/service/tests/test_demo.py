import pytest

from zonebook.service import demo
from zonebook.service.models import (
    Campaign,
    EnterpriseTier,
    Liaison,
    OperationReport,
    Responsibility,
    ServiceRequest,
    Visit,
)

pytestmark = pytest.mark.django_db


def test_demo_loader_fills_every_part_once(world, svc):
    demo.load(visits=(1, 2), requests=(2, 3))
    counts = [Responsibility.objects.count(), Liaison.objects.count(), Visit.objects.count(), ServiceRequest.objects.count()]
    assert all(counts)
    # every enterprise has a liaison; closed and open requests both exist
    assert not Liaison.objects.values("enterprise").distinct().count() < 5
    assert ServiceRequest.objects.filter(status="closed").exists()
    assert ServiceRequest.objects.exclude(status="closed").exists()
    # a three-week daily report, some of it late; a few key enterprises set by hand
    campaign = Campaign.objects.get()
    assert OperationReport.objects.filter(campaign=campaign).values("date").distinct().count() >= 20
    assert OperationReport.objects.filter(late=True).exists() or OperationReport.objects.count() < 30
    assert EnterpriseTier.objects.exists()
    counts.append(OperationReport.objects.count())
    demo.load()  # idempotent
    assert counts == [Responsibility.objects.count(), Liaison.objects.count(), Visit.objects.count(),
                      ServiceRequest.objects.count(), OperationReport.objects.count()]
