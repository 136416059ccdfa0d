"""Kinds are registered by their modules (not an enum); unknown kinds are refused clearly."""

import pytest
from django.utils import translation

from zonebook.audit.models import AuditEntry
from zonebook.notify import registry, services
from zonebook.notify.models import Notification


def test_modules_register_their_kinds_from_their_registration():
    codes = {k.code for k in registry.kinds()}
    assert {"alerts.expiry", "alerts.writeoff", "alerts.tax_due", "alerts.carryover", "alerts.flag"} <= codes
    kind = registry.get_kind("alerts.expiry")
    assert kind.module == "zonebook.alerts"  # declared by the alerts app's registration, not by notify
    assert ("alerts.flag", "Consumption plausibility flag") in [(c, str(label)) for c, label in registry.choices()]


def test_titles_render_in_the_readers_language():
    n = Notification(kind="alerts.expiry", params={"book": "E51000000001", "due": "2026-07-01"})
    assert n.title == "Book E51000000001 expires on 2026-07-01"
    with translation.override("zh-hans"):
        assert n.title == "账册 E51000000001 将于 2026-07-01 到期"
        assert n.kind_label == "账册到期"


@pytest.mark.django_db
def test_unknown_kind_is_refused_before_anything_is_written(world):
    with pytest.raises(registry.UnknownNotificationKind, match=r"'nosuch\.kind'.*register_kind\(\)"):
        services.notify([world.users.zone], "nosuch.kind", {"x": 1})
    assert not Notification.objects.exists()
    assert not AuditEntry.objects.filter(code="notify.sent").exists()


def test_a_code_belongs_to_one_module(test_kind):
    # the same module may register again (e.g. ready() run twice) ...
    same_module = {"__name__": "zonebook.notify.tests.conftest", "register_kind": registry.register_kind}
    exec("register_kind('test.visit', label='Visit planned', title='Visit to %(place)s on %(day)s')", same_module)
    # ... another module may not take its code
    other_module = {"__name__": "zonebook.other", "register_kind": registry.register_kind}
    with pytest.raises(ValueError, match="already registered by zonebook.notify.tests"):
        exec("register_kind('test.visit', title='x')", other_module)
    with pytest.raises(ValueError):
        registry.register_kind("", title="x")


def test_a_row_of_a_removed_module_still_shows():
    n = Notification(kind="gone.module", params={})
    assert n.title == "gone.module" and n.body == "" and n.kind_label == "gone.module"


def test_missing_parameters_render_empty(test_kind):
    n = Notification(kind="test.visit", params={"place": "成都"})
    assert n.title == "Visit to 成都 on " and n.body == "Bring nothing."
