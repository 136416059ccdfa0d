"""Notifications: responsible users, idempotence, escalation, reading; the command and the job."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from zonebook.alerts import services
from zonebook.alerts.models import Alert
from zonebook.audit.models import AuditEntry
from zonebook.notify.models import Notification

from . import builders as b

TODAY = dt.date(2026, 6, 10)


@pytest.fixture
def due(world):
    """One amber expiry (45 days) in zone a1 (enterprise a1) and one red (5 days) in zone b1."""
    amber = b.book(world.enterprises.a1, valid_until=TODAY + dt.timedelta(days=45))
    red = b.book(world.enterprises.b1, valid_until=TODAY + dt.timedelta(days=5))
    return amber, red


def _recipients(book):
    return set(
        Notification.objects.filter(params__book=book.number).values_list("recipient__username", flat=True)
    )


@pytest.mark.django_db
def test_notifications_go_to_the_responsible_users_once(world, cfg, due):
    amber, red = due
    result = services.send_due_alerts(TODAY)
    # a1's book: the enterprise user of a1 and the zone office of a1 (staff and leader); not the customs
    # liaison of a1 (read-only role), not other zones, not province/city users
    assert _recipients(amber) == {"e_a1", "a1_staff", "a1_leader"}
    assert _recipients(red) == {"b1_staff"}
    assert result["notifications"] == 4
    again = services.send_due_alerts(TODAY)
    assert again["notifications"] == 0 and Notification.objects.count() == 4
    n = Notification.objects.get(recipient=world.users.enterprise)
    assert n.title == f"Book {amber.number} expires on {amber.valid_until.isoformat()}"
    assert n.url == f"/alerts/{Alert.objects.get(book=amber).pk}/"
    # 15 days later the amber alert is red (30 days left): its 3 users are notified again, once; and the
    # red book's write-off deadline (expiry + 30 = TODAY + 35: 20 days left) turns amber → b1_staff
    later = TODAY + dt.timedelta(days=15)
    assert services.send_due_alerts(later)["notifications"] == 4
    assert Notification.objects.filter(kind="alerts.writeoff").get().recipient == world.users.other_zone
    assert Notification.objects.filter(params__book=amber.number, params__light="red").count() == 3
    assert services.send_due_alerts(later)["notifications"] == 0
    assert AuditEntry.objects.filter(code="alerts.notifications.sent").count() == 4


@pytest.mark.django_db
def test_only_red_when_amber_is_not_notified(world, cfg, due):
    services.save_settings({"notify_amber": False})
    services.send_due_alerts(TODAY)
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"b1_staff"}


@pytest.mark.django_db
def test_reading_notifications(world, cfg, due, client):
    services.send_due_alerts(TODAY)
    user = world.users.zone
    client.force_login(user)
    r = client.get("/notifications/badge/")
    assert b'data-unread="1"' in r.content
    page = client.get("/notifications/")
    assert page.status_code == 200 and "expires on" in page.content.decode()
    n = Notification.objects.get(recipient=user)
    # another user's notification is 404 (personal)
    other = Notification.objects.get(recipient=world.users.zone_leader)
    assert client.post(f"/notifications/{other.pk}/read/").status_code == 404
    r = client.post(f"/notifications/{n.pk}/read/", {"open": "1"})
    assert r.status_code == 302 and r["Location"] == n.url
    n.refresh_from_db()
    assert n.read_at is not None
    assert client.get("/notifications/badge/").content.strip() == b""
    client.force_login(world.users.enterprise)
    client.post("/notifications/read-all/")
    assert not Notification.objects.filter(recipient=world.users.enterprise, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=world.users.zone_leader, read_at__isnull=True).exists()


@pytest.mark.django_db
def test_send_alerts_command_and_background_job(world, cfg, due, client):
    out = io.StringIO()
    call_command("send_alerts", "--date", TODAY.isoformat(), stdout=out)
    assert "notifications=4" in out.getvalue()
    # the page button starts a job; enterprise users may not
    client.force_login(world.users.enterprise)
    assert client.post("/alerts/refresh/").status_code == 403
    client.force_login(world.users.zone)
    with pytest.MonkeyPatch.context() as mp:
        from zonebook.jobs import services as jobs

        mp.setattr(jobs, "_enqueue", lambda pk: None)  # the worker is not running in tests
        r = client.post("/alerts/refresh/")
    assert r.status_code == 302
    from zonebook.jobs.models import Job

    job = Job.objects.get(kind="alerts.send")
    assert job.func_path == "zonebook.alerts.jobs.run_send_alerts"
    from zonebook.jobs.services import execute

    assert execute(job.pk) == "succeeded"
    job.refresh_from_db()
    assert "notifications" in job.result and "alerts_open" in job.result  # (as of the real today)


@pytest.mark.django_db
def test_send_alerts_is_a_daily_schedule(world, cfg, monkeypatch):
    """``send_alerts`` runs from the scheduler (declared in AlertsConfig.ready), no cron needed."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from zonebook.jobs import schedules
    from zonebook.jobs.models import Job

    schedule = schedules.get("alerts.send")
    assert schedule is not None and schedule.spec.expr == "30 6 * * *"
    assert schedule.func_path == "zonebook.alerts.jobs.run_send_alerts"
    monkeypatch.setattr(schedules, "_REGISTRY", {"alerts.send": schedule})  # only this one
    today = timezone.localdate()
    red = b.book(world.enterprises.b1, valid_until=today + dt.timedelta(days=5))
    sh = ZoneInfo("Asia/Shanghai")
    at = dt.datetime.combine(today, dt.time(6, 29), tzinfo=sh)
    assert schedule.next_after(at) == dt.datetime.combine(today, dt.time(6, 30), tzinfo=sh)
    (run,) = schedules.run_due(at + dt.timedelta(minutes=2), execute=True)
    job = Job.objects.get(pk=run.job_id)
    assert job.state == Job.State.SUCCEEDED and job.kind == "alerts.send"
    assert job.result["notifications"] == 1 and _recipients(red) == {"b1_staff"}
    # later the same day: nothing due; the next morning: once more
    assert schedules.run_due(at + dt.timedelta(hours=10), execute=True) == []
    assert len(schedules.run_due(at + dt.timedelta(days=1, minutes=1), execute=True)) == 1
