"""Two workers running the escalation run at once fire each step exactly once (PostgreSQL)."""

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from zonebook.audit.models import AuditEntry
from zonebook.sla import services, workcal
from zonebook.sla.models import Escalation

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="concurrent runs need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_escalation_runs_at_once_fire_each_step_once():
    workcal.clear()
    policy = services.define_policy("test.conc", name="Conc", legal_limit=5, steps=[(0, "handler"), (1, "unit_head")])
    start = timezone.make_aware(dt.datetime(2026, 3, 2, 9))
    User = get_user_model()
    for i in range(30):
        services.start_clock(User.objects.create(username=f"c{i}"), policy, started_at=start)
    now = timezone.make_aware(dt.datetime(2026, 3, 20, 9))
    barrier = threading.Barrier(2)
    results = [None, None]

    def worker(n):
        try:
            barrier.wait()
            results[n] = services.run_escalations(now)
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r["fired"] for r in results) == [0, 60], results
    assert Escalation.objects.filter(state=Escalation.State.FIRED).count() == 60
    assert AuditEntry.objects.filter(code="sla.escalation.fired").count() == 60
