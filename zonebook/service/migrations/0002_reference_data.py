"""Reference data: the request categories and the SLA policies of requests (domain doc §4.3, §10):
contact / sign-off within 1 working day, first reply within 3, close within 10, complex within 25,
redo after an attributable unsatisfied revisit within 10.  Escalation (§4.4): remind the handler one
working day before, the unit head (催办通知书) one day after, the leader five working days after.
Policies and categories are rows: an installation edits them (admin), they are not constants."""

from django.db import migrations

POLICIES = [
    # key, name, limit (working days), warn %, red %, [(delay, target)]
    ("service.request.sign", "企业诉求签收（1个工作日）", 1, 50, 90, [(1, "unit_head")]),
    ("service.request.reply", "企业诉求首次答复（3个工作日）", 3, 50, 90, [(1, "unit_head")]),
    ("service.request.close", "企业诉求办结（10个工作日）", 10, 50, 90, [(-1, "handler"), (1, "unit_head"), (5, "leader")]),
    ("service.request.complex", "复杂诉求办结（25个工作日）", 25, 50, 90, [(-1, "handler"), (1, "unit_head"), (5, "leader")]),
    ("service.request.redo", "企业诉求重办（10个工作日）", 10, 50, 90, [(-1, "handler"), (1, "unit_head"), (5, "leader")]),
]

CATEGORIES = [
    # code, name, complex, [(code, name)]
    ("POL", "政策咨询", False, [("POL-SUB", "惠企政策申报"), ("POL-TAX", "税收政策")]),
    ("CUS", "通关与监管", False, [("CUS-CLR", "报关通关"), ("CUS-INS", "查验与检疫"), ("CUS-BK", "账册与核销")]),
    ("TAX", "税务与外汇", False, [("TAX-REF", "出口退税"), ("TAX-FX", "外汇结算")]),
    ("LAB", "用工与人才", False, [("LAB-REC", "招工"), ("LAB-TAL", "人才政策")]),
    ("LOG", "物流运输", False, [("LOG-TRK", "车辆与道路"), ("LOG-RAIL", "班列与运力")]),
    ("UTL", "水电气保障", False, [("UTL-PWR", "供电"), ("UTL-WAT", "供水供气")]),
    ("FIN", "融资与资金", False, []),
    ("LND", "用地与厂房", True, [("LND-FAC", "标准厂房"), ("LND-PLN", "规划与用地")]),
    ("APR", "审批许可", True, []),
    ("OTH", "其他", False, []),
]


def load(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    EscalationStep = apps.get_model("sla", "EscalationStep")
    Category = apps.get_model("service", "Category")
    for key, name, limit, warn, red, steps in POLICIES:
        policy, created = SlaPolicy.objects.get_or_create(
            key=key, defaults={"name": name, "unit": "working_days", "legal_limit": limit, "warn_pct": warn, "red_pct": red}
        )
        if created:
            for order, (delay, target) in enumerate(steps, 1):
                EscalationStep.objects.create(policy=policy, order=order, delay=delay, target=target)
    for order, (code, name, complex_, subs) in enumerate(CATEGORIES, 1):
        top, _ = Category.objects.get_or_create(code=code, defaults={"name": name, "complex": complex_, "order": order * 10})
        for i, (sub_code, sub_name) in enumerate(subs, 1):
            Category.objects.get_or_create(code=sub_code, defaults={"name": sub_name, "parent": top, "complex": complex_,
                                                                    "order": order * 10 + i})


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial"), ("sla", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
