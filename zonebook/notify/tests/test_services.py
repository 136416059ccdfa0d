"""notify(): bulk, idempotent, audited, linked; responsible users; e-mail only when enabled."""

import pytest
from django.core import mail

from zonebook.audit.models import AuditEntry
from zonebook.notify import services
from zonebook.notify.models import Notification


@pytest.mark.django_db
def test_notify_creates_one_row_per_user_once_per_key(world, test_kind, django_assert_max_num_queries):
    users = [world.users.zone, world.users.zone_leader, world.users.enterprise]
    ent = world.enterprises.a1
    with django_assert_max_num_queries(8):  # count, bulk insert, count, audit (+ savepoints): not per user
        created = services.notify(users, "test.visit", {"place": "西区", "day": "2026-06-10"}, obj=ent,
                                  dedupe_key="visit:1")
    assert created == 3
    n = Notification.objects.get(recipient=world.users.zone)
    assert n.title == "Visit to 西区 on 2026-06-10" and n.body == "Bring nothing."
    assert n.url == f"/registry/enterprises/{ent.pk}/"
    assert (n.object_type, n.object_id) == ("registry.enterprise", str(ent.pk))
    # the same key again (plus one new user): only the new user is notified
    again = services.notify(users + [world.users.city.pk], "test.visit", {"place": "西区"}, obj=ent,
                            dedupe_key="visit:1")
    assert again == 1 and Notification.objects.count() == 4
    entries = AuditEntry.objects.filter(code="notify.sent").order_by("id")
    assert [e.changes["created"] for e in entries] == [3, 1]
    assert entries[0].changes["kinds"] == ["test.visit"]


@pytest.mark.django_db
def test_without_a_key_every_call_notifies(world, test_kind):
    services.notify([world.users.zone], "test.visit", {"place": "A"})
    services.notify([world.users.zone], "test.visit", {"place": "A"})
    assert Notification.objects.filter(recipient=world.users.zone).count() == 2


@pytest.mark.django_db
def test_responsible_users_of_an_object_or_a_scope(world):
    ent = world.enterprises.a1
    got = set(services.responsible_users(ent).values_list("username", flat=True))
    # the enterprise's users and the zone office's staff and leaders — not the customs liaison,
    # not other zones, not the city or province
    assert got == {"e_a1", "a1_staff", "a1_leader"}
    assert set(services.responsible_users({"zone": world.zones.b1.pk}).values_list("username", flat=True)) == {
        "b1_staff"
    }
    world.users.zone_leader.is_active = False
    world.users.zone_leader.save(update_fields=["is_active"])
    assert "a1_leader" not in set(services.responsible_users(world.zones.a1).values_list("username", flat=True))
    assert not services.responsible_users({}).exists()
    with pytest.raises(TypeError):
        services.responsible_users(42)


@pytest.mark.django_db
def test_no_mail_unless_enabled(world, test_kind, settings, django_capture_on_commit_callbacks):
    settings.NOTIFY_EMAIL = False
    world.users.zone.email = "a1@example.com"
    world.users.zone.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        services.notify([world.users.zone], "test.visit", {"place": "A", "day": "D"})
    assert mail.outbox == []
    assert Notification.objects.get().emailed_at is None


@pytest.mark.django_db
def test_mail_is_sent_once_when_enabled(world, test_kind, settings, django_capture_on_commit_callbacks):
    settings.NOTIFY_EMAIL = True
    settings.NOTIFY_BASE_URL = "https://zonebook.example"
    settings.EMAIL_SUBJECT_PREFIX = "[ZB] "
    settings.LANGUAGE_CODE = "en"
    world.users.zone.email = "a1@example.com"
    world.users.zone.save(update_fields=["email"])
    users = [world.users.zone, world.users.zone_leader]  # the leader has no address: in-app only
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notify(users, "test.visit", {"place": "A", "day": "D"}, obj=world.enterprises.a1) == 2
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == ["a1@example.com"] and msg.subject == "[ZB] Visit to A on D"
    assert f"https://zonebook.example/registry/enterprises/{world.enterprises.a1.pk}/" in msg.body
    assert Notification.objects.get(recipient=world.users.zone).emailed_at is not None
    assert services.send_pending_email() == 0  # each notification is mailed once


@pytest.mark.django_db
def test_a_failing_mail_server_keeps_the_notification(world, test_kind, settings, monkeypatch,
                                                      django_capture_on_commit_callbacks):
    settings.NOTIFY_EMAIL = True
    world.users.zone.email = "a1@example.com"
    world.users.zone.save(update_fields=["email"])

    def boom(self, messages):
        raise OSError("SMTP down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", boom)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notify([world.users.zone], "test.visit", {"place": "A"}) == 1
    n = Notification.objects.get()
    assert n.emailed_at is None  # retried by the next send
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.notify([world.users.zone], "test.visit", {"place": "B"})
    assert sorted(m.subject.split("Visit to ")[1][:1] for m in mail.outbox) == ["A", "B"]
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


@pytest.mark.django_db
def test_nothing_to_send_writes_nothing(world, test_kind):
    assert services.notify([], "test.visit", {}) == 0
    assert not AuditEntry.objects.filter(code="notify.sent").exists()
