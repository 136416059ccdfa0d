"""load_demo runs the registrations' demo loaders (core.modules) in demo_order, in one transaction,
acting as "demo"; --if-empty completes a demo whose module says its data is missing."""

import io

import pytest
from django.core.management import call_command

from zonebook.core import modules
from zonebook.core.modules import AppModule
from zonebook.registry import demo as base
from zonebook.registry.models import Zone

from . import loaders

L = "zonebook.demo.tests.loaders."


@pytest.fixture
def fake_modules(monkeypatch):
    """Only the given fake modules are registered for the test."""
    loaders.CALLS.clear()
    loaders.PRESENT["late"] = False

    def _use(*mods):
        monkeypatch.setattr(modules, "all_modules", lambda: list(mods))

    return _use


def _run(*args):
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_loaders_run_in_demo_order_acting_as_demo(fake_modules):
    fake_modules(
        AppModule(app="zonebook.fake_b", demo=L + "second", demo_order=20),
        AppModule(app="zonebook.fake_a", demo=L + "first", demo_order=10),
        AppModule(app="zonebook.fake_c"),  # no demo
    )
    out = _run("--if-empty")
    assert loaders.CALLS == [("first", "demo"), ("second", "demo")]
    assert "first loaded" in out and Zone.objects.filter(short_name="演示测试").exists()


@pytest.mark.django_db
def test_a_failing_loader_leaves_nothing(fake_modules):
    fake_modules(
        AppModule(app="zonebook.fake_a", demo=L + "second", demo_order=10),
        AppModule(app="zonebook.fake_b", demo=L + "boom", demo_order=20),
    )
    with pytest.raises(RuntimeError, match="on purpose"):
        _run("--if-empty")
    assert not Zone.objects.exists()


@pytest.mark.django_db
def test_if_empty_completes_a_module_whose_demo_is_missing(fake_modules, monkeypatch):
    """A demo loaded before a module existed: its demo_present() is false, so --if-empty runs the
    loaders again (each skips what exists) instead of accepting the database as it is."""
    monkeypatch.setattr(base, "holds_data", lambda: True)
    monkeypatch.setattr(base, "demo_started", lambda: True)
    fake_modules(
        AppModule(app="zonebook.fake_a", demo=L + "first", demo_order=10),
        AppModule(app="zonebook.late", demo=L + "late", demo_order=60, demo_present=L + "late_present"),
    )
    out = _run("--if-empty")
    assert "missing: late" in out and "Demo province completed" in out
    assert [c[0] for c in loaders.CALLS] == ["first", "late"]
    loaders.CALLS.clear()
    assert "not loaded" in _run("--if-empty")  # complete now: nothing runs
    assert loaders.CALLS == []


@pytest.mark.django_db
def test_a_database_with_other_data_is_left_alone(fake_modules, monkeypatch):
    from django.core.management import CommandError

    monkeypatch.setattr(base, "holds_data", lambda: True)  # zones not made by the demo
    fake_modules(AppModule(app="zonebook.late", demo=L + "late", demo_present=L + "late_present"))
    assert "not loaded" in _run("--if-empty")
    with pytest.raises(CommandError):
        _run()
    assert loaders.CALLS == []


def test_the_installed_apps_declare_their_demo_loaders():
    """registry (the base) first, then the ledger, the alerts and the attachments."""
    from zonebook.demo import runner

    order = [m.app for m in runner.demo_modules()]
    expected = ["zonebook.registry", "zonebook.ledger", "zonebook.alerts", "zonebook.attachments"]
    assert [a for a in order if a in expected] == expected and order[0] == "zonebook.registry"
