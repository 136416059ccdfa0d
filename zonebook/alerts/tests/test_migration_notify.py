"""The move of the notifications from ``alerts`` to ``notify`` keeps every row (ids, reading state)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from zonebook.notify.models import Notification

BEFORE = [("alerts", "0003_carryover_alerts"), ("notify", None)]
AFTER = [("alerts", "0004_move_notifications_to_notify"), ("notify", "0001_initial")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_rows_are_copied_with_their_ids_and_kinds_prefixed(world):
    user = world.users.zone
    _migrate(BEFORE)
    try:
        with connection.cursor() as cur:
            for pk, kind, read in ((7, "expiry", None), (9, "flag", "2026-06-01 08:00:00+00:00")):
                cur.execute(
                    "INSERT INTO alerts_notification (id, recipient_id, kind, params, url, object_type, object_id,"
                    " dedupe_key, created_at, read_at) VALUES (%s, %s, %s, %s, '/alerts/1/', 'alerts.alert', '1',"
                    " %s, '2026-06-01 07:00:00+00:00', %s)",
                    [pk, user.pk, kind, '{"book": "E1", "due": "2026-07-01"}', f"key{pk}", read],
                )
    finally:
        _migrate(AFTER)
    rows = {n.pk: n for n in Notification.objects.all()}
    assert set(rows) == {7, 9}
    assert rows[7].kind == "alerts.expiry" and rows[7].read_at is None and rows[7].recipient_id == user.pk
    assert rows[7].title == "Book E1 expires on 2026-07-01"
    assert rows[9].kind == "alerts.flag" and rows[9].read_at is not None
    assert rows[7].params == {"book": "E1", "due": "2026-07-01"} and rows[7].dedupe_key == "key7"
    # new rows get fresh ids (the PostgreSQL sequence was moved past the copied ones)
    new = Notification.objects.create(recipient=user, kind="alerts.expiry", dedupe_key="new")
    assert new.pk > 9
    # and back: the reverse migration restores the alerts table
    _migrate(BEFORE)
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT id, kind FROM alerts_notification ORDER BY id")
            assert cur.fetchall()[:2] == [(7, "expiry"), (9, "flag")]
    finally:
        _migrate(AFTER)
