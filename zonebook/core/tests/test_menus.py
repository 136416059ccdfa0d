"""The navigation is built from the registrations (core.menus): today's labels, grouping, order and
role rules, and a new module's entry appears without editing a template."""

import re

import pytest

from zonebook.core import menus, modules
from zonebook.core.modules import AppModule, MenuEntry

LEDGER = ["Bonded books", "Inventory lists", "Balances", "Write-offs (报核)", "Carry-overs (深加工结转)",
          "Domestic-sale calculator (内销试算)", "Customs messages (INV101)", "Customs receipt queue"]


def _nav(client, user):
    client.force_login(user)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    return html[html.index("<nav"):html.index("</nav>")]


def _labels(items):
    return [(str(i.label), [str(link.label) for link in i.links]) if isinstance(i, menus.Group) else str(i.label)
            for i in items]


def test_zone_staff_menu_keeps_todays_labels_order_and_groups(world):
    from django.utils import translation

    with translation.override("en"):
        menu = menus.build(world.users.zone)
        main = _labels(menu["main"])
        assert main[:4] == ["Zones", "Enterprises", ("Bonded ledger", LEDGER + ["Ledger oversight", "Month close (月结)"]),
                            ("Alerts", ["Deadline alerts", "Consumption plausibility", "Notifications"])]
        assert main[-4:] == ["Import", "Jobs", "Audit log", "API"]
        assert [str(link.label) for link in menu["user"]] == ["Change password", "Login history", "Users", "Units"]
        oversight = menu["main"][2].links[-2]
        assert oversight.divider and not menu["main"][2].links[0].divider


def test_role_rules(world):
    ent = menus.urls(world.users.enterprise)
    assert "/ledger/oversight/" not in ent and "/ledger/books/" in ent
    assert "/ledger/closes/" not in ent
    assert "/sla/calendar/" not in ent and "/accounts/tokens/" not in ent
    prov = menus.urls(world.users.province)
    assert "/ledger/oversight/" in prov and "/sla/calendar/" in prov
    assert "/sla/calendar/" not in menus.urls(world.users.city)
    assert "/accounts/tokens/" in menus.urls(world.users.admin)


def test_base_template_renders_the_registered_menu(world, client):
    nav = _nav(client, world.users.enterprise)
    hrefs = re.findall(r'href="([^"#]+)"', nav)
    for url in menus.urls(world.users.enterprise):
        assert url in hrefs
    assert "/ledger/oversight/" not in hrefs
    assert 'class="dropdown-divider"' in nav  # before "Log out"


def test_a_new_module_adds_its_menu_without_editing_templates(world, client):
    modules.register(AppModule(app="zonebook.newmod", menu=[
        MenuEntry("Gate passes", "jobs:list", group="Operations", order=50, place="main"),
        MenuEntry("Only leaders", "audit:list", group="Operations", order=51, roles=("zone_leader",), place="user"),
    ]))
    try:
        nav = _nav(client, world.users.zone)
        assert "Operations" in nav and "Gate passes" in nav and "Only leaders" not in nav
        client.logout()
        assert "Only leaders" in _nav(client, world.users.zone_leader)
    finally:
        modules.unregister("zonebook.newmod")


@pytest.mark.django_db
def test_menu_costs_no_query(world, django_assert_num_queries):
    with django_assert_num_queries(0):
        menus.build(world.users.province)
