"""Data migration: load the shipped code tables (same loader as ``manage.py load_codes``)."""

from django.db import migrations


def load(apps, schema_editor):
    from zonebook.registry.management.commands.load_codes import load_code_tables

    load_code_tables(apps.get_model("registry", "CodeTable"), apps.get_model("registry", "Code"))


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
