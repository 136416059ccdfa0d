"""The bulletin templates (公文模板 ``bulletin.month`` and ``bulletin.quarter``), edited by an
administrator on the documents' template page like every other kind."""

from django.db import migrations

DEFAULTS = [
    dict(kind="bulletin.month", name="月度通报", office="四川省商务厅", series="川商通报",
         header_text="{office}文件", recipients="各市（州）商务主管部门，各海关特殊监管区域管理机构",
         intro="现将{period}{zone}海关特殊监管区域主要经济指标情况通报如下。", signature="", footer="（此件主动公开）"),
    dict(kind="bulletin.quarter", name="季度通报（调度）", office="四川省商务厅", series="川商通报",
         header_text="{office}文件", recipients="各市（州）商务主管部门，各海关特殊监管区域管理机构",
         intro="现将{period}{zone}海关特殊监管区域主要经济指标完成情况通报如下，请各地对照目标抓好调度。",
         signature="", footer="（此件主动公开）"),
]


def forwards(apps, schema_editor):
    DocumentTemplate = apps.get_model("documents", "DocumentTemplate")
    for row in DEFAULTS:
        DocumentTemplate.objects.get_or_create(kind=row["kind"], defaults=row)


def backwards(apps, schema_editor):
    apps.get_model("documents", "DocumentTemplate").objects.filter(kind__in=[r["kind"] for r in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("bulletins", "0001_initial"), ("documents", "0002_default_templates")]
    operations = [migrations.RunPython(forwards, backwards)]
