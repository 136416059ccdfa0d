"""Default configuration: the post-signing SLA policies and the counting rules (domain doc §2.2, §2.4).

Both are data (editable, dated); these rows are the defaults the domain doc cites: works start within
3 months of signing (amber after 2, Anqing / Yinchuan), 入统 within 2 months of start (Yinchuan); first
signing only, increase only, upgrades not recounted (Sanming 明政办〔2006〕95号); ¥10 m minimum and the
monthly ledger (county rules); one city's exclusions list; duplicates within 10 % of the amount.
"""

from decimal import Decimal

from django.db import migrations

POLICIES = [
    # key, name, limit (calendar days), warn % used, red % used
    ("investment.project.start", "签约后开工时限", 90, 66, 100),
    ("investment.project.statistics", "开工后入统时限", 60, 50, 100),
]

RULES = [
    ("ZS-SM-1", "增资只计增量，不作新项目", "increase_only", None, None, [], "三明 明政办〔2006〕95号"),
    ("ZS-SM-2", "项目升级不重复计算", "upgrade", None, None, [], "三明 明政办〔2006〕95号"),
    ("WNWK-1", "月度台账外项目不计（突击上报）", "ledger", None, None, [], "县招商引资考评制度"),
    ("WNWK-2", "固定资产投资不足1000万元不计", "minimum_size", Decimal("1000"), None, [], "县招商引资考评制度"),
    ("CNZSR-KH-1", "不予认定的项目类别", "exclusion", None, None,
     ["local_only", "fiscal", "vertical", "resources", "planting", "real_estate", "leisure", "phase2", "relocation"],
     "招商引资目标管理考核办法"),
    ("DEDUP-1", "同一客商、同一落地园区、金额相近（±10%）视为重复", "dedup", None, Decimal("10"), [], "zonebook"),
    ("MAJOR-1", "重大项目：协议投资1亿元及以上", "major", Decimal("10000"), None, [], "招商引资目标管理考核办法"),
]


def forwards(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    EscalationStep = apps.get_model("sla", "EscalationStep")
    for key, name, limit, warn, red in POLICIES:
        policy, _ = SlaPolicy.objects.update_or_create(
            key=key,
            defaults={"name": name, "unit": "calendar_days", "legal_limit": limit, "warn_pct": warn,
                      "red_pct": red, "active": True},
        )
        if not EscalationStep.objects.filter(policy=policy).exists():
            EscalationStep.objects.create(policy=policy, order=1, delay=0, target="handler")
            EscalationStep.objects.create(policy=policy, order=2, delay=30, target="unit_head")
    CountingRule = apps.get_model("investment", "CountingRule")
    for code, name, kind, threshold, tol, cats, source in RULES:
        CountingRule.objects.update_or_create(
            code=code,
            defaults={"name": name, "kind": kind, "threshold": threshold, "tolerance_pct": tol,
                      "categories": cats, "source": source, "active": True},
        )


def backwards(apps, schema_editor):
    apps.get_model("investment", "CountingRule").objects.filter(code__in=[r[0] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("investment", "0001_initial"), ("sla", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
