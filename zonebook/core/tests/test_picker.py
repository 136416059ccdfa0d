"""The enterprise picker of the list filters: a plain select for a few enterprises; above the
threshold only the selected enterprise is rendered (one query, no 2,000 options) with a search box
whose endpoint answers with the user's own enterprises."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

from zonebook.core.widgets import picker_threshold

pytestmark = pytest.mark.django_db


def _select(html: str, name: str = "enterprise") -> str:
    m = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert m, html[:500]
    return m.group(0)


def test_a_few_enterprises_make_an_ordinary_select(world, client):
    assert picker_threshold() == 200
    client.force_login(world.users.zone)  # zone a1: two enterprises
    html = client.get("/ledger/books/").content.decode()
    sel = _select(html)
    assert sel.count("<option") == 3 and world.enterprises.a1.name in sel
    assert "js-picker-q" not in html


@override_settings(ZONEBOOK={"PICKER_THRESHOLD": 1})
def test_many_enterprises_render_only_the_selected_one_and_a_search_box(world, client):
    client.force_login(world.users.province)  # Sichuan: four enterprises > 1
    html = client.get("/ledger/books/").content.decode()
    sel = _select(html)
    assert sel.count("<option") == 1  # the empty choice only
    assert 'data-picker-url="/registry/enterprises/options/"' in html and 'form="zb-none"' in html
    chosen = world.enterprises.b1
    html = client.get(f"/ledger/lists/?enterprise={chosen.pk}").content.decode()
    sel = _select(html)
    assert sel.count("<option") == 2 and f'value="{chosen.pk}" selected' in sel
    # an enterprise outside the scope is still refused by the filter (validation is unchanged)
    html = client.get(f"/ledger/lists/?enterprise={world.enterprises.c1.pk}").content.decode()
    assert world.enterprises.c1.name not in _select(html)
    assert "invalid-feedback" in html


def test_options_endpoint_is_scoped_and_searches_name_and_codes(world, client):
    client.force_login(world.users.province)
    body = client.get("/registry/enterprises/options/?term=成都").content.decode()
    assert world.enterprises.a1.name in body and world.enterprises.a2.name in body
    assert world.enterprises.b1.name not in body
    body = client.get(
        f"/registry/enterprises/options/?term={world.enterprises.b1.customs_code}"
    ).content.decode()
    assert f'value="{world.enterprises.b1.pk}"' in body and body.count("<option") == 2
    # never another province's enterprise, whatever the term
    body = client.get("/registry/enterprises/options/?term=重庆").content.decode()
    assert world.enterprises.c1.name not in body and body.count("<option") == 1
    client.force_login(world.users.enterprise)
    body = client.get("/registry/enterprises/options/").content.decode()
    assert body.count("<option") == 2 and world.enterprises.a1.name in body
    client.logout()
    assert client.get("/registry/enterprises/options/").status_code == 302


@override_settings(ZONEBOOK={"LIST_COUNT_CAP": 2})
def test_list_counts_are_capped(world, client):
    """Above the cap the page says "more than N rows" and still browses the first N; the list is
    counted once, by a COUNT over at most cap + 1 rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.users.province)  # four enterprises in Sichuan
    client.get("/registry/enterprises/")
    with CaptureQueriesContext(connection) as ctx:
        html = client.get("/registry/enterprises/?sort=name").content.decode()
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"]]
    assert len(counts) == 1 and "LIMIT 3" in counts[0], counts
    assert "More than 2 rows" in html or "超过 2 行" in html
    assert html.count('href="/registry/enterprises/') >= 2
    client.force_login(world.users.zone)  # two enterprises: exactly the cap, not capped
    html = client.get("/registry/enterprises/").content.decode()
    assert "More than" not in html and "超过" not in html
