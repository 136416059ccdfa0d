"""The default catalogue of business application types (version 1 each) and their SLA policies."""

from django.db import migrations


def load(apps, schema_editor):
    from zonebook.operations.catalogue import TYPES, policy_key

    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    EscalationStep = apps.get_model("sla", "EscalationStep")
    ApplicationType = apps.get_model("operations", "ApplicationType")
    Version = apps.get_model("operations", "ApplicationTypeVersion")
    for order, (code, name, category, link, neg, word, legal, promised, fields, attachments) in enumerate(TYPES):
        policy, _ = SlaPolicy.objects.get_or_create(
            key=policy_key(code),
            defaults={"name": name, "unit": "working_days", "legal_limit": legal, "promised_limit": promised,
                      "warn_pct": 50, "red_pct": 90},
        )
        if not policy.steps.exists():  # overdue: the handler on the due day, the unit head a working day later
            EscalationStep.objects.create(policy=policy, order=1, delay=0, target="handler")
            EscalationStep.objects.create(policy=policy, order=2, delay=1, target="unit_head")
        t, created = ApplicationType.objects.get_or_create(
            code=code, defaults={"name": name, "category": category, "ledger_link": link, "check_negative_list": neg,
                                 "unit_word": word, "order": (order + 1) * 10})
        if created:
            Version.objects.create(type=t, version=1, fields=fields, attachments=attachments, sla_policy=policy,
                                   note="默认目录")


class Migration(migrations.Migration):
    dependencies = [("operations", "0001_initial"), ("sla", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
