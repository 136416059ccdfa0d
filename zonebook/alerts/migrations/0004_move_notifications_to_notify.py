"""Notifications moved to the platform app ``notify``: copy every row of ``alerts_notification`` into
``notify_notification`` (same ids, kinds prefixed ``alerts.``), then drop the old table.

One INSERT … SELECT (set-based); on PostgreSQL the id sequence is moved past the copied ids.  The
reverse copies the alerts' rows back (kinds without the prefix).
"""

from django.core.management.color import no_style
from django.db import migrations

COLUMNS = "id, recipient_id, params, url, object_type, object_id, dedupe_key, created_at, read_at"


def _reset_sequence(schema_editor, model):
    conn = schema_editor.connection
    for sql in conn.ops.sequence_reset_sql(no_style(), [model]):
        schema_editor.execute(sql)


def copy_forward(apps, schema_editor):
    q = schema_editor.quote_name
    schema_editor.execute(
        f"INSERT INTO {q('notify_notification')} ({COLUMNS}, kind) "
        f"SELECT {COLUMNS}, 'alerts.' || kind FROM {q('alerts_notification')}"
    )
    _reset_sequence(schema_editor, apps.get_model("notify", "Notification"))


def copy_back(apps, schema_editor):
    q = schema_editor.quote_name
    schema_editor.execute(
        f"INSERT INTO {q('alerts_notification')} ({COLUMNS}, kind) "
        f"SELECT {COLUMNS}, SUBSTR(kind, 8) FROM {q('notify_notification')} WHERE SUBSTR(kind, 1, 7) = 'alerts.'"
    )
    _reset_sequence(schema_editor, apps.get_model("alerts", "Notification"))


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0003_carryover_alerts"),
        ("notify", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_forward, copy_back),
        migrations.DeleteModel(name="Notification"),
    ]
