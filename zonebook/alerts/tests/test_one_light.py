"""One traffic-light implementation: the ledger and the alerts both use ``notify.lights``."""

import datetime as dt

import pytest

from zonebook.alerts import calc as alerts_calc
from zonebook.alerts import queries as alerts_queries
from zonebook.alerts import tables as alerts_tables
from zonebook.alerts.models import Alert, AlertSettings
from zonebook.ledger import queries as ledger_queries
from zonebook.notify import lights


def test_no_module_keeps_its_own_light_rule():
    assert not hasattr(alerts_calc, "light")
    assert not hasattr(ledger_queries, "traffic_light")
    assert alerts_tables.light_badge is lights.light_badge


def test_the_ledger_light_is_the_notify_light(monkeypatch, settings):
    settings.ZONEBOOK = {**settings.ZONEBOOK, "LEDGER_EXPIRY_RED_DAYS": 10, "LEDGER_EXPIRY_AMBER_DAYS": 30}
    calls = []

    def spy(remaining, **kw):
        calls.append((remaining, kw))
        return "spied"

    monkeypatch.setattr(lights, "traffic_light", spy)
    assert ledger_queries.book_light(12) == "spied"
    assert calls == [(12, {"amber": 30, "red": 10})]


@pytest.mark.django_db
def test_the_alerts_sql_light_is_the_notify_rule(monkeypatch):
    cfg = AlertSettings.current()
    calls = []
    real = lights.date_light_whens

    def spy(field, today, **kw):
        calls.append(kw["kind"])
        return real(field, today, **kw)

    monkeypatch.setattr(lights, "date_light_whens", spy)
    alerts_queries.with_light(Alert.objects.all(), dt.date(2026, 6, 10), cfg)
    assert sorted(calls) == sorted(["expiry", "writeoff", "tax_due", "carryover"])
