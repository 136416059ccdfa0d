"""Start-up checks of the app registrations (core/checks.py): each broken declaration is an error
naming the app and the entry, reported by ``manage.py check`` (and so by migrate and bin/start)."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from zonebook.core import checks, modules
from zonebook.core.modules import AppModule, DashboardPanel, MenuEntry, TodoCounter

APP = "zonebook.brokenmod"


@pytest.fixture
def declare():
    """declare(**AppModule fields) registers a module for the test only."""

    def _declare(**kw):
        return modules.register(AppModule(app=kw.pop("app", APP), **kw))

    yield _declare
    modules.unregister(APP)
    modules.unregister(APP + "2")


def _errors(id_):
    return [e for e in checks.check_registrations() if e.id == id_]


def test_the_registrations_of_the_installed_apps_are_valid():
    assert checks.check_registrations() == []


def test_missing_view_in_a_menu_entry(declare):
    declare(menu=[MenuEntry("Gates", "brokenmod:gate_list")])
    (err,) = _errors("zonebook.E001")
    assert APP in err.msg and "brokenmod:gate_list" in err.msg and "Gates" in err.msg


def test_missing_view_in_a_todo_counter(declare):
    declare(todos=[TodoCounter("brokenmod.todo", "Waiting", "brokenmod:nowhere", count="zonebook.core.modules.get")])
    (err,) = _errors("zonebook.E001")
    assert APP in err.msg and "brokenmod.todo" in err.msg and "brokenmod:nowhere" in err.msg


def test_missing_panel_template(declare):
    declare(panels=[DashboardPanel("brokenmod.panel", "Figures", "brokenmod/_missing.html")])
    (err,) = _errors("zonebook.E002")
    assert APP in err.msg and "brokenmod.panel" in err.msg and "brokenmod/_missing.html" in err.msg


@pytest.mark.parametrize(
    "fields, named",
    [
        (dict(demo="zonebook.brokenmod.demo.load"), "demo loader"),
        (dict(demo_present="zonebook.core.modules.no_such_function"), "demo_present"),
        (dict(import_kinds=["zonebook.brokenmod.importers.GateImport"]), "import kind"),
        (dict(panels=[DashboardPanel("brokenmod.p", "P", "base.html", context="zonebook.brokenmod.dash.p")]), "brokenmod.p"),
        (dict(todos=[TodoCounter("brokenmod.t", "T", "core:home", count="zonebook.core.modules.nope")]), "brokenmod.t"),
        (dict(menu=[MenuEntry("M", "core:home", visible="zonebook.brokenmod.rules.visible")]), "visible"),
        (dict(schedules=[dict(name="brokenmod.daily", func_path="zonebook.brokenmod.jobs.daily", cron="0 6 * * *", label="x")]), "brokenmod.daily"),
    ],
)
def test_dotted_path_that_does_not_import(declare, fields, named):
    declare(**fields)
    (err,) = _errors("zonebook.E003")
    assert APP in err.msg and named in err.msg and "does not import" in err.msg


def test_duplicate_menu_url(declare):
    declare(menu=[MenuEntry("Zones again", "registry:zone_list")])
    (err,) = _errors("zonebook.E004")
    assert APP in err.msg and "registry:zone_list" in err.msg and "zonebook.registry" in err.msg


def test_same_url_in_the_user_menu_is_not_a_duplicate_of_the_bar(declare):
    declare(menu=[MenuEntry("Zones", "registry:zone_list", place="user")])
    assert _errors("zonebook.E004") == []


def test_duplicate_panel_and_todo_keys(declare):
    declare(panels=[DashboardPanel("ledger.zones", "Again", "base.html")])
    declare(app=APP + "2", todos=[TodoCounter("notify.unread", "Again", "core:home", count="zonebook.core.modules.get")])
    errs = _errors("zonebook.E005")
    assert len(errs) == 2
    assert any(APP in e.msg and "ledger.zones" in e.msg and "zonebook.ledger" in e.msg for e in errs)
    assert any(APP + "2" in e.msg and "notify.unread" in e.msg for e in errs)


def test_duplicate_url_prefix(declare):
    declare(url_prefix="ledger")
    (err,) = _errors("zonebook.E006")
    assert APP in err.msg and "zonebook.ledger" in err.msg


def test_manage_py_check_stops_with_the_error(declare):
    """`manage.py check` (also run by migrate, hence bin/start) fails and names the app and entry."""
    declare(menu=[MenuEntry("Gates", "brokenmod:gate_list")])
    with pytest.raises(SystemCheckError) as exc:
        call_command("check")
    assert "zonebook.E001" in str(exc.value) and APP in str(exc.value)


def test_every_registered_schedule_takes_the_job_and_its_params():
    """The scheduler runs ``f(job, **params)``: a schedule whose function takes no job fails only
    when it first fires (found by the start smoke test), so check every registration here."""
    import inspect

    from zonebook.jobs import schedules

    for schedule in schedules.all_schedules():
        func = modules.resolve(schedule.func_path)
        inspect.signature(func).bind(object(), **schedule.params)
