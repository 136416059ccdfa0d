"""The investment demo loader: the seed's orders of magnitude come out of queries, and it is idempotent."""

import io
from decimal import Decimal

import pytest
from django.db.models import Sum

from zonebook.core.context import acting_as
from zonebook.investment import demo, queries
from zonebook.investment.models import InvestmentEvent, PolicyDocument, Project, TaskUnit


@pytest.mark.django_db
def test_demo_loads_the_seed_figures_and_the_decomposed_opinions(world):
    # the shared world's zone a1 is the demo's big zone (成都高新综合保税区); load_demo itself is
    # covered by core's demo test
    out = io.StringIO()
    with acting_as("demo"):
        demo.load(out)
    big = Project.objects.filter(zone__name=demo.BIG_ZONE)
    years = sorted(set(big.values_list("signed_on__year", flat=True)))
    last = years[0]
    signed = big.filter(signed_on__year=last, kind="new")
    assert signed.count() == 23
    assert signed.filter(currency="USD").aggregate(s=Sum("contracted_investment"))["s"] == Decimal(
        "143000.00"
    )
    counts = {c["kind"]: c["count"] for c in queries.event_counts(InvestmentEvent.objects.all(), last)}
    assert (counts["reception"], counts["trip"]) == (15, 4)
    doc = PolicyDocument.objects.get()
    first = doc.tasks.order_by("id").first()
    units = list(TaskUnit.objects.filter(task=first).order_by("order").values_list("role", "unit__name"))
    assert units[0] == ("lead", "四川省商务厅")
    assert ("responsible", "省投资促进局") in units and ("responsible", "成都海关") in units
    assert doc.tasks.count() == 20
    # two leads where the text lists two before the comma (二、2 推动加工贸易向服务业延伸价值链)
    assert any(t.task_units.filter(role="lead").count() == 2 for t in doc.tasks.all())
    n = Project.objects.count()
    with acting_as("demo"):
        demo.load(io.StringIO())
    assert Project.objects.count() == n
