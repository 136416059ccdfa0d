"""Out-of-scope samples (Chongqing zone c1) for the URL-walking scope and export tests."""

import datetime as dt
from decimal import Decimal

from zonebook.core.testing.scope_samples import register


def _investor(world):
    from zonebook.investment.models import Investor

    c1 = world.zones.c1
    return Investor.objects.get_or_create(
        name="重庆客商样例",
        defaults={
            "province_code": c1.province_code,
            "city_code": c1.city_code,
            "zone": c1,
            "contact_name": "联系人",
        },
    )[0]


@register("investment.investor")
def _investor_sample(world):
    return _investor(world)


@register("investment.project")
def _project(world):
    from zonebook.investment import services as svc
    from zonebook.investment.models import Project
    from zonebook.registry.testing import code

    found = Project.objects.filter(zone=world.zones.c1).first()
    if found is not None:
        return found
    p = svc.create_project(
        {
            "name": "重庆样例项目",
            "zone": world.zones.c1,
            "investor": _investor(world),
            "industry": code("industry", "39", "计算机、通信和其他电子设备制造业", level=2),
            "contracted_investment": Decimal(20000),
            "transfer_mode": "expansion",
            "transfer_from": "广东",
        },
        by=world.users.admin,
    )
    svc.record_milestone(p, "signed", dt.date(2025, 3, 1), by=world.users.admin)
    return p


@register("investment.investmentevent")
def _event(world):
    from zonebook.investment.models import InvestmentEvent

    c1 = world.zones.c1
    return InvestmentEvent.objects.get_or_create(
        title="重庆样例接待",
        defaults={
            "kind": "reception",
            "date": dt.date(2025, 4, 1),
            "zone": c1,
            "province_code": c1.province_code,
            "city_code": c1.city_code,
        },
    )[0]


def _document(world):
    from zonebook.investment.models import PolicyDocument

    c1 = world.zones.c1
    return PolicyDocument.objects.get_or_create(
        title="重庆样例政策文件",
        defaults={
            "issuer": "重庆市人民政府",
            "issued_on": dt.date(2025, 1, 1),
            "province_code": c1.province_code,
            "city_code": c1.city_code,
            "zone": c1,
        },
    )[0]


@register("investment.policydocument")
def _document_sample(world):
    return _document(world)


@register("investment.policytask")
def _task(world):
    from zonebook.accounts.tests.scope_samples import _c1_unit
    from zonebook.investment.models import PolicyTask, TaskUnit

    doc = _document(world)
    task, created = PolicyTask.objects.get_or_create(
        document=doc, number="1", defaults={"text": "重庆样例任务"}
    )
    if created:
        TaskUnit.objects.create(task=task, unit=_c1_unit(world), role="lead")
    return task
