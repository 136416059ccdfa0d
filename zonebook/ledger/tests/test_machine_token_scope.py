"""A machine token is scoped to its zone: another zone's book is a 404, the list holds only its own."""

import pytest
from rest_framework.test import APIClient

from zonebook.accounts import tokens
from zonebook.ledger.tests.factories import book

pytestmark = pytest.mark.django_db


def test_token_reads_only_its_zone(world):
    own = book(world.enterprises.a1)
    foreign = book(world.enterprises.b1)
    _, raw = tokens.issue_token(name="卡口系统", zone=world.zones.a1, areas=["ledger"], by=world.users.admin)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get(f"/api/ledger/books/{own.pk}/").status_code == 200
    assert api.get(f"/api/ledger/books/{foreign.pk}/").status_code == 404
    ids = {r["id"] for r in api.get("/api/ledger/books/").json()["results"]}
    assert ids == {own.pk}
