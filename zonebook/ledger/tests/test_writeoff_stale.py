"""A write-off's figures are computed from the ledger as it stands when it moves on (issue 13 §3):
lists posted after the figures were computed are taken in at the pre-check and at the formal
submission (正式报核), the page says when the figures were computed and what they leave out."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from zonebook.audit.models import AuditEntry
from zonebook.ledger.models import DifferenceCase, WriteOffLine
from zonebook.ledger.models.writeoff import CaseStatus
from zonebook.ledger.services import writeoff as svc
from zonebook.ledger.tests import factories as f
from zonebook.ledger.tests.test_writeoff import DAY, END, START, STOCKTAKE_C, example_c

pytestmark = pytest.mark.django_db


@pytest.fixture
def pre_checked(world):
    """Example C plus 9 small imports: 19 posted lists, stocktake imported, pre-checked."""
    book, m, _p = example_c(world)
    for _ in range(9):
        f.post(book, "0615", "I", "material", [(1, 1)], date=DAY)
    wo = svc.create_writeoff(book, START, END)
    svc.import_stocktake(wo, STOCKTAKE_C)
    wo = svc.change_writeoff_state(wo, "pre_check")
    assert wo.list_count == 19 and svc.lists_posted_since(wo) == 0
    return book, m, wo


def _expected(wo, m):
    return WriteOffLine.objects.get(writeoff=wo, item=m).expected_remaining


def test_the_formal_submission_takes_in_the_lists_posted_since_and_recomputes(world, pre_checked):
    book, m, wo = pre_checked
    before = _expected(wo, m)
    computed = wo.computed_at
    old_case = DifferenceCase.objects.get(writeoff=wo, status=CaseStatus.OPEN)
    for _ in range(3):
        f.post(book, "0615", "I", "material", [(1, 10)], date=DAY)
    assert svc.lists_posted_since(wo) == 3

    wo = svc.change_writeoff_state(wo, "submitted")
    assert wo.state == "submitted" and wo.lists_added == 3
    assert wo.list_count == 22 and wo.list_links.count() == 22
    assert wo.computed_at > computed
    assert _expected(wo, m) == before + D(30)  # the three imports of 10 are in the figures
    # the pre-check's case answered the old difference: superseded, a new one for the new figures
    old_case.refresh_from_db()
    assert old_case.status == CaseStatus.SUPERSEDED
    new_case = DifferenceCase.objects.get(writeoff=wo, status=CaseStatus.OPEN)
    assert new_case.difference_qty == old_case.difference_qty - D(30)
    entry = AuditEntry.objects.filter(code="ledger.writeoff.submitted").latest("pk")
    assert entry.changes["lists_added"] == 3 and entry.changes["cases_opened"] == 1
    assert svc.lists_posted_since(wo) == 0


def test_a_resolved_case_whose_difference_did_not_change_is_kept(world, pre_checked):
    book, m, wo = pre_checked
    case = DifferenceCase.objects.get(writeoff=wo, status=CaseStatus.OPEN)
    svc.resolve_case(case, reason_code="undeclared_sale", settlement_kind="domestic_sale", resolution="补税")
    # two lists posted since that cancel out (an import and its reversal): the figures are
    # recomputed but material 1's difference is the one the resolution answered
    lst = f.post(book, "0615", "I", "material", [(1, 5)], date=DAY).inventory_list
    from zonebook.ledger.services import reverse_inventory_list

    reverse_inventory_list(lst, number=f.list_number("I"), declaration_date=DAY)
    wo = svc.change_writeoff_state(wo, "submitted")
    assert wo.lists_added == 2
    assert list(DifferenceCase.objects.filter(writeoff=wo).values_list("status", flat=True)) == [
        CaseStatus.RESOLVED
    ]


def test_lists_posted_while_a_draft_are_taken_in_at_the_pre_check(world):
    book, m, _p = example_c(world)
    wo = svc.create_writeoff(book, START, END)
    svc.import_stocktake(wo, STOCKTAKE_C)
    f.post(book, "0615", "I", "material", [(1, 10)], date=DAY)
    assert svc.lists_posted_since(wo) == 1
    wo = svc.change_writeoff_state(wo, "pre_check")
    assert wo.list_count == 11 and wo.lists_added == 1


def test_the_pages_show_when_the_figures_were_computed_and_what_they_leave_out(world, client, pre_checked):
    book, _m, wo = pre_checked
    client.force_login(world.users.enterprise)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    detail = reverse("ledger:writeoff_detail", args=[wo.pk])
    page = client.get(detail).content.decode()
    assert "Figures computed at" in page and 'id="wo-stale"' not in page
    for _ in range(3):
        f.post(book, "0615", "I", "material", [(1, 10)], date=DAY)
    page = client.get(detail).content.decode()
    assert "3 lists posted since the figures were computed are not in them." in page
    url = reverse("ledger:writeoff_transition", args=[wo.pk, "submitted"])
    assert "3 lists were posted since the figures were computed" in client.get(url).content.decode()
    r = client.post(url, {"note": ""}, follow=True)
    body = r.content.decode()
    assert "3 lists posted since the figures were computed were included" in body
    assert ">22 / " in body  # Lists / lines
    with_zh = client.get(detail, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "数据计算于" in with_zh
