"""Posting-rule data validation and admin audit; scoping of ledger rows."""

import datetime as dt

import pytest

from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.ledger.models import Balance, Book, BookItem, InventoryList, InventoryListLine, PostingRule
from zonebook.ledger.services.rules import save_posting_rule

from . import factories as f


def test_rule_sign_must_match_column(db, world):
    f.reference()
    rule = PostingRule(
        supervision_mode="0615",
        ie_mark="I",
        item_kind="material",
        valid_from=dt.date(2030, 1, 1),
        target="imports",
        sign=-1,
    )
    with pytest.raises(DomainError) as e:
        save_posting_rule(rule, by=world.users.admin, created=True)
    assert e.value.field == "sign"


def test_overlapping_rule_refused_and_valid_edit_audited(db, world):
    f.reference()
    dup = PostingRule(
        supervision_mode="0615",
        ie_mark="I",
        item_kind="material",
        valid_from=dt.date(2025, 1, 1),
        target="imports",
        sign=1,
    )
    with pytest.raises(DomainError) as e:
        save_posting_rule(dup, by=world.users.admin, created=True)
    assert e.value.field == "valid_from"
    rule = PostingRule.objects.get(supervision_mode="0400", ie_mark="I", valid_to__isnull=True)
    rule.note = "边角料销毁 confirmed"
    save_posting_rule(rule, by=world.users.admin)
    entry = AuditEntry.objects.get(code="ledger.postingrule.updated")
    assert entry.changes["note"][1] == "边角料销毁 confirmed" and entry.actor == world.users.admin


def test_ledger_rows_are_scoped(world):
    b = f.book(world.enterprises.a1)
    f.material(b, 1)
    f.post(b, "0615", "I", "material", [(1, 5)])
    other = f.book(world.enterprises.c1)
    f.material(other, 1)
    u = world.users
    for model in (Book, BookItem, Balance, InventoryList, InventoryListLine):
        assert model.objects.for_user(u.enterprise).count() >= 1, model
        assert model.objects.for_user(u.other_zone).count() == 0, model
    assert list(Book.objects.for_user(u.enterprise)) == [b]
    assert list(Book.objects.for_user(u.zone)) == [b]
    assert set(Book.objects.for_user(u.admin)) == {b, other}
    assert Book.objects.for_user(u.other_zone).count() == 0
    assert InventoryListLine.objects.for_user(u.other_province).count() == 0
    assert AuditEntry.objects.for_user(u.enterprise).filter(code="ledger.inventory_list.posted").count() == 1
