from django.db import migrations


def load(apps, schema_editor):
    from zonebook.ledger.services.reference import load_reference_data

    load_reference_data(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_initial"),
        ("registry", "0001_initial"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
