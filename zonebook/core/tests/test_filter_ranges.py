"""Out-of-range numbers in filters never cause a server error (issue 14 §7).

Walks every list route (pages and API) with a FilterSet and sends each of its filters the values
that overflowed before (``1e40``, ``99999999999999999999``, ``-1e16``): the answer is never a 5xx, and
a number filter that cannot take the value answers 400 naming the field.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from zonebook.core.tests.test_scope_walk import _fill, _list_routes

BAD = ("1e40", "99999999999999999999", "-1e16", "1e16")


def _filterset_of(callback):
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return getattr(view_class, "filterset_class", None) if view_class is not None else None


def _routes():
    out = []
    for route, p in _list_routes():
        fs = _filterset_of(p.callback)
        if fs is not None:
            out.append((route, fs))
    return out


def test_the_walk_finds_the_lists_of_the_issue():
    urls = {_fill(r, {}) for r, _fs in _routes()}
    for url in (
        "/ledger/writeoffs/",
        "/ledger/carryovers/",
        "/ledger/carryovers/queue/",
        "/api/ledger/carryovers/",
        "/api/ledger/carryover-queue/",
        "/api/ledger/writeoffs/",
    ):
        assert url in urls, url


@pytest.mark.django_db
def test_every_filter_takes_out_of_range_numbers_without_server_error(world, client):
    admin = world.users.admin
    client.force_login(admin)
    api = APIClient()
    api.force_authenticate(admin)
    client.raise_request_exception = api.raise_request_exception = False
    errors, tried = [], 0
    for route, fs in _routes():
        url = _fill(route, {})
        c = api if url.startswith("/api/") else client
        for name in fs.base_filters:
            for value in BAD:
                r = c.get(url, {name: value}, HTTP_ACCEPT="text/html" if c is client else "application/json")
                tried += 1
                if r.status_code >= 500:
                    errors.append(f"{url}?{name}={value} -> {r.status_code}")
    print(f"filter walk: {len(_routes())} list routes, {tried} requests, {len(errors)} server errors")
    assert not errors, "\n".join(errors)
    assert tried > 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url,param,value",
    [
        ("/api/ledger/writeoffs/", "book", "1e40"),
        ("/api/ledger/carryovers/", "book", "1e40"),
        ("/api/ledger/carryover-queue/", "min_age", "1e16"),
        ("/api/alerts/alerts/", "book", "1e40"),
        ("/api/alerts/flags/", "book", "1e40"),
        ("/api/ledger/difference-cases/", "writeoff", "99999999999999999999"),
    ],
)
def test_api_answers_400_naming_the_field(world, url, param, value):
    api = APIClient()
    api.force_authenticate(world.users.admin)
    r = api.get(url, {param: value})
    assert r.status_code == 400, (url, r.status_code, r.content[:300])
    assert param in r.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url,param,value",
    [
        ("/ledger/writeoffs/", "book", "1e40"),
        ("/ledger/carryovers/", "book", "1e40"),
        ("/ledger/carryovers/queue/", "min_age", "1e16"),
    ],
)
def test_pages_answer_400_with_a_form_error(world, client, url, param, value):
    client.force_login(world.users.admin)
    r = client.get(url, {param: value}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400
    assert "is-invalid" in r.content.decode() or "invalid-feedback" in r.content.decode()


@pytest.mark.django_db
def test_approve_batch_with_a_huge_id_is_400(world):
    api = APIClient()
    api.force_authenticate(world.users.admin)
    r = api.post("/api/ledger/lists/approve-batch/", {"lists": [99999999999999999999]}, format="json")
    assert r.status_code == 400 and "lists" in r.json()


@pytest.mark.django_db
def test_nul_characters_in_a_body_are_400(world):
    """PostgreSQL text cannot hold NUL: a slug lookup with one was a server error (found by schemathesis)."""
    api = APIClient()
    api.force_authenticate(world.users.admin)
    r = api.patch(f"/api/registry/enterprises/{world.enterprises.a1.pk}/", {"industry": "C3\x009"}, format="json")
    assert r.status_code == 400 and "NUL" in r.json()["detail"]
