"""Ship the default alert thresholds (one AlertSettings row, pk = 1; kept as edited afterwards)."""

from django.db import migrations


def forwards(apps, schema_editor):
    AlertSettings = apps.get_model("alerts", "AlertSettings")
    AlertSettings.objects.get_or_create(pk=1)  # model defaults: see models.AlertSettings / docs/alerts.md


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
