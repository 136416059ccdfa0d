"""Default document templates (公文模板) an administrator adapts: 简报, 通报, 走访情况汇总表, 催办通知书.

They use only the placeholders every document provides ({office}, {date} …), so a module's document
never fails on a default template; an administrator who adds e.g. {period} learns from the preview
and from the modules' pages which documents provide it."""

from django.db import migrations

DEFAULTS = [
    dict(kind="bulletin", name="工作简报", header_text="开发区工作简报", intro="", signature="", footer=""),
    dict(kind="circular", name="通报", header_text="{office}文件", intro="", signature="", footer=""),
    dict(kind="visit_summary", name="走访情况汇总表", header_text="", intro="", signature="", footer=""),
    dict(kind="reminder", name="催办通知书", header_text="{office}", intro="",
         signature="", footer="请于规定时限内办结，并将办理情况书面反馈。"),
]


def forwards(apps, schema_editor):
    DocumentTemplate = apps.get_model("documents", "DocumentTemplate")
    for row in DEFAULTS:
        DocumentTemplate.objects.get_or_create(kind=row["kind"], defaults=row)


def backwards(apps, schema_editor):
    DocumentTemplate = apps.get_model("documents", "DocumentTemplate")
    DocumentTemplate.objects.filter(kind__in=[r["kind"] for r in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
