"""The home page renders the panels and to-do counters registered for the user's role, in order;
a failing panel or counter shows an error card (logged), never a 500."""

import logging
import re

import pytest

from zonebook.core import modules
from zonebook.core.modules import AppModule, DashboardPanel, TodoCounter

APP = "zonebook.hometest"
P = "zonebook.home.tests.panels."


@pytest.fixture(autouse=True)
def _test_templates(settings):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [__file__.rsplit("/", 1)[0] + "/templates"]}]


@pytest.fixture
def declare():
    def _declare(**kw):
        return modules.register(AppModule(app=APP, **kw))

    yield _declare
    modules.unregister(APP)


def _panels(html):
    return re.findall(r'data-panel="([^"]+)"', html)


def test_home_is_the_home_app_view(world, client):
    """core:home ("/") is served by the home app (settings.HOME_VIEW); anonymous users log in first."""
    assert client.get("/").status_code == 302
    client.force_login(world.users.zone)
    resp = client.get("/")
    assert resp.status_code == 200
    assert "home/home.html" in [t.name for t in resp.templates]


def test_panels_of_the_role_in_order_each_in_a_card(world, client, declare):
    declare(panels=[
        DashboardPanel("hometest.second", "Second", "hometest/_panel.html", context=P + "ok", order=2, roles=("zone_staff",)),
        DashboardPanel("hometest.first", "First", "hometest/_panel.html", context=P + "ok", order=1),
        DashboardPanel("hometest.leader", "Leaders", "hometest/_panel.html", context=P + "ok", roles=("zone_leader",)),
    ])
    client.force_login(world.users.zone)
    html = client.get("/").content.decode()
    mine = [k for k in _panels(html) if k.startswith("hometest.")]
    assert mine == ["hometest.first", "hometest.second"]
    assert "&lt;b&gt;bold&lt;/b&gt; for a1_staff" in html  # context values are escaped
    client.force_login(world.users.zone_leader)
    assert "hometest.leader" in _panels(client.get("/").content.decode())


def test_a_failing_panel_shows_an_error_card_and_is_logged(world, client, declare, caplog):
    declare(panels=[
        DashboardPanel("hometest.boom", "Broken", "hometest/_panel.html", context=P + "boom", order=1),
        DashboardPanel("hometest.badtemplate", "Bad template", "hometest/_nope.html", order=2),
        DashboardPanel("hometest.ok", "Fine", "hometest/_panel.html", context=P + "ok", order=3),
    ])
    client.force_login(world.users.province)
    with caplog.at_level(logging.ERROR, logger="zonebook.home"):
        resp = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 200
    html = resp.content.decode()
    for key in ("hometest.boom", "hometest.badtemplate"):
        card = html[html.index(f'data-panel="{key}"'):]
        card = card[:card.index("</section>")]
        assert 'data-failed="1"' in card and "could not be shown" in card
    assert "for sc_prov" in html  # the other panels are served
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "hometest.boom" in logged and "hometest.badtemplate" in logged
    assert any("panel failed on purpose" in (r.exc_text or str(r.exc_info)) for r in caplog.records)


def test_todo_counters_of_the_role(world, client, declare, caplog):
    declare(todos=[
        TodoCounter("hometest.seven", "Seven things", "jobs:list", count=P + "seven", roles=("enterprise",), tone="danger"),
        TodoCounter("hometest.broken", "Broken counter", "jobs:list", count=P + "broken_count", roles=("enterprise",)),
    ])
    client.force_login(world.users.enterprise)
    with caplog.at_level(logging.ERROR, logger="zonebook.home"):
        html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    seven = html[html.index('data-todo="hometest.seven"'):]
    assert "Seven things" in seven[:600] and ">7</div>" in seven[:600] and "text-danger" in seven[:600]
    broken = html[html.index('data-todo="hometest.broken"'):]
    assert 'data-failed="1"' in broken[:600]
    assert "hometest.broken" in " ".join(r.getMessage() for r in caplog.records)
    client.force_login(world.users.zone)
    assert "hometest.seven" not in client.get("/").content.decode()
